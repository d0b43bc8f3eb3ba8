"""Statements written once for both engines, and flows that yield them.

A *flow* is a generator that yields ``Query`` objects and receives each result: the
business code of a unit of work is written once, without I/O, and an engine adapter
drives it (synchronously in the SQLite writer thread, asynchronously over asyncpg).
This keeps the wallet rules sans-IO (STYLE.md 2) and the two engines honest: the same
statements, the same order, the same transaction boundaries.

SQL is written with ``?`` placeholders; ``{lock}`` marks where PostgreSQL takes a row
lock (``FOR UPDATE``, or ``{lock:a}`` for ``FOR UPDATE OF a``) that SQLite's single
writer makes unnecessary; ``{skip}`` marks a claim that concurrent PostgreSQL workers
share (``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

_T = TypeVar("_T")
_LOCK = re.compile(r" ?\{lock(?::(\w+))?\}")


class Fetch(enum.Enum):
    """What a query returns to the flow."""

    NONE = "none"  # nothing (None)
    ONE = "one"  # the first row as a tuple, or None
    ALL = "all"  # a list of tuples
    VALUE = "value"  # the first column of the first row, or None


@dataclass(frozen=True, slots=True)
class Sql:
    """One statement in both dialects, translated once at import."""

    text: str
    sqlite: str
    postgres: str

    @classmethod
    def of(cls, text: str) -> Sql:
        """Build both dialect variants of ``text``."""
        text = " ".join(text.split())
        counter = iter(range(1, 10_000))
        postgres = re.sub(r"\?", lambda _m: f"${next(counter)}", text)
        postgres = _LOCK.sub(lambda m: " FOR UPDATE" + (f" OF {m[1]}" if m[1] else ""), postgres)
        postgres = postgres.replace(" {skip}", " FOR UPDATE SKIP LOCKED")
        sqlite = _LOCK.sub("", text).replace(" {skip}", "")
        return cls(text=text, sqlite=sqlite, postgres=postgres)


@dataclass(frozen=True, slots=True)
class Query:
    """A statement to run with its parameters, and what to return."""

    sql: Sql
    params: tuple[Any, ...] = ()
    fetch: Fetch = Fetch.NONE


Flow: TypeAlias = Generator[Query, Any, _T]
FlowFactory: TypeAlias = Callable[[], Flow[_T]]


def one(sql: Sql, *params: Any) -> Query:
    """A query answering one row (or None)."""
    return Query(sql, params, Fetch.ONE)


def every(sql: Sql, *params: Any) -> Query:
    """A query answering all rows."""
    return Query(sql, params, Fetch.ALL)


def value(sql: Sql, *params: Any) -> Query:
    """A query answering one value (or None)."""
    return Query(sql, params, Fetch.VALUE)


def run(sql: Sql, *params: Any) -> Query:
    """A statement answering nothing."""
    return Query(sql, params, Fetch.NONE)
