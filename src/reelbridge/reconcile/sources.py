"""Reading the books of each side: through its admin API, or from its database.

Both ways run the same listings (``/admin/rounds``, ``/admin/outbox``,
``/admin/transactions``, ``/admin/ledger``; from a database URL the very ``Listing``
objects behind those endpoints) and parse each row with ``books.py``.

The wallet is read before the provider: the provider stores a round and its outbox row
before it sends anything, so every wallet transaction read has its round read too. On a
system in play a round may still move between the two reads (its win landing after the
wallet was read): reconcile a quiet system, or re-check until the books agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import httpx

from reelbridge.aggregator.listings import LISTINGS as WALLET_LISTINGS
from reelbridge.aggregator.listings import ledger_check
from reelbridge.client import AdminClient, AdminError
from reelbridge.provider import clients as provider_clients
from reelbridge.provider import outbox, rounds
from reelbridge.reconcile.books import (
    Books,
    BooksError,
    ClientBooks,
    LedgerCheck,
    OutboxRow,
    ProviderRound,
    WalletTransaction,
    ledger_from_report,
    outbox_from_listing,
    round_from_listing,
    transaction_from_listing,
)
from reelbridge.storage import Engine, StorageError, engine_from_url
from reelbridge.storage.listing import MAX_LIMIT, Listing


class SourceError(Exception):
    """A side's books could not be read (unreachable, refused, not a reelbridge side)."""


class ProviderBooks(Protocol):
    """Port: the provider's side of reconciliation."""

    def client_ids(self) -> list[str]:
        """Every client id the provider serves."""
        ...

    def rounds(self, client_id: str) -> list[ProviderRound]:
        """Every round of a client."""
        ...

    def outbox(self, client_id: str) -> list[OutboxRow]:
        """Every outbox row of a client."""
        ...


class WalletBooks(Protocol):
    """Port: the wallet's side of reconciliation."""

    def transactions(self, client_id: str) -> list[WalletTransaction]:
        """Every journal row of a client."""
        ...

    def ledger(self) -> LedgerCheck:
        """The wallet's ledger check."""
        ...


def read_books(
    provider: ProviderBooks,
    wallet: WalletBooks,
    *,
    clients: Sequence[str] = (),
    clock: Callable[[], int],
) -> Books:
    """Both sides' rows for ``clients`` (default: every client of the provider).

    Raises:
        SourceError: a side could not be read.
    """
    ids = sorted(set(clients)) if clients else provider.client_ids()
    transactions = {c: wallet.transactions(c) for c in ids}
    ledger = wallet.ledger()
    now = clock()
    return Books(
        [ClientBooks(c, provider.rounds(c), provider.outbox(c), transactions[c]) for c in ids],
        ledger,
        now,
    )


# -- through the admin APIs --------------------------------------------------------------


@contextlib.contextmanager
def _reading(what: str) -> Iterator[None]:
    try:
        yield
    except AdminError as exc:
        raise SourceError(f"{what}: {exc.code}: {exc.message}") from None
    except (httpx.HTTPError, OSError) as exc:
        raise SourceError(f"{what}: cannot reach it: {exc}") from None
    except (BooksError, StorageError, sqlite3.Error, asyncpg.PostgresError) as exc:
        raise SourceError(f"{what}: {exc}") from None


def _pages(admin: AdminClient, name: str, key: str, **filters: str) -> list[dict[str, Any]]:
    # Offset pages of a listing that grows while it is read may repeat a row: keep one.
    seen: dict[Any, dict[str, Any]] = {}
    offset: int | None = 0
    while offset is not None:
        page = admin.get(f"/admin/{name}", limit=MAX_LIMIT, offset=offset, **filters)
        for row in page["items"]:
            seen.setdefault(row[key], row)
        offset = page["next_offset"]
    return list(seen.values())


