"""The SQLite engine: one writer thread, group commit, durable before answering.

Theory of operation. Every unit of work (a flow, see ``sql.py``) is queued to a single
thread that owns the only connection. The thread takes everything queued (up to
``batch_limit``), opens one ``BEGIN IMMEDIATE`` transaction, runs each flow inside its
own ``SAVEPOINT`` (so a failing flow rolls back alone), then ``COMMIT``s once: one
fsync for the whole batch with ``synchronous=FULL``. Only after that commit returns are
the callers' futures resolved, so no request is answered before its effects are
durable. Under load batches grow by themselves and throughput scales with them; idle,
a batch is one flow and latency is one fsync.

One writer also means no two flows ever interleave: the ordering guarantees that
PostgreSQL gets from row locks come for free here.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from reelbridge.storage.errors import DatabaseUnavailable
from reelbridge.storage.sql import Fetch, Flow, FlowFactory, Query

_T = TypeVar("_T")


@dataclass(slots=True)
class _Job:
    factory: FlowFactory[Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


_STOP = object()


class SqliteEngine:
    """Runs flows against one SQLite file through a single group-committing writer."""

    dialect = "sqlite"

    def __init__(self, path: Path, *, batch_limit: int = 512) -> None:
        self.path = path
        self._batch_limit = batch_limit
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._open_error: BaseException | None = None
        self.batches = 0
        self.flows = 0

    def __repr__(self) -> str:
        return f"SqliteEngine({str(self.path)!r})"

    async def start(self) -> None:
        """Open the database file (creating its folder) and start the writer."""
        if self._thread is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._writer, name="sqlite-writer", daemon=True)
        self._thread.start()
        await asyncio.get_running_loop().run_in_executor(None, self._ready.wait)
        if self._open_error is not None:
            self._thread = None
            raise DatabaseUnavailable(f"cannot open {self.path}: {self._open_error}")

    async def run(self, factory: FlowFactory[_T]) -> _T:
        """Run one unit of work; return once it is committed and durable."""
        if self._thread is None:
            raise DatabaseUnavailable("the SQLite engine is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()
        self._queue.put(_Job(factory, future, loop))
        return await future

    async def close(self) -> None:
        """Finish the queued work, then stop the writer and close the file."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(_STOP)
        await asyncio.get_running_loop().run_in_executor(None, thread.join)

    # -- the writer thread ----------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, cached_statements=512
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    def _writer(self) -> None:
        try:
            conn = self._connect()
        except (sqlite3.Error, OSError) as exc:
            self._open_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            stopping = False
            while not stopping:
                first = self._queue.get()
                if first is _STOP:
                    break
                batch = [first]
                while len(batch) < self._batch_limit:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stopping = True
                        break
                    batch.append(item)
                self._run_batch(conn, batch)  # type: ignore[arg-type]
        finally:
            conn.close()

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            error = DatabaseUnavailable(f"cannot begin a transaction: {exc}")
            self._deliver([(job, None, error) for job in batch])
            return
        for job in batch:
            if job.future.cancelled():
                continue
            conn.execute("SAVEPOINT flow")
            try:
                result = _drive(conn, job.factory())
            except Exception as exc:
                conn.execute("ROLLBACK TO flow")
                conn.execute("RELEASE flow")
                outcomes.append((job, None, exc))
            else:
                conn.execute("RELEASE flow")
                outcomes.append((job, result, None))
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            error = DatabaseUnavailable(f"commit failed: {exc}")
            outcomes = [(job, None, error) for job, _, _ in outcomes]
        self.batches += 1
        self.flows += len(outcomes)
        self._deliver(outcomes)

    @staticmethod
    def _deliver(outcomes: list[tuple[_Job, Any, BaseException | None]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job, Any, BaseException | None]]]
        by_loop = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome[0].loop, []).append(outcome)
        for loop, items in by_loop.items():
            # A closed loop raises RuntimeError: nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, items)


def _resolve(items: list[tuple[_Job, Any, BaseException | None]]) -> None:
    for job, result, error in items:
        if job.future.done():
            continue
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)


def _execute(conn: sqlite3.Connection, query: Query) -> Any:
    cursor = conn.execute(query.sql.sqlite, query.params)
    if query.fetch is Fetch.NONE:
        return None
    if query.fetch is Fetch.ALL:
        return cursor.fetchall()
    row = cursor.fetchone()
    if query.fetch is Fetch.ONE or row is None:
        return row
    return row[0]


def _drive(conn: sqlite3.Connection, flow: Flow[_T]) -> _T:
    try:
        query = next(flow)
        while True:
            query = flow.send(_execute(conn, query))
    except StopIteration as stop:
        result: _T = stop.value
        return result
    finally:
        flow.close()
