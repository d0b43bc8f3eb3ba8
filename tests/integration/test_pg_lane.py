"""PostgreSQL one-statement lane: bounded, reuses healthy connections, replaces lost ones."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from reelbridge.storage._pg_lane import Lane

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

DEADLINE = 10.0
KEY = 0x6C616E65  # "lane"


async def _pid(lane: Lane) -> int:
    async with lane.connection() as conn:
        pid: int = await conn.fetchval("SELECT pg_backend_pid()")
        return pid


async def test_the_lane_never_opens_more_than_its_size(pg_url: str) -> None:
    lane = Lane(pg_url, 2)
    holder = await asyncpg.connect(pg_url)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", KEY)

        async def parked() -> int:
            async with lane.connection() as conn:
                await conn.execute("SELECT pg_advisory_lock_shared($1)", KEY)
                await conn.execute("SELECT pg_advisory_unlock_shared($1)", KEY)
                pid: int = await conn.fetchval("SELECT pg_backend_pid()")
                return pid

        calls = asyncio.gather(*(parked() for _ in range(5)))
        deadline = asyncio.get_running_loop().time() + DEADLINE
        waiting = 0
        while waiting < 2:  # two statements in flight, three queued in the lane
            assert asyncio.get_running_loop().time() < deadline
            waiting = await holder.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                " AND NOT granted AND objid = $1",
                KEY,
            )
            await asyncio.sleep(0.01)  # polling with a deadline
        assert waiting == 2
        await holder.execute("SELECT pg_advisory_unlock($1)", KEY)
        pids = await asyncio.wait_for(calls, DEADLINE)
        assert len(set(pids)) == 2
    finally:
        await holder.close()
        await lane.close()


async def test_a_refused_statement_keeps_its_connection(pg_url: str) -> None:
    lane = Lane(pg_url, 1)
    try:
        first = await _pid(lane)
        with pytest.raises(asyncpg.PostgresError):
            async with lane.connection() as conn:
                await conn.execute("SELECT 1 / 0")
        assert await _pid(lane) == first
    finally:
        await lane.close()


async def test_a_lost_connection_is_replaced(pg_url: str) -> None:
    lane = Lane(pg_url, 1)
    killer = await asyncpg.connect(pg_url)
    try:
        first = await _pid(lane)
        await killer.execute("SELECT pg_terminate_backend($1)", first)
        # Depending on when the client notices, the lane drops the dead connection
        # before handing it out, or the first statement on it fails and it is dropped
        # then; either way the next statement runs on a new backend.
        try:
            second = await _pid(lane)
        except Exception:
            second = await _pid(lane)
        assert second != first
    finally:
        await killer.close()
        await lane.close()


async def test_a_closed_lane_refuses_work(pg_url: str) -> None:
    lane = Lane(pg_url, 1)
    await _pid(lane)
    await lane.close()
    with pytest.raises(ConnectionError):
        await _pid(lane)