class ProviderApi:
    """The provider's books through its admin API (``REELBRIDGE_PROVIDER_ADMIN_TOKEN``)."""

    def __init__(self, admin: AdminClient) -> None:
        self._admin = admin

    def client_ids(self) -> list[str]:
        """Every client id the provider serves."""
        with _reading("the provider's clients"):
            return sorted(r["client_id"] for r in _pages(self._admin, "clients", "client_id"))

    def rounds(self, client_id: str) -> list[ProviderRound]:
        """Every round of a client."""
        with _reading("the provider's rounds"):
            rows = _pages(self._admin, "rounds", "round_id", client_id=client_id)
            return [round_from_listing(r) for r in rows]

    def outbox(self, client_id: str) -> list[OutboxRow]:
        """Every outbox row of a client."""
        with _reading("the provider's outbox"):
            rows = _pages(self._admin, "outbox", "id", client_id=client_id)
            return [outbox_from_listing(r) for r in rows]


class WalletApi:
    """The wallet's books through the aggregator's admin API (``REELBRIDGE_ADMIN_TOKEN``)."""

    def __init__(self, admin: AdminClient) -> None:
        self._admin = admin

    def transactions(self, client_id: str) -> list[WalletTransaction]:
        """Every journal row of a client."""
        with _reading("the wallet's transactions"):
            rows = _pages(self._admin, "transactions", "id", client_id=client_id)
            return [transaction_from_listing(r) for r in rows]

    def ledger(self) -> LedgerCheck:
        """The wallet's ledger check."""
        with _reading("the wallet's ledger"):
            return ledger_from_report(self._admin.get("/admin/ledger"))


# -- from the databases ------------------------------------------------------------------

_CHUNK = 5000


class Database:
    """A database read with the listings of its side (an event loop of its own, so the
    callers stay synchronous); nothing is written, not even a migration."""

    def __init__(self, url: str, runner: asyncio.Runner) -> None:
        try:
            self._engine: Engine = engine_from_url(url)
        except StorageError as exc:
            raise SourceError(str(exc)) from None
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if str(path) == ":memory:" or not path.is_file():
                raise SourceError(f"no SQLite database at {path}")
        self._runner = runner
        self._url = url

    def __enter__(self) -> Database:
        with _reading(f"the database {self._engine!r}"):
            self._runner.run(self._engine.start())
        return self

    def __exit__(self, *exc: object) -> None:
        self._runner.run(self._engine.close())

    def rows(self, listing: Listing, what: str, key: str, **filters: str) -> list[dict[str, Any]]:
        """Every row of a listing (a row repeated by a page shift is kept once)."""
        seen: dict[Any, dict[str, Any]] = {}
        offset = 0
        with _reading(what):
            while True:
                flow = functools.partial(listing.rows, filters, _CHUNK, offset)
                page = self._runner.run(self._engine.run(flow))
                for row in page:
                    seen.setdefault(row[key], row)
                offset += len(page)
                if len(page) < _CHUNK:
                    return list(seen.values())

    def run(self, what: str, flow: Callable[[], Any]) -> Any:
        """One flow's result."""
        with _reading(what):
            return self._runner.run(self._engine.run(flow))


class ProviderDatabase:
    """The provider's books read from its database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def client_ids(self) -> list[str]:
        """Every client id the provider serves."""
        rows = self._db.rows(provider_clients.LISTING, "the provider's clients", "client_id")
        return sorted(str(r["client_id"]) for r in rows)

    def rounds(self, client_id: str) -> list[ProviderRound]:
        """Every round of a client."""
        rows = self._db.rows(
            rounds.LISTING, "the provider's rounds", "round_id", client_id=client_id
        )
        with _reading("the provider's rounds"):
            return [round_from_listing(r) for r in rows]

    def outbox(self, client_id: str) -> list[OutboxRow]:
        """Every outbox row of a client."""
        rows = self._db.rows(outbox.LISTING, "the provider's outbox", "id", client_id=client_id)
        with _reading("the provider's outbox"):
            return [outbox_from_listing(r) for r in rows]


class WalletDatabase:
    """The wallet's books read from its database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def transactions(self, client_id: str) -> list[WalletTransaction]:
        """Every journal row of a client."""
        listing = WALLET_LISTINGS["transactions"]
        rows = self._db.rows(listing, "the wallet's transactions", "id", client_id=client_id)
        with _reading("the wallet's transactions"):
            return [transaction_from_listing(r) for r in rows]

    def ledger(self) -> LedgerCheck:
        """The wallet's ledger check."""
        report = self._db.run("the wallet's ledger", ledger_check)
        with _reading("the wallet's ledger"):
            return ledger_from_report(report)
