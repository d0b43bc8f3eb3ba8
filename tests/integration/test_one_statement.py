"""``Engine.run(..., one_statement=True)``: one query, its own transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from reelbridge.storage import AGGREGATOR, Engine, Flow, Sql, engine_from_url, migrate, run, value

from .support import uid

pytestmark = pytest.mark.anyio

_INSERT = Sql.of("INSERT INTO players (player_id, created_at) VALUES (?, 1)")
_COUNT = Sql.of("SELECT count(*) FROM players WHERE player_id = ?")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[Engine]:
    db = engine_from_url(database_url)
    await db.start()
    try:
        await migrate(db, AGGREGATOR)
        yield db
    finally:
        await db.close()


async def test_a_one_statement_flow_commits_its_statement(engine: Engine) -> None:
    player_id = uid("one")

    def insert() -> Flow[str]:
        yield run(_INSERT, player_id)
        return "done"

    assert await engine.run(insert, one_statement=True) == "done"
    assert await engine.read(lambda: (yield value(_COUNT, player_id))) == 1


async def test_a_one_statement_flow_that_yields_a_second_query_fails(engine: Engine) -> None:
    if engine.dialect != "postgres":
        pytest.skip("SQLite runs every flow in its writer's group commit")
    player_id = uid("two")

    def two() -> Flow[None]:
        yield run(_INSERT, player_id)
        yield value(_COUNT, player_id)

    with pytest.raises(RuntimeError, match="second query"):
        await engine.run(two, one_statement=True)
