"""Registering remote engines: their games join the live catalogue beside the built-in
ones (launch URL, stakes, jackpots), and a registration that can't be served is refused
with nothing written."""

from __future__ import annotations

from fractions import Fraction

import pytest

from provider_rules.remote_harness import (
    ENGINE,
    GAME,
    engine_spec,
    game_spec,
    remote_provider,
)
from reelbridge.games import DEFAULT_JACKPOTS, JackpotLevel, JackpotPlan, get_game
from reelbridge.provider import engines, rounds
from reelbridge.provider.catalog import Catalog
from reelbridge.provider.engines import EngineSpec
from reelbridge.provider.errors import BadEngine, GameIdTaken, GameNotOffered
from reelbridge.provider.outbox import Gauges
from reelbridge.provider.remote_games import RemoteGames, parse_rtp
from reelbridge.provider.web.metrics import render
from reelbridge.storage.listing import audit_listing

pytestmark = pytest.mark.anyio


async def test_a_registered_game_is_offered_and_launches_at_the_engine() -> None:
    async with remote_provider() as p:
        game = p.services.catalog.game(GAME)
        assert (game.name, game.stake_levels, game.total_stake(5000)) == (
            "Studio Dice",
            (1000, 5000, 10000),
            50000,
        )
        assert p.services.catalog.sources[GAME] == f"engine {ENGINE}"
        token = await p.launch()
        url = p.services.launches.launch_url(GAME, token)
        assert url == f"https://studio.example/play?token={token}"
        assert p.services.launches.launch_url("book-of-reels", token).startswith("https://g/game/")


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        (engine_spec(games=(game_spec("book-of-reels"),)), GameIdTaken),
        (engine_spec(launch_url="https://studio.example/play"), BadEngine),
        (engine_spec(games=(game_spec(), game_spec())), BadEngine),
        (engine_spec(games=(game_spec(stake_levels=(5000, 1000)),)), BadEngine),
        (engine_spec(games=(game_spec(stake_levels=(0, 1000)),)), BadEngine),
    ],
    ids=["built-in-id", "no-token-mark", "twice-one-id", "decreasing", "zero-stake"],
)
async def test_a_registration_that_cant_be_served_is_refused_and_writes_nothing(
    spec: EngineSpec, error: type[Exception]
) -> None:
    async with remote_provider(register=False) as p:
        with pytest.raises(error):
            await p.services.remote.register(spec, actor="t", reason="", now=p.clock())
        assert await p.services.engine.run(engines.load) == ([], [])
        assert GAME not in p.services.catalog.games


async def test_another_engines_game_id_is_refused() -> None:
    async with remote_provider() as p:
        other = engine_spec("other-studio")
        with pytest.raises(GameIdTaken):
            await p.services.remote.register(other, actor="t", reason="", now=p.clock())
        _, games = await p.services.engine.run(engines.load)
        assert [(g.game_id, g.engine_id) for g in games] == [(GAME, ENGINE)]
        assert p.services.remote.engine("other-studio") is None


async def test_the_jackpot_plan_must_serve_a_remote_games_stakes() -> None:
    # Serves the built-in games (up to 20.00) and stakes up to 25.00, not 30.00.
    small = JackpotLevel("Small", seed=1_0000, contribution_ppm=10_000, stake_per_hit=25_0000)
    async with remote_provider(jackpots=JackpotPlan((small,)), register=False) as p:
        too_big = engine_spec(games=(game_spec(stake_levels=(1000, 30000)),))  # 30.00
        with pytest.raises(BadEngine, match="jackpot"):
            await p.services.remote.register(too_big, actor="t", reason="", now=p.clock())


async def test_a_declared_rtp_plus_the_jackpots_must_stay_below_100_percent() -> None:
    async with remote_provider(jackpots=DEFAULT_JACKPOTS, register=False) as p:
        greedy = 1 - DEFAULT_JACKPOTS.rtp()
        spec = engine_spec(games=(game_spec(rtp=str(greedy)),))
        with pytest.raises(BadEngine, match="100 %"):
            await p.services.remote.register(spec, actor="t", reason="", now=p.clock())
        fair = engine_spec(games=(game_spec(rtp="0.9"),))
        await p.services.remote.register(fair, actor="t", reason="", now=p.clock())
        assert p.services.catalog.game(GAME).exact_rtp(1000) == Fraction(9, 10)


