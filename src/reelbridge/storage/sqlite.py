"""The SQLite engine: group commit, durable before answering.

Theory of operation. The engine owns one connection. Units of work (flows, see
``sql.py``) queue up; a single batch task takes everything queued (up to
``batch_limit``), opens one ``BEGIN IMMEDIATE`` transaction, runs each flow inside its
own ``SAVEPOINT`` (so a failing flow rolls back alone), then ``COMMIT``s once: one fsync
for the whole batch with ``synchronous=FULL``. Only after that commit returns are the
callers' futures resolved, so no request is answered before its effects are durable.

The statements of a flow run on the event-loop thread (they touch only SQLite's page
cache and take microseconds; handing each one to a thread would cost more in GIL
hand-offs than the statement itself), while the ``COMMIT`` — the fsync — runs in a
worker thread, during which the loop keeps serving requests that queue for the next
batch. Under load batches grow by themselves; idle, a batch is one flow and latency is
one fsync. One writer also means flows never interleave: the ordering guarantees that
PostgreSQL gets from row locks come for free here.

A new database file gets 1 KiB pages (``page_size``; SQLite's default is 4 KiB): every
call dirties a leaf page of each journal index at a place of its own, and the WAL
holds whole pages, so small pages write ≈ 40 % fewer bytes per call (8.5 against
13.9 KB measured). An existing file keeps its page size (``VACUUM`` changes it offline).

Checkpoints (copying committed WAL frames into the database file, then an fsync of the
file) run in a thread of their own with their own connection, a pass after commits at
most every ``checkpoint_seconds``, so that a commit rarely pays for one. SQLite's own
checkpoint at the end of a commit (every 16 MiB of WAL) then finds little left to copy,
and lets the WAL file start over.

Reads (``read``) never touch the writer: each reader thread has its own connection
(``query_only``) and runs a read flow inside one deferred transaction, so it sees one
WAL snapshot of committed data from start to end. A long read neither holds the event
loop (SQLite releases the GIL while it steps) nor waits for a group commit, and the
writer never waits for it: WAL readers and the writer don't block each other.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any, TypeVar

from reelbridge.storage.errors import DatabaseUnavailable, NotStarted
from reelbridge.storage.sql import Fetch, Flow, FlowFactory, Query

_T = TypeVar("_T")
log = logging.getLogger("reelbridge.storage.sqlite")
_Job = tuple[FlowFactory[Any], "asyncio.Future[Any]"]


class SqliteEngine:
    """Runs flows against one SQLite file with group commit."""

    dialect = "sqlite"

    def __init__(
        self,
        path: Path,
        *,
        batch_limit: int = 512,
        readers: int = 2,
        checkpoint_seconds: float = 0.05,  # float ok: seconds
        page_size: int = 1024,
        busy_timeout_ms: int = 10_000,
    ) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._page_size = page_size
        self._checkpoints = _Checkpointer(path, checkpoint_seconds)
        self._batch_limit = batch_limit
        self._conn: sqlite3.Connection | None = None
        self._pending: list[_Job] = []
        self._batcher: asyncio.Task[None] | None = None
        self._fsync: concurrent.futures.ThreadPoolExecutor | None = None
        self._readers = readers
        self._read_pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._local = threading.local()  # each reader thread's connection
        self._read_conns: list[sqlite3.Connection] = []
        self._read_lock = threading.Lock()
        self.batches = 0
        self.flows = 0

    def __repr__(self) -> str:
        return f"SqliteEngine({str(self.path)!r})"

    @property
    def checkpoints(self) -> int:
        """Passes of the checkpoint thread so far."""
        return self._checkpoints.passes

    def pool_stats(self) -> dict[str, dict[str, int]]:
        """The writer's queue (flows waiting for the next group commit) and the readers."""
        return {
            "writer": {"queued": len(self._pending), "max": 1},
            "read": {"max": self._readers, "open": len(self._read_conns)},
        }

    async def start(self) -> None:
        """Open the database file (creating its folder)."""
        if self._conn is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, cached_statements=512
            )
            conn.execute(f"PRAGMA page_size={int(self._page_size)}")  # a new file only
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
            # Interior pages of a large journal's indexes stay in memory (64 MiB), and a
            # page dirtied by many batches is copied to the file once per 16 MiB of WAL.
            conn.execute("PRAGMA cache_size=-65536")
            conn.execute("PRAGMA wal_autocheckpoint=4000")
        except (sqlite3.Error, OSError) as exc:
            raise DatabaseUnavailable(f"cannot open {self.path}: {exc}") from None
        self._conn = conn
        self._fsync = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sqlite-fsync")
        self._read_pool = concurrent.futures.ThreadPoolExecutor(
            self._readers, thread_name_prefix="sqlite-read"
        )
        self._checkpoints.start()

    async def run(self, factory: FlowFactory[_T], *, one_statement: bool = False) -> _T:
        """Run one unit of work; return once it is committed and durable.

        ``one_statement`` changes nothing here: every flow joins a group commit.
        """
        if self._conn is None:
            raise NotStarted("the SQLite engine is not running")
        future: asyncio.Future[_T] = asyncio.get_running_loop().create_future()
        self._pending.append((factory, future))
        if self._batcher is None or self._batcher.done():
            self._batcher = asyncio.create_task(self._batches())
        return await future

    async def read(self, factory: FlowFactory[_T]) -> _T:
        """Run a read-only flow in a reader thread, on one snapshot (see the module)."""
        if str(self.path) == ":memory:":  # the in-memory fake: another connection would
            return await self.run(factory)  # see another (empty) database
        pool = self._read_pool
        if self._conn is None or pool is None:
            raise DatabaseUnavailable("the SQLite engine is not running")
        loop = asyncio.get_running_loop()
        result: _T = await loop.run_in_executor(pool, self._read_in_thread, factory)
        return result

    def _read_in_thread(self, factory: FlowFactory[_T]) -> _T:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open_reader()
            self._local.conn = conn
        conn.execute("BEGIN")  # deferred: the first read takes the snapshot
        try:
            return _drive(conn, factory())
        finally:
            conn.execute("ROLLBACK")  # nothing to keep; ends the snapshot

    def _open_reader(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, cached_statements=256
            )
            conn.execute("PRAGMA query_only=ON")
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA cache_size=-16384")
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(f"cannot open {self.path} for reading: {exc}") from None
        with self._read_lock:
            self._read_conns.append(conn)
        return conn

    async def close(self) -> None:
        """Finish the queued work and the running reads, then close the file."""
        while self._batcher is not None and not self._batcher.done():
            await asyncio.shield(self._batcher)
        pool, self._read_pool = self._read_pool, None
        if pool is not None:
            await asyncio.get_running_loop().run_in_executor(None, pool.shutdown, True)
        with self._read_lock:
            readers, self._read_conns = self._read_conns, []
        for reader in readers:
            reader.close()
        self._local = threading.local()
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        if self._fsync is not None:
            self._fsync.shutdown(wait=True)
            self._fsync = None
        await asyncio.get_running_loop().run_in_executor(None, self._checkpoints.stop)

    async def _batches(self) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0)  # let the requests that are ready now join this batch
        while self._pending and self._conn is not None:
            batch = self._pending[: self._batch_limit]
            del self._pending[: self._batch_limit]
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                _fail(batch, NotStarted(f"cannot begin a transaction: {exc}"))
                continue
            try:
                outcomes = [_run_flow(conn, job) for job in batch]
                await loop.run_in_executor(self._fsync, conn.execute, "COMMIT")
            except Exception as exc:  # an I/O error: nothing of this batch is durable
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                _fail(batch, DatabaseUnavailable(f"commit failed: {exc}"))
                continue
            self._checkpoints.poke()
            self.batches += 1
            self.flows += len(batch)
            for (_, future), (result, error) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(result)
            # Let this batch's callers answer before the next batch's statements hold
            # the loop: their clients send their next calls a batch earlier.
            await asyncio.sleep(0)


