"""The SQLite engine's file: small pages, and checkpoints that commits don't pay for.

Committed WAL frames reach the database file without a commit paying for it: a
checkpoint thread of the engine copies them after commits (SQLite's own checkpoint at
the end of a commit runs only every 16 MiB of WAL, far more than these tests write).
An ``immutable`` connection reads the database file alone, never the WAL: it sees a
row only once a checkpoint has copied it there.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from reelbridge.aggregator import admin_flows
from reelbridge.storage import AGGREGATOR, engine_from_url, migrate
from reelbridge.storage.sqlite import SqliteEngine

pytestmark = pytest.mark.anyio

DEADLINE = 10.0


def _in_file_alone(path: Path, player_id: str) -> bool:
    uri = f"file:{path}?immutable=1"
    conn = sqlite3.connect(uri, uri=True)
    try:
        found = conn.execute("SELECT 1 FROM players WHERE player_id = ?", (player_id,))
        return found.fetchone() is not None
    except sqlite3.DatabaseError:  # read while a checkpoint was writing the file: not yet
        return False
    finally:
        conn.close()


async def test_commits_reach_the_database_file_through_the_checkpoint_thread(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wallet.db"
    engine = SqliteEngine(path)
    await engine.start()
    try:
        await migrate(engine, AGGREGATOR)
        await engine.run(
            lambda: admin_flows.create_player("late", "EUR", actor="t", reason="", now=1)
        )
        deadline = asyncio.get_running_loop().time() + DEADLINE
        while not _in_file_alone(path, "late"):
            assert asyncio.get_running_loop().time() < deadline, "never checkpointed"
            await asyncio.sleep(0.02)  # polling with a deadline
        assert engine.checkpoints > 0
    finally:
        await engine.close()


async def test_closing_the_engine_stops_its_threads(tmp_path: Path) -> None:
    before = {t.name for t in threading.enumerate()}
    engine = engine_from_url(f"sqlite:///{tmp_path / 'wallet.db'}")
    await engine.start()
    await migrate(engine, AGGREGATOR)
    assert "sqlite-checkpoint" in {t.name for t in threading.enumerate()}
    await engine.close()
    after = {t.name for t in threading.enumerate()}
    assert "sqlite-checkpoint" not in after - before
    assert not any(name.startswith("sqlite-read") for name in after - before)


async def test_a_new_database_gets_small_pages_and_an_old_one_keeps_its_own(
    tmp_path: Path,
) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:  # made before: SQLite's default 4 KiB pages
        conn.execute("CREATE TABLE t (x)")
    for path, expected in ((tmp_path / "new.db", 1024), (old, 4096)):
        engine = SqliteEngine(path)
        await engine.start()
        try:
            await migrate(engine, AGGREGATOR)
        finally:
            await engine.close()
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA page_size").fetchone()[0] == expected
