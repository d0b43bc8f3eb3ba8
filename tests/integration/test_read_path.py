"""The read path (``Engine.read``): reads never block money, and money never blocks reads.

On SQLite a read runs in a reader thread on its own connection (a WAL snapshot); on
PostgreSQL in a read-only REPEATABLE READ transaction. Each test synchronises with
events, never with sleeps: a read flow parks its thread on a ``threading.Event`` in
the middle of its snapshot while the test drives writes through ``Engine.run``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from reelbridge.aggregator import admin_flows
from reelbridge.aggregator.listings import ledger_check
from reelbridge.ledger import wallet_call
from reelbridge.protocol import BalanceReply, Bet, BetType, Win, WinType
from reelbridge.storage import (
    AGGREGATOR,
    BadDatabaseUrl,
    DatabaseUnavailable,
    Engine,
    Flow,
    Sql,
    engine_from_url,
    migrate,
    run,
    value,
)

from .support import Aggregator, uid

pytestmark = pytest.mark.anyio

DEADLINE = 10.0  # seconds: a broken read path fails the test instead of hanging it
NOW = 1_750_000_000_000_000
_PLAYERS = Sql.of("SELECT count(*) FROM players WHERE player_id LIKE ?")
_BALANCE = Sql.of("SELECT balance FROM accounts WHERE kind = 'player' AND owner = ?")
_ADMIN = {"actor": "test", "reason": "", "now": NOW}


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[Engine]:
    """A started, migrated engine on the module's database."""
    db = engine_from_url(database_url)
    await db.start()
    try:
        await migrate(db, AGGREGATOR)
        yield db
    finally:
        await db.close()


def create_player(player_id: str) -> Flow[object]:
    return admin_flows.create_player(player_id, "EUR", actor="test", reason="", now=NOW)


class Park:
    """Parks a read flow in the middle of its snapshot until the test releases it.

    SQLite drives a read flow in a reader thread: the flow waits on an event. The
    PostgreSQL engine drives flows on the event loop, so there the flow waits inside the
    database instead, for an advisory lock that the test holds on its own connection.
    """

    KEY = 0x7265_6164  # "read"

    def __init__(self, engine: Engine, pg_url: str | None) -> None:
        self.engine = engine
        self.pg_url = pg_url
        self.taken, self.release = threading.Event(), threading.Event()
        self._holder: asyncpg.Connection | None = None

    async def __aenter__(self) -> Park:
        if self.engine.dialect == "postgres":
            self._holder = await asyncpg.connect(self.pg_url)
            await self._holder.execute("SELECT pg_advisory_lock($1)", self.KEY)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release.set()
        if self._holder is not None:
            await self._holder.close()

    def wait_here(self) -> Flow[None]:
        """Yield from this inside a read flow: returns when the test calls ``open``."""
        if self.engine.dialect == "postgres":
            yield value(Sql.of("SELECT pg_advisory_xact_lock_shared(?)"), self.KEY)
        else:
            self.taken.set()
            if not self.release.wait(DEADLINE):
                raise LookupError("the test never released the read")

    async def parked(self) -> bool:
        """Whether the read is parked, polled until ``DEADLINE``."""
        if self._holder is None:
            return await asyncio.to_thread(self.taken.wait, DEADLINE)
        deadline = asyncio.get_running_loop().time() + DEADLINE
        while asyncio.get_running_loop().time() < deadline:
            waiting = await self._holder.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND objid = $1",
                self.KEY,
            )
            if waiting:
                return True
            await asyncio.sleep(0.01)  # polling with a deadline, not a synchronisation
        return False

    async def open(self) -> None:
        self.release.set()
        if self._holder is not None:
            await self._holder.execute("SELECT pg_advisory_unlock($1)", self.KEY)