@pytest.mark.parametrize(
    ("text", "value"), [("19/20", Fraction(19, 20)), ("0.9612", Fraction(2403, 2500)), ("1", 1)]
)
def test_a_declared_rtp_is_an_exact_fraction_or_decimal(text: str, value: Fraction) -> None:
    assert parse_rtp(text) == value


@pytest.mark.parametrize("text", ["0", "1.5", "96%", "1e-2", "nan", "3/0", "-0.5", ""])
def test_a_declared_rtp_out_of_range_or_inexact_is_refused(text: str) -> None:
    with pytest.raises(BadEngine):
        parse_rtp(text)


async def test_a_new_registration_replaces_the_games_and_drops_the_unlisted_ones() -> None:
    async with remote_provider() as p:
        token = await p.launch()
        spec = engine_spec(games=(game_spec("studio-coins", name="Coins"),))
        result = await p.services.remote.register(spec, actor="t", reason="", now=p.clock())
        assert (result["created"], result["removed_games"]) == (False, [GAME])
        assert "studio-coins" in p.services.catalog.games
        with pytest.raises(GameNotOffered):
            p.services.catalog.game(GAME)
        with pytest.raises(Exception, match="no longer offered"):
            await p.services.spins.live_session(token)


async def test_a_registration_made_by_another_process_is_live_here_after_the_ttl() -> None:
    async with remote_provider(register=False) as p:
        elsewhere = RemoteGames(engine=p.services.engine, catalog=p.services.catalog, ttl_seconds=0)
        other = EngineSpec("late", ("t-1-of-late",), "https://late.example/{token}", ())
        await elsewhere.register(other, actor="t", reason="", now=p.clock())
        assert p.services.remote.engine("late") is None  # loaded at start, fresh for a while
        await p.services.remote.sync(force=True)
        assert p.services.remote.engine("late") is not None


async def test_tokens_never_reach_the_listing_or_the_audit_log() -> None:
    async with remote_provider() as p:
        listed = await p.services.remote.listing()
        assert listed[0]["tokens"] == ["fp:" + listed[0]["tokens"][0].split(":")[1]]
        assert "engine-token-1" not in repr(listed)
        audit = await p.services.engine.run(
            lambda: audit_listing("provider_audit_log").rows({}, 10, 0)
        )
        assert audit and all("engine-token-1" not in repr(row) for row in audit)
        assert audit[0]["action"] == "engine.register"


async def test_unsettled_engine_rounds_show_in_the_metrics_once_past_the_threshold() -> None:
    async with remote_provider() as p:
        await p.open(await p.launch())
        now = p.clock()
        fresh = await p.services.engine.run(lambda: rounds.accepted_gauges(older_than=now - 1))
        assert fresh[0] == 0 and fresh[1] is not None
        p.clock.advance(301)
        later = p.clock()
        stale = await p.services.engine.run(
            lambda: rounds.accepted_gauges(older_than=later - 300_000_000)
        )
        assert stale[0] == 1
        text = render(Gauges([], None, 0), [], later, (300, *stale))
        assert 'reelbridge_engine_rounds_unsettled{older_than_seconds="300"} 1' in text
        assert "reelbridge_engine_rounds_oldest_unsettled_seconds 301" in text


async def test_a_stored_game_that_cant_be_served_any_more_is_left_out_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with remote_provider() as p:
        # A later start: a plug-in took the id, and the jackpot plan shrank.
        tiny = JackpotLevel("Tiny", seed=1000, contribution_ppm=1000, stake_per_hit=5_0000)
        catalog = Catalog(
            games={GAME: get_game("classic-7s")},
            currencies=frozenset({"EUR"}),
            languages=("en",),
        )
        taken = RemoteGames(engine=p.services.engine, catalog=catalog, ttl_seconds=0)
        shrunk_catalog = Catalog(
            games={},
            currencies=frozenset({"EUR"}),
            languages=("en",),
            jackpots=JackpotPlan((tiny,)),
        )
        shrunk = RemoteGames(engine=p.services.engine, catalog=shrunk_catalog, ttl_seconds=0)
        with caplog.at_level("ERROR", logger="reelbridge.provider.engines"):
            for _ in range(3):
                await taken.sync()
                await shrunk.sync()
        assert catalog.games[GAME] is get_game("classic-7s") and taken.game(GAME) is None
        assert GAME not in shrunk_catalog.games and shrunk.game(GAME) is None
        assert [r.getMessage() for r in caplog.records] == [
            f"remote game {GAME} is not offered: its id is a built-in or plug-in game's",
            caplog.records[1].getMessage(),
        ]
        assert "jackpot plan can't serve it" in caplog.records[1].getMessage()
