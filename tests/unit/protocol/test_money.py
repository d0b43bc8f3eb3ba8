"""Exact money: amount texts to integer units and back (rules B3, B5).

The table of amount texts is ``tests/vectors/amounts.json``; each text is checked
through ``parse_amount_text`` and through the codec, as a JSON number and as a JSON
string field of a bet.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelbridge.protocol import (
    LEDGER_LIMIT,
    UNITS_PER_CURRENCY_UNIT,
    AmountError,
    Bet,
    ErrorCode,
    WrongInput,
    decode_wallet_request,
    display_amount,
    format_amount,
    parse_amount,
    parse_amount_text,
    to_decimal,
)

VECTORS_DIR = Path(__file__).resolve().parents[2] / "vectors"
AMOUNTS: list[dict[str, Any]] = json.loads(
    (VECTORS_DIR / "amounts.json").read_text(encoding="utf-8")
)["amounts"]
GOOD = [case for case in AMOUNTS if "units" in case]
BAD = [case for case in AMOUNTS if "error" in case]

# The largest magnitude rule B3 admits: 18 integer digits and 4 decimals.
MAX_UNITS = 10**22 - 1
# No example database: the tests must not write outside tests/.
SETTINGS = settings(database=None, max_examples=300, deadline=None)
# The JSON grammar of a number, without exponent.
JSON_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]+")


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [repr(case["text"]) for case in cases]


def _bet_body(raw_amount: bytes) -> bytes:
    return (
        b'{"action":"bet","type":"bet","session_id":"s","amount":'
        + raw_amount
        + b',"transaction_id":"t","round_id":"r","game_id":"g"}'
    )


def _expect_codec(body: bytes, outcome: dict[str, Any]) -> None:
    if "units" in outcome:
        request = decode_wallet_request(body)
        assert isinstance(request, Bet)
        assert request.amount == outcome["units"]
    else:
        with pytest.raises(WrongInput) as caught:
            decode_wallet_request(body)
        assert caught.value.code == ErrorCode(outcome["error"])


def test_amount_table_has_both_outcomes_and_no_duplicates() -> None:
    texts = [case["text"] for case in AMOUNTS]
    assert len(set(texts)) == len(texts)
    assert GOOD
    assert BAD
    assert len(GOOD) + len(BAD) == len(AMOUNTS)


@pytest.mark.parametrize("case", GOOD, ids=_ids(GOOD))
def test_exact_amount_text_parses_to_units(case: dict[str, Any]) -> None:
    assert parse_amount_text(case["text"]) == case["units"]


@pytest.mark.parametrize("case", BAD, ids=_ids(BAD))
def test_inexact_or_malformed_amount_text_is_an_amount_error(case: dict[str, Any]) -> None:
    with pytest.raises(AmountError):
        parse_amount_text(case["text"])


@pytest.mark.parametrize("case", AMOUNTS, ids=_ids(AMOUNTS))
def test_amount_as_a_json_number_field(case: dict[str, Any]) -> None:
    outcome = case.get("as_json_number", case)
    _expect_codec(_bet_body(case["text"].encode("utf-8")), outcome)


@pytest.mark.parametrize("case", AMOUNTS, ids=_ids(AMOUNTS))
def test_amount_as_a_json_string_field(case: dict[str, Any]) -> None:
    _expect_codec(_bet_body(json.dumps(case["text"]).encode("ascii")), case)


def test_amount_error_is_a_value_error() -> None:
    assert issubclass(AmountError, ValueError)
    assert UNITS_PER_CURRENCY_UNIT == 10_000


@pytest.mark.parametrize(
    ("units", "text"),
    [
        (0, "0.0"),
        (1, "0.0001"),
        (10, "0.001"),
        (12340, "1.234"),
        (10000, "1.0"),
        (100001, "10.0001"),
        (105000, "10.5"),
        (1000000, "100.0"),
        (1000001, "100.0001"),
        (-1, "-0.0001"),
        (-5, "-0.0005"),
        (-10000, "-1.0"),
        (-100001, "-10.0001"),
        (LEDGER_LIMIT, "922337203685477.5807"),
        (-LEDGER_LIMIT, "-922337203685477.5807"),
        (MAX_UNITS, "999999999999999999.9999"),
        (10**30, "100000000000000000000000000.0"),
    ],
)
def test_format_amount_is_the_shortest_exact_json_number(units: int, text: str) -> None:
    assert format_amount(units) == text


@SETTINGS
@given(st.integers(min_value=-MAX_UNITS, max_value=MAX_UNITS))
def test_format_then_parse_gives_back_the_same_units(units: int) -> None:
    text = format_amount(units)
    assert JSON_DECIMAL.fullmatch(text), text
    assert parse_amount_text(text) == units
    assert Decimal(text) * UNITS_PER_CURRENCY_UNIT == units
    assert to_decimal(units) == Decimal(text)


@SETTINGS
@given(st.integers(min_value=-MAX_UNITS, max_value=MAX_UNITS))
def test_parse_amount_of_the_exact_decimal_gives_back_the_units(units: int) -> None:
    assert parse_amount(to_decimal(units)) == units


@pytest.mark.parametrize(
    ("units", "decimal"),
    [(0, "0"), (1, "0.0001"), (12345, "1.2345"), (-100001, "-10.0001"), (10000, "1")],
)
def test_to_decimal_is_exact(units: int, decimal: str) -> None:
    assert to_decimal(units) == Decimal(decimal)


@pytest.mark.parametrize(
    ("value", "units"),
    [
        (10, 100000),
        (0, 0),
        (-3, -30000),
        ("10.50", 105000),
        ("0.0001", 1),
        (Decimal("10.0001"), 100001),
        (Decimal("1E+2"), 1000000),
        (Decimal("1.50000"), 15000),
        (Decimal("-0"), 0),
    ],
    ids=repr,
)
def test_parse_amount_accepts_int_decimal_and_decimal_string(value: object, units: int) -> None:
    assert parse_amount(value) == units


@pytest.mark.parametrize(
    "value",
    [10.0001, 1.0, 0.0, float("nan"), True, False, None, [1], {"amount": 1}, b"1"],
    ids=repr,
)
def test_parse_amount_refuses_float_bool_and_other_types(value: object) -> None:
    with pytest.raises(AmountError):
        parse_amount(value)


@pytest.mark.parametrize(
    "value",
    [
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("0.00001"),
        Decimal("1E+18"),
        10**18,
        "1e2",
        " 1",
    ],
    ids=repr,
)
def test_parse_amount_refuses_values_that_are_not_exact_amounts(value: object) -> None:
    with pytest.raises(AmountError):
        parse_amount(value)


@pytest.mark.parametrize(
    ("units", "currency", "shown"),
    [
        (12345, "EUR", "1.2345"),
        (1_000_000, "EUR", "100.00"),
        (2000, "EUR", "0.20"),
        (5, "EUR", "0.0005"),
        (-25000, "EUR", "-2.50"),
        (0, "USD", "0.00"),
        (1_234_567_8900, "usd", "1,234,567.89"),
        (10_000_0000, "JPY", "10,000"),
        (10_000_5000, "JPY", "10,000.5"),
        (1000, "KWD", "0.100"),
        (1_000_0000, "FUN", "1,000"),
        (1_0000, "XYZ", "1.00"),
    ],
)
def test_people_read_money_in_the_currencys_decimals_and_never_a_rounded_amount(
    units: int, currency: str, shown: str
) -> None:
    assert display_amount(units, currency) == shown
    # what is shown is the ledger's amount exactly
    assert parse_amount_text(shown.replace(",", "")) == units