async def test_a_long_read_does_not_hold_up_money_and_keeps_its_snapshot(
    engine: Engine, database_url: str
) -> None:
    prefix = uid("snap")
    await engine.run(lambda: create_player(f"{prefix}-0"))
    pg_url = None if engine.dialect == "sqlite" else database_url
    async with Park(engine, pg_url) as park:
        order: list[str] = []

        def long_read() -> Flow[tuple[int, int]]:
            before = yield value(_PLAYERS, f"{prefix}-%")
            yield from park.wait_here()
            after = yield value(_PLAYERS, f"{prefix}-%")
            return int(before), int(after)

        read = asyncio.ensure_future(engine.read(long_read))
        assert await park.parked(), "the read never reached the middle of its snapshot"
        writes = [engine.run(lambda i=i: create_player(f"{prefix}-{i}")) for i in range(1, 21)]
        await asyncio.wait_for(asyncio.gather(*writes), DEADLINE)
        order.append("20 units of work committed")
        assert not read.done(), "the read should still be parked inside its snapshot"
        await park.open()
        counts = await asyncio.wait_for(read, DEADLINE)
        order.append("read done")
    assert order == ["20 units of work committed", "read done"]
    assert counts == (1, 1), "a read flow sees one snapshot from start to end"
    now = await engine.read(lambda: (yield value(_PLAYERS, f"{prefix}-%")))
    assert now == 21


async def test_wallet_calls_complete_while_a_ledger_check_is_parked(
    engine: Engine, database_url: str
) -> None:
    """The ledger check (the longest read) stops half-way; 20 bets and wins land
    meanwhile, and the check, resumed, still reports the one instant it started at."""
    client, player, session = uid("c"), uid("p"), uid("s")
    await engine.run(lambda: admin_flows.upsert_client(client, ["t" * 16], key=b"k", **_ADMIN))
    await engine.run(lambda: admin_flows.create_player(player, "EUR", **_ADMIN))
    await engine.run(
        lambda: admin_flows.move_money("deposit", player, "EUR", 100_000, uid("d"), **_ADMIN)
    )
    await engine.run(
        lambda: admin_flows.open_session(
            session, client, player, "EUR", "g1", expires_at=NOW + 10**12, **_ADMIN
        )
    )
    pg_url = None if engine.dialect == "sqlite" else database_url
    async with Park(engine, pg_url) as park:

        def parked_check() -> Flow[tuple[dict[str, object], dict[str, object]]]:
            first = yield from ledger_check()
            yield from park.wait_here()
            second = yield from ledger_check()
            return first, second

        check = asyncio.ensure_future(engine.read(parked_check))
        assert await park.parked(), "the ledger check never reached its middle"
        calls = []
        for i in range(10):
            rnd = f"r{i}"
            calls.append(Bet(type=BetType.BET, amount=1_000, transaction_id=uid("b"),
                             session_id=session, round_id=rnd, game_id="g1"))  # fmt: skip
            calls.append(Win(type=WinType.WIN, amount=500, transaction_id=uid("w"),
                             session_id=session, round_id=rnd, game_id="g1"))  # fmt: skip
        replies = await asyncio.wait_for(
            asyncio.gather(*(wallet_call(engine, client, c, now=NOW) for c in calls)),
            DEADLINE,
        )
        assert all(isinstance(r, BalanceReply) for r in replies), replies
        assert not check.done(), "the check should still be parked"
        await park.open()
        first, second = await asyncio.wait_for(check, DEADLINE)
    assert first == second, "one snapshot from start to end"
    assert first["balanced"] is True
    balance = await engine.read(lambda: (yield value(_BALANCE, player)))
    assert balance == 100_000 - 10 * 500


async def test_a_read_sees_every_unit_of_work_whose_run_returned(engine: Engine) -> None:
    prefix = uid("seen")
    for i in range(5):
        await engine.run(lambda i=i: create_player(f"{prefix}-{i}"))
        count = await engine.read(lambda: (yield value(_PLAYERS, f"{prefix}-%")))
        assert count == i + 1


async def test_reads_run_side_by_side(engine: Engine) -> None:
    """SQLite: two reads in flight at once, each waiting for the other in its thread
    (one reader thread would hang). PostgreSQL drives flows on the loop: its reads run
    side by side on the pool's connections."""
    if engine.dialect != "sqlite":
        pytest.skip("reader threads are SQLite's")
    both = threading.Barrier(2, timeout=DEADLINE)

    def meet() -> Flow[int]:
        count = yield value(Sql.of("SELECT count(*) FROM players"))
        both.wait()
        return int(count)

    first, second = await asyncio.wait_for(
        asyncio.gather(engine.read(meet), engine.read(meet)), DEADLINE
    )
    assert first == second


