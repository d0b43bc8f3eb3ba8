"""The storage port, URL parsing and migrations.

``Engine`` is the port the services depend on: ``run`` executes one flow as one unit
of work; ``read`` runs a read-only flow on the read path, which never waits for the
writer and never holds it up (SQLite: WAL readers on their own connections and
threads; PostgreSQL: the pool, or a replica's pool). Adapters: ``SqliteEngine`` (the
embedded default) and ``PostgresEngine``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol, TypeVar

from reelbridge.storage.errors import BadDatabaseUrl
from reelbridge.storage.migrations import BOOKKEEPING, Migration
from reelbridge.storage.sql import Flow, FlowFactory, Sql, every, run, value

_T = TypeVar("_T")


class Engine(Protocol):
    """Runs flows (see ``storage.sql``) as units of work on one database."""

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgres"``."""

    async def start(self) -> None:
        """Connect."""

    async def run(self, factory: FlowFactory[_T], *, one_statement: bool = False) -> _T:
        """Run the flow built by ``factory`` in one transaction; return its result.

        ``one_statement``: the flow yields at most one query, which is then its own
        transaction (on PostgreSQL a single round trip, without BEGIN and COMMIT); a
        second query is an error.
        """

    async def read(self, factory: FlowFactory[_T]) -> _T:
        """Run a read-only flow on the read path, all of it on one snapshot.

        It sees every unit of work whose ``run`` has returned (on a replica: once the
        replica has caught up). A flow that tries to write fails and changes nothing.
        """

    async def close(self) -> None:
        """Release connections, finishing queued work first."""


def engine_from_url(url: str, *, read_url: str | None = None) -> Engine:
    """Build the engine named by a database URL.

    ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
    ``sqlite:///:memory:`` (the in-memory fake of the port, for unit tests) or
    ``postgresql://user@host:port/db`` (also ``postgres://``). ``read_url`` (PostgreSQL
    only) names a replica that serves ``Engine.read``.

    Raises:
        BadDatabaseUrl: any other URL, or a ``read_url`` for SQLite or not PostgreSQL.
    """
    from reelbridge.storage.postgres import PostgresEngine
    from reelbridge.storage.sqlite import SqliteEngine

    postgres = ("postgresql://", "postgres://")
    if url == "sqlite:///:memory:":  # in-process, gone with the engine (unit tests)
        return SqliteEngine(Path(":memory:"))
    if url.startswith("sqlite:///"):
        if read_url:
            raise BadDatabaseUrl("a read URL needs PostgreSQL (SQLite reads its own file)")
        path = url.removeprefix("sqlite:///")
        if not path or path.endswith("/"):
            raise BadDatabaseUrl(f"the SQLite URL names no file: {url!r}")
        return SqliteEngine(Path(path))
    if url.startswith(postgres):
        if read_url and not read_url.startswith(postgres):
            raise BadDatabaseUrl(f"the read URL must be postgresql://…, not {read_url!r}")
        return PostgresEngine(url, read_dsn=read_url or None)
    raise BadDatabaseUrl(
        f"unsupported database URL {url!r}: use sqlite:///path/to/file.db or postgresql://…"
    )


_LOCK = Sql.of("SELECT pg_advisory_xact_lock(?)")
_APPLIED = Sql.of("SELECT count(*) FROM schema_migrations WHERE component = ? AND version = ?")
_RECORD = Sql.of(
    "INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)"
)
_MIGRATION_LOCK_KEY = 0x7265656C  # "reel"


def _migrate(dialect: str, migrations: tuple[Migration, ...], now: int) -> Flow[list[str]]:
    if dialect == "postgres":
        yield value(_LOCK, _MIGRATION_LOCK_KEY)
    yield run(Sql.of(BOOKKEEPING))
    applied: list[str] = []
    for migration in migrations:
        if (yield value(_APPLIED, migration.component, migration.version)):
            continue
        for statement in migration.for_dialect(dialect):
            yield run(Sql.of(statement))
        yield run(_RECORD, migration.component, migration.version, migration.name, now)
        applied.append(f"{migration.component}:{migration.version}")
    return applied


_APPLIED_ALL = Sql.of("SELECT component, version FROM schema_migrations")


def pending_migrations(migrations: tuple[Migration, ...]) -> Flow[list[str]]:
    """The migrations not applied yet (``component:version``), for readiness checks."""
    rows = yield every(_APPLIED_ALL)
    applied = {(str(c), int(v)) for c, v in rows}
    return [
        f"{m.component}:{m.version}" for m in migrations if (m.component, m.version) not in applied
    ]


async def migrate(engine: Engine, migrations: tuple[Migration, ...]) -> list[str]:
    """Apply the migrations not yet applied, atomically; return their names."""
    now = time.time_ns() // 1000
    return await engine.run(lambda: _migrate(engine.dialect, migrations, now))
