"""Paginated, filtered read-only listings for admin APIs (both sides).

A ``Listing`` names its SELECT, its columns, the filters it accepts and how each filter
becomes SQL; money columns are formatted as exact decimal strings (the wire's format,
what programs parse) with a ``<column>_display`` beside each in a row that names its
currency (that currency's decimals, grouped: what people read), and token columns are
replaced by fingerprints, so no listing can leak a secret or show a float.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reelbridge.protocol import display_amount, format_amount
from reelbridge.storage.audit import AUDIT_TABLES, fingerprint
from reelbridge.storage.sql import Flow, Sql, every

MAX_LIMIT = 500


class FilterError(ValueError):
    """A filter value that cannot be used (e.g. not an integer where one is needed)."""


def _as_int(raw: str) -> int:
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        raise FilterError(f"not an integer (at most 18 digits): {raw[:40]!r}")
    return int(raw)


@dataclass(frozen=True)
class Filter:
    """A query parameter and its SQL condition (with one ``?``)."""

    condition: str
    convert: Callable[[str], Any] = str


def eq(column: str) -> Filter:
    """``column = value``."""
    return Filter(f"{column} = ?")


def int_filter(condition: str) -> Filter:
    """A condition whose value is an integer."""
    return Filter(condition, _as_int)


@dataclass(frozen=True)
class Listing:
    """One listing: ``select`` (without WHERE/ORDER), its columns, filters and order."""

    select: str
    columns: tuple[str, ...]
    filters: dict[str, Filter]
    order: str
    money: frozenset[str] = field(default_factory=frozenset)
    secrets: frozenset[str] = field(default_factory=frozenset)

    def rows(
        self, filters: dict[str, str], limit: int, offset: int, *, key: bytes | None = None
    ) -> Flow[list[dict[str, Any]]]:
        """One page, as dicts; raises ``FilterError`` for an unusable filter value.

        Token columns show keyed fingerprints (``key``), or ``"***"`` without a key.
        """
        where = [self.filters[name].condition for name in filters]
        values = [self.filters[name].convert(raw) for name, raw in filters.items()]
        text = self.select + (" WHERE " + " AND ".join(where) if where else "")
        text += f" ORDER BY {self.order} LIMIT ? OFFSET ?"
        rows = yield every(Sql.of(text), *values, limit, offset)
        out = []
        for row in rows:
            item = dict(zip(self.columns, row, strict=True))
            currency = item.get("currency")
            for name in sorted(self.money & item.keys()):
                if item[name] is not None:
                    if isinstance(currency, str):  # for people: the currency's decimals
                        item[f"{name}_display"] = display_amount(item[name], currency)
                    item[name] = format_amount(item[name])
            for column in self.secrets:
                tokens = json.loads(item[column])
                item[column] = ["***" if key is None else fingerprint(t, key) for t in tokens]
            out.append(item)
        return out


def audit_listing(table: str) -> Listing:
    """The listing of an audit table (``audit_log`` or ``provider_audit_log``)."""
    if table not in AUDIT_TABLES:
        raise ValueError(f"not an audit table: {table}")
    return Listing(
        f"SELECT id, actor, action, subject, before, after, reason, created_at FROM {table}",
        ("id", "actor", "action", "subject", "before", "after", "reason", "created_at"),
        {"actor": eq("actor"), "action": eq("action"), "subject": eq("subject")},
        "id DESC",
    )