async def test_a_read_flow_cannot_write(engine: Engine) -> None:
    player_id = uid("sneaky")

    def sneaky() -> Flow[None]:
        yield run(Sql.of("INSERT INTO players (player_id, created_at) VALUES (?, ?)"), player_id, 1)

    with pytest.raises((sqlite3.OperationalError, asyncpg.ReadOnlySQLTransactionError)):
        await engine.read(sneaky)
    count = await engine.read(lambda: (yield value(_PLAYERS, player_id)))
    assert count == 0


async def test_a_failing_read_leaves_the_reader_usable(engine: Engine) -> None:
    def broken() -> Flow[None]:
        yield value(Sql.of("SELECT count(*) FROM players"))
        raise LookupError("the flow failed after its first query")

    for _ in range(4):  # more often than there are readers
        with pytest.raises(LookupError):
            await engine.read(broken)
    assert await engine.read(lambda: (yield value(Sql.of("SELECT 1")))) == 1


async def test_reading_a_stopped_engine_is_database_unavailable(database_url: str) -> None:
    db = engine_from_url(database_url)
    with pytest.raises(DatabaseUnavailable):
        await db.read(lambda: (yield value(Sql.of("SELECT 1"))))
    await db.start()
    await db.close()
    with pytest.raises(DatabaseUnavailable):
        await db.read(lambda: (yield value(Sql.of("SELECT 1"))))


async def test_a_read_url_is_for_postgresql_only() -> None:
    with pytest.raises(BadDatabaseUrl):
        engine_from_url("sqlite:///x.db", read_url="postgresql://h/db")
    with pytest.raises(BadDatabaseUrl):
        engine_from_url("postgresql://h/db", read_url="sqlite:///x.db")


async def test_a_replica_url_serves_the_reads(database_url: str) -> None:
    """PostgreSQL: reads go to the pool of the read URL (here the same database)."""
    if not database_url.startswith("postgres"):
        pytest.skip("a read URL is PostgreSQL's")
    db = engine_from_url(database_url, read_url=database_url)
    await db.start()
    try:
        await migrate(db, AGGREGATOR)
        player_id = uid("replica")
        await db.run(lambda: create_player(player_id))
        assert await db.read(lambda: (yield value(_PLAYERS, player_id))) == 1
    finally:
        await db.close()
    with pytest.raises(DatabaseUnavailable):
        await db.read(lambda: (yield value(Sql.of("SELECT 1"))))


async def test_reads_are_not_queued_behind_a_group_commit(database_url: str) -> None:
    """SQLite: while a batch's COMMIT (the fsync) is held, reads still complete."""
    if not database_url.startswith("sqlite"):
        pytest.skip("group commit is SQLite's")
    db = engine_from_url(database_url)
    await db.start()
    try:
        await migrate(db, AGGREGATOR)
        held, release = threading.Event(), threading.Event()

        def hold_commits() -> None:  # occupies the thread that runs COMMIT
            held.set()
            release.wait(DEADLINE)

        db._fsync.submit(hold_commits)  # type: ignore[attr-defined]
        assert await asyncio.to_thread(held.wait, DEADLINE)
        write = asyncio.ensure_future(db.run(lambda: create_player(uid("held"))))
        reads = [db.read(lambda: (yield value(Sql.of("SELECT count(*) FROM players"))))] * 3
        await asyncio.wait_for(asyncio.gather(*reads), DEADLINE)
        assert not write.done(), "the write waits for its commit"
        release.set()
        await asyncio.wait_for(write, DEADLINE)
    finally:
        await db.close()


# -- the aggregator's reads go through it ----------------------------------------------


def test_metrics_count_the_journal_sessions_and_players(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="10")
    text = aggregator.admin.get_text("/metrics")
    gauges = dict(
        line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    assert float(gauges["reelbridge_wallet_journal_rows"]) >= 1  # the deposit
    assert float(gauges['reelbridge_wallet_sessions{status="open"}']) >= 1
    assert float(gauges["reelbridge_wallet_players"]) >= 1
    assert float(gauges["reelbridge_wallet_anomalies"]) >= 0
    listed = aggregator.listing("players", player_id=player.player_id)
    assert [row["balance"] for row in listed] == ["10.0"]


def test_metrics_need_the_admin_token(aggregator: Aggregator) -> None:
    response = httpx.get(f"{aggregator.base_url}/metrics", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