def _fail(batch: list[_Job], error: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)


def _run_flow(conn: sqlite3.Connection, job: _Job) -> tuple[Any, BaseException | None]:
    factory, future = job
    if future.cancelled():
        return None, None
    conn.execute("SAVEPOINT flow")
    try:
        result = _drive(conn, factory())
    except Exception as exc:
        conn.execute("ROLLBACK TO flow")
        conn.execute("RELEASE flow")
        return None, exc
    conn.execute("RELEASE flow")
    return result, None


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


class _Checkpointer:
    """A thread that checkpoints the WAL (PASSIVE: it never blocks the writer or a
    reader) after commits, at most once per ``interval`` seconds."""

    def __init__(self, path: Path, interval: float) -> None:  # float ok: seconds
        self._path = path
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Something was committed."""
        self._wake.set()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        self._wake.set()
        thread.join()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            log.exception("no checkpoint thread for %s: commits checkpoint alone", self._path)
            return
        try:
            while True:
                self._wake.wait()
                if self._stop.is_set():
                    return
                self._wake.clear()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.passes += 1
                except sqlite3.Error as exc:  # e.g. busy: the next pass catches up
                    log.debug("checkpoint skipped: %s", exc)
                # Pacing, not synchronisation: commits keep poking meanwhile.
                if self._stop.wait(self._interval):
                    return
        finally:
            conn.close()
