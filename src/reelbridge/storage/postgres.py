"""The PostgreSQL engine: asyncpg, one transaction per flow, safe across processes.

Concurrency comes from PostgreSQL itself: flows lock the player's account row
(``FOR UPDATE``) before reading anything they decide on, and the unique key of the
journal turns a concurrent duplicate into a wait followed by a replay (rule B10).
Deadlocks and serialisation failures are retried by re-running the whole flow, which
is safe because a flow has no effect outside its transaction.

Reads (``read``) run in a read-only ``REPEATABLE READ`` transaction: every statement
of a read flow sees the same snapshot (a ledger check compares balances with journal
sums taken at one instant), and MVCC means a read never waits for a writer's locks.
They use the same pool, or the pool of ``read_dsn`` (a replica) when one is given.
"""

from __future__ import annotations

from typing import Any, TypeVar

import asyncpg

from reelbridge.storage.errors import DatabaseUnavailable, NotStarted
from reelbridge.storage.sql import Fetch, Flow, FlowFactory, Query

_T = TypeVar("_T")
_RETRIES = 5


class PostgresEngine:
    """Runs flows on a PostgreSQL database through an asyncpg pool."""

    dialect = "postgres"

    def __init__(
        self, dsn: str, *, min_size: int = 2, max_size: int = 16, read_dsn: str | None = None
    ) -> None:
        self.dsn = dsn
        self.read_dsn = read_dsn
        self._min_size = min_size
        self._max_size = max_size
        self._pool: Any = None
        self._read_pool: Any = None

    def __repr__(self) -> str:
        return "PostgresEngine(<dsn>)"

    async def start(self) -> None:
        """Open the connection pool."""
        if self._pool is not None:
            return
        try:
            self._pool = await self._open(self.dsn)
            self._read_pool = self._pool
            if self.read_dsn is not None:
                self._read_pool = await self._open(self.read_dsn)
        except (OSError, asyncpg.PostgresError) as exc:
            await self.close()
            raise DatabaseUnavailable(f"cannot connect to PostgreSQL: {exc}") from None

    def pool_stats(self) -> dict[str, dict[str, int]]:
        """Connections of each pool (``main``, and ``read`` for a replica): busy, idle, max."""
        stats: dict[str, dict[str, int]] = {}
        pools = {"main": self._pool, "read": self._read_pool}
        for name, pool in pools.items():
            if pool is None or (name == "read" and pool is self._pool):
                continue
            size, idle = pool.get_size(), pool.get_idle_size()
            stats[name] = {"busy": size - idle, "idle": idle, "max": pool.get_max_size()}
        return stats

    async def _open(self, dsn: str) -> Any:
        return await asyncpg.create_pool(
            dsn, min_size=self._min_size, max_size=self._max_size, reset=_no_reset
        )

    async def run(self, factory: FlowFactory[_T], *, one_statement: bool = False) -> _T:
        """Run one unit of work in its own transaction, retrying on deadlock.

        ``one_statement``: the flow's single query runs as its own transaction (one
        round trip); a flow that yields a second query raises ``RuntimeError``.
        """
        pool = self._pool
        if pool is None:
            raise NotStarted("the PostgreSQL engine is not running")
        for attempt in range(_RETRIES):
            conn = await _acquire(pool)
            try:
                if one_statement:
                    return await _drive_one(conn, factory())
                async with conn.transaction():
                    return await _drive(conn, factory())
            except (
                asyncpg.exceptions.DeadlockDetectedError,
                asyncpg.exceptions.SerializationError,
            ):
                if attempt == _RETRIES - 1:
                    raise
            except (OSError, asyncpg.exceptions.ConnectionDoesNotExistError) as exc:
                raise DatabaseUnavailable(f"PostgreSQL connection lost: {exc}") from None
            finally:
                await pool.release(conn)
        raise AssertionError("unreachable")

    async def read(self, factory: FlowFactory[_T]) -> _T:
        """Run a read-only flow on one snapshot (see the module), retrying like ``run``."""
        pool = self._read_pool
        if pool is None:
            raise DatabaseUnavailable("the PostgreSQL engine is not running")
        for attempt in range(_RETRIES):
            try:
                async with (
                    pool.acquire() as conn,
                    conn.transaction(isolation="repeatable_read", readonly=True),
                ):
                    return await _drive(conn, factory())
            except asyncpg.exceptions.SerializationError:  # a replica cancelled the read
                if attempt == _RETRIES - 1:
                    raise
            except (OSError, asyncpg.exceptions.ConnectionDoesNotExistError) as exc:
                raise DatabaseUnavailable(f"PostgreSQL connection lost: {exc}") from None
        raise AssertionError("unreachable")

    async def close(self) -> None:
        """Close the pools."""
        pool, self._pool = self._pool, None
        read_pool, self._read_pool = self._read_pool, None
        if read_pool is not None and read_pool is not pool:
            await read_pool.close()
        if pool is not None:
            await pool.close()


async def _acquire(pool: Any) -> Any:
    """A connection of the pool; ``NotStarted`` when none can be had (nothing was sent)."""
    try:
        return await pool.acquire()
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise NotStarted(f"no PostgreSQL connection: {exc}") from None


async def _no_reset(conn: Any) -> None:
    """Skip asyncpg's per-release reset (a round trip): flows leave no session state;
    every lock they take is transaction-scoped."""


async def _execute(conn: Any, query: Query) -> Any:
    sql = query.sql.postgres
    if query.fetch is Fetch.NONE:
        await conn.execute(sql, *query.params)
        return None
    if query.fetch is Fetch.ALL:
        return [tuple(row) for row in await conn.fetch(sql, *query.params)]
    if query.fetch is Fetch.VALUE:
        return await conn.fetchval(sql, *query.params)
    row = await conn.fetchrow(sql, *query.params)
    return None if row is None else tuple(row)


async def _drive(conn: Any, flow: Flow[_T]) -> _T:
    try:
        query = next(flow)
        while True:
            query = flow.send(await _execute(conn, query))
    except StopIteration as stop:
        result: _T = stop.value
        return result
    finally:
        flow.close()


async def _drive_one(conn: Any, flow: Flow[_T]) -> _T:
    try:
        query = next(flow)
        flow.send(await _execute(conn, query))
    except StopIteration as stop:
        result: _T = stop.value
        return result
    finally:
        flow.close()
    raise RuntimeError("a one-statement flow yielded a second query")
