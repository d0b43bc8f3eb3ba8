"""Forms of the server-rendered pages: parsing and validation, sans-IO.

A bad field is a ``FormError`` whose message the page shows next to the form (HTTP 400);
nothing reaches the server as an exception. A form also carries its page's CSRF token
(``auth.Guard.check``): a form posted from another site is refused.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urlsplit

from reelbridge._types import Units
from reelbridge.protocol import LEDGER_LIMIT, parse_amount_text
from reelbridge.protocol.money import AmountError

_ID = re.compile(r"[^\x00-\x1f\x7f]{1,255}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_FORM_BYTES = 16 * 1024


class FormError(ValueError):
    """A field is missing or wrong; the message says which and why."""


class CsrfError(FormError):
    """The form was not sent by one of this server's pages (or the login expired)."""


class Form:
    """The fields of an ``application/x-www-form-urlencoded`` body (or a query string)."""

    def __init__(self, body: bytes | str) -> None:
        try:
            text = body.decode("utf-8") if isinstance(body, bytes) else body
            pairs = parse_qs(text, keep_blank_values=True, strict_parsing=False, max_num_fields=60)
        except (UnicodeDecodeError, ValueError):
            raise FormError("the form could not be read (not UTF-8 form data)") from None
        self._fields = {k: v[-1].strip() for k, v in pairs.items()}

    def get(self, name: str, default: str = "") -> str:
        """A field's value (trimmed), or ``default``."""
        return self._fields.get(name, default)

    def required(self, name: str, label: str) -> str:
        """A non-empty field without control characters (an identifier)."""
        value = self.get(name)
        if not value:
            raise FormError(f"{label} is required")
        if not _ID.fullmatch(value):
            raise FormError(f"{label} must be 1–255 characters without control characters")
        return value

    def optional(self, name: str, label: str) -> str | None:
        """An identifier, or None when the field is empty."""
        return self.required(name, label) if self.get(name) else None

    def text(self, name: str, label: str, *, required: bool = False, limit: int = 1000) -> str:
        """Free text (a reason): printable, at most ``limit`` characters."""
        value = self.get(name)
        if required and not value:
            raise FormError(f"{label} is required")
        if len(value) > limit or not value.isprintable():
            raise FormError(f"{label} must be at most {limit} printable characters")
        return value

    def integer(self, name: str, label: str, low: int, high: int, default: int) -> int:
        """An integer field within bounds (``default`` when empty)."""
        raw = self.get(name) or str(default)
        if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
            raise FormError(f"{label} must be a whole number from {low} to {high}")
        return int(raw)

    def currency(self, name: str = "currency", label: str = "Currency") -> str:
        """An ISO 4217 code (upper-cased)."""
        value = self.get(name).upper()
        if not _CURRENCY.fullmatch(value):
            raise FormError(f"{label} must be three letters (ISO 4217), e.g. EUR")
        return value

    def amount(self, name: str, label: str) -> Units:
        """A positive amount with at most four decimals, in units (never a float)."""
        raw = self.get(name).replace(",", "")
        if not raw:
            raise FormError(f"{label} is required")
        try:
            units = parse_amount_text(raw)
        except AmountError:
            raise FormError(
                f"{label} {raw[:30]!r} is not an amount with at most 4 decimals, e.g. 25.50"
            ) from None
        if units <= 0:
            raise FormError(f"{label} must be more than zero")
        if units > LEDGER_LIMIT:
            raise FormError(f"{label} is larger than the ledger can hold")
        return units

    def choice(self, name: str, label: str, options: tuple[str, ...]) -> str:
        """One of ``options``."""
        value = self.get(name)
        if value not in options:
            raise FormError(f"{label} must be one of: {', '.join(options)}")
        return value

    def day(self, name: str, label: str, *, end: bool = False) -> int | None:
        """A ``YYYY-MM-DD`` date (UTC) as microseconds since the epoch: its first
        microsecond, or with ``end`` the first of the next day; None when empty."""
        value = self.get(name)
        if not value:
            return None
        try:
            if not _DAY.fullmatch(value):
                raise ValueError
            day = datetime.date.fromisoformat(value)
        except ValueError:
            raise FormError(f"{label} must be a date like 2026-01-31") from None
        start = datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)
        if end:
            start += datetime.timedelta(days=1)
        return int(start.timestamp()) * 1_000_000

    def seconds(self, name: str, label: str) -> float:  # float ok: seconds, not money
        """Seconds from 0.1 to 120."""
        try:
            value = Decimal(self.get(name) or "6")
        except InvalidOperation:
            raise FormError(f"{label} must be a number of seconds") from None
        if not value.is_finite() or not Decimal("0.1") <= value <= 120:
            raise FormError(f"{label} must be from 0.1 to 120 seconds")
        return float(value)  # float ok: seconds

    def url(self, name: str, label: str) -> str:
        """An http(s) URL."""
        value = self.get(name)
        parts = urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or any(c.isspace() for c in value)
        ):
            raise FormError(f"{label} must be an http:// or https:// URL")
        return value.rstrip("/")


def foreign_origin(origin: str | None, host: str | None) -> bool:
    """Whether a request's ``Origin`` names another site than ``Host`` (an opaque
    ``Origin: null`` proves nothing either way: the CSRF token decides)."""
    return bool(origin and origin != "null" and host and urlsplit(origin).netloc != host)
