"""Typed rows: a table's row is a frozen msgspec Struct, its column list is the Struct's.

A table module declares its row once::

    class Campaign(msgspec.Struct, frozen=True, array_like=True):
        new_campaign_id: str
        remaining: int
        status: CampaignStatus          # an enum: the stored text is checked on read

and builds its statements from it (``columns(Campaign)``, ``insert(table, Campaign)``),
so the SELECT list and the fields can never drift apart. ``fetch_one``/``fetch_all``
convert each database tuple with ``msgspec.convert`` (``array_like``: by position in
that very column list), which checks every value against the field's type: a stored
status outside its enum, or a NULL where the row says ``int``, fails loudly at the
storage boundary instead of deep in the code that reads it. SQLite and PostgreSQL both
hand back 0/1 for a ``SMALLINT`` flag; ``bool`` fields accept it.
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

import msgspec

from reelbridge.storage.sql import Flow, Sql, every, one

Row = msgspec.Struct
_R = TypeVar("_R", bound=msgspec.Struct)


def columns(model: type[msgspec.Struct], prefix: str = "") -> str:
    """The model's fields as a SELECT list (``prefix`` qualifies them: ``"r."``)."""
    return ", ".join(prefix + name for name in model.__struct_fields__)


def insert(table: str, model: type[msgspec.Struct], suffix: str = "") -> Sql:
    """``INSERT INTO table (every field) VALUES (?, …)`` followed by ``suffix``."""
    names = model.__struct_fields__
    marks = ", ".join("?" for _ in names)
    return Sql.of(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}) {suffix}")


def params(row: msgspec.Struct) -> tuple[Any, ...]:
    """The row's values in column order, as the drivers take them (enums as their
    values, booleans as 0/1)."""
    return tuple(_plain(v) for v in msgspec.structs.astuple(row))


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool):
        return int(value)
    return value


def convert(model: type[_R], row: Any) -> _R:
    """One database tuple as a ``model`` (every field checked against its type)."""
    return msgspec.convert(tuple(row), model, strict=False)


def fetch_one(model: type[_R], sql: Sql, *args: Any) -> Flow[_R | None]:
    """The first row of ``sql`` as a ``model``, or None."""
    row = yield one(sql, *args)
    return None if row is None else convert(model, row)


def fetch_all(model: type[_R], sql: Sql, *args: Any) -> Flow[list[_R]]:
    """Every row of ``sql`` as ``model``\\ s."""
    rows = yield every(sql, *args)
    return [convert(model, row) for row in rows]
