"""Exact money: integer units of 1/10000 on the inside, JSON numbers on the wire.

Rule B5: a binary float never touches a balance. Amounts arrive as the raw JSON text
of a number (``10.0001``) or of a string (``"10.0001"``) and are parsed from that text,
never through ``float``. Rule B3 rejects NaN, exponents, more than four decimals and
more than 18 integer digits.
"""

from __future__ import annotations

import re
from decimal import Decimal

from reelbridge._types import Units

UNITS_PER_CURRENCY_UNIT = 10_000
DECIMALS = 4
MAX_INTEGER_DIGITS = 18
# The ledger stores 64-bit integers; no balance or amount may exceed this.
LEDGER_LIMIT: Units = 2**63 - 1

# Optional minus, no leading zeros, up to 18 integer digits, optional fraction. Any
# fraction digits beyond the fourth must be zeros (checked below): "1.50000" is the
# exact value 1.5, while "0.30000000000000004" is not representable and is refused.
_NUMBER = re.compile(r"(-?)(0|[1-9][0-9]{0,17})(?:\.([0-9]+))?")


class AmountError(ValueError):
    """The text is not an exact amount with at most four decimals."""


def parse_amount_text(text: str) -> Units:
    """Parse the decimal text of an amount into integer units.

    Args:
        text: the characters of a JSON number, or the content of a JSON string.

    Returns:
        The amount in units of 1/10000 (negative amounts are returned as such; the
        caller applies the sign rules of B6).

    Raises:
        AmountError: empty text, an exponent, NaN/Infinity, whitespace, more than four
            significant decimals or more than 18 integer digits.
    """
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise AmountError(f"not an exact decimal amount: {text[:40]!r}")
    sign, whole, fraction = match.groups()
    fraction = (fraction or "").rstrip("0")
    if len(fraction) > DECIMALS:
        raise AmountError(f"more than {DECIMALS} decimals: {text[:40]!r}")
    units = int(whole) * UNITS_PER_CURRENCY_UNIT + int(fraction.ljust(DECIMALS, "0"))
    return -units if sign else units


def parse_amount(value: object) -> Units:
    """Parse an already-decoded amount: ``int``, ``Decimal`` or decimal ``str``.

    ``float`` and ``bool`` are refused: a float has already lost exactness.
    """
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        kind = type(value).__name__
        raise AmountError(f"amount must be a number or a decimal string, not {kind}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AmountError("amount must be finite")
        value = format(value, "f")
    return parse_amount_text(str(value))


def to_decimal(units: Units) -> Decimal:
    """The exact ``Decimal`` of ``units`` (``12345`` → ``Decimal('1.2345')``)."""
    return Decimal(units).scaleb(-DECIMALS)


def format_amount(units: Units) -> str:
    """Format units as the shortest exact JSON number with at least one decimal.

    ``1000001`` → ``"100.0001"``, ``1000000`` → ``"100.0"``, ``-5`` → ``"-0.0005"``.
    """
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), UNITS_PER_CURRENCY_UNIT)
    digits = f"{fraction:04d}".rstrip("0") or "0"
    return f"{sign}{whole}.{digits}"


# ISO 4217 minor units that differ from 2 (the rest, and unknown codes, use 2).
_MINOR_UNITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG"), 0),
    **dict.fromkeys(("RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF", "FUN"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def currency_decimals(currency: str) -> int:
    """How many decimals people read amounts of ``currency`` in (ISO 4217 minor units;
    2 for an unknown code, 0 for the demo's ``FUN``)."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def display_amount(units: Units, currency: str) -> str:
    """An amount as a person reads it: the currency's decimals, grouped thousands.

    Never rounds: an amount finer than the currency's decimals shows the extra digits
    (``0.0005`` EUR stays ``0.0005``), because money on screen must be the ledger's.
    ``12345`` EUR → ``"1.2345"``, ``1000000`` EUR → ``"100.00"``, ``10_000_0000`` JPY →
    ``"10,000"``.
    """
    needed = len(f"{abs(units) % UNITS_PER_CURRENCY_UNIT:04d}".rstrip("0"))
    places = max(currency_decimals(currency), needed)
    return f"{to_decimal(units):,.{places}f}"
