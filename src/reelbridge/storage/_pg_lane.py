"""Connections for one-statement units of work, handed out without a pool's machinery.

A wallet call on PostgreSQL is one statement (one round trip). asyncpg's pool costs
≈ 22 µs of the server's CPU per acquire and release (timeouts, shields, reset hooks,
context objects) against ≈ 12 µs for the statement itself; a lane is a list of idle
connections and a queue of waiters. A statement that fails with a database error
leaves its connection usable; any other failure (connection lost, cancellation in the
middle of a round trip) closes it, and the lane opens a fresh one when needed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg


class Lane:
    """At most ``size`` connections to ``dsn``, opened on demand."""

    def __init__(self, dsn: str, size: int) -> None:
        self._dsn = dsn
        self._size = size
        self._idle: list[Any] = []
        self._waiters: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._open = 0
        self._closed = False

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A connection for one statement (outside any transaction)."""
        conn = await self._acquire()
        healthy = False
        try:
            yield conn
            healthy = True
        except asyncpg.PostgresError:
            healthy = True  # the server refused the statement; the connection is fine
            raise
        finally:
            self._release(conn, healthy)

    async def _acquire(self) -> Any:
        if self._closed:
            raise ConnectionError("the lane is closed")
        while self._idle:
            conn = self._idle.pop()
            if not conn.is_closed():
                return conn
            self._open -= 1
        if self._open < self._size:
            self._open += 1
            try:
                return await asyncpg.connect(self._dsn)
            except BaseException:
                self._open -= 1
                raise
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        conn = await waiter  # None: a connection was closed, open one instead
        return conn if conn is not None else await self._acquire()

    def _release(self, conn: Any, healthy: bool) -> None:
        if not healthy or self._closed or conn.is_closed():
            self._open -= 1
            conn.terminate()
            conn = None
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        if conn is not None:
            self._idle.append(conn)

    async def close(self) -> None:
        """Close the idle connections; the busy ones close when released."""
        self._closed = True
        idle, self._idle = self._idle, []
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(ConnectionError("the lane is closed"))
        self._waiters.clear()
        for conn in idle:
            self._open -= 1
            with contextlib.suppress(Exception):
                await conn.close(timeout=5)
