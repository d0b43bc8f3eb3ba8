"""What a provider offers (PROTOCOL.md B18): a game whose total return with the jackpots
would reach 100 % is not offered, and a jackpot plan that a game's stakes would overdraw
stops the provider from starting."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from reelbridge.bootstrap import offered_games
from reelbridge.games import (
    DEFAULT_JACKPOTS,
    JackpotError,
    JackpotLevel,
    JackpotPlan,
    Rng,
    SlotGame,
    get_game,
)


class _Outcome:
    total_win = 0

    def to_json(self) -> dict[str, Any]:
        return {"total_win": 0}


class FlatGame:
    """A SlotGame with a declared exact RTP and one stake level."""

    def __init__(self, game_id: str, rtp: Fraction | None, stake: int = 1_0000) -> None:
        self.game_id, self.name, self._rtp = game_id, game_id, rtp
        self.stake_levels = (stake,)

    def total_stake(self, bet_per_line: int) -> int:
        return bet_per_line

    def draw(self, rng: Rng) -> Any:
        return rng.randbelow(2)

    def replay(self, bet_per_line: int, draw: Any) -> _Outcome:
        return _Outcome()

    def exact_rtp(self, bet_per_line: int) -> Fraction | None:
        return self._rtp

    def client(self) -> dict[str, Any]:
        return {"rows": 1, "reels": 1, "lines": [[0]], "symbols": [], "free_games": None}


def test_the_built_in_games_are_all_offered_with_the_default_plan() -> None:
    games = (get_game("book-of-reels"), get_game("classic-7s"))
    offered, excluded = offered_games(games, DEFAULT_JACKPOTS)
    assert set(offered) == {"book-of-reels", "classic-7s"} and excluded == {}


def test_b18_a_game_that_would_return_100_percent_with_the_jackpots_is_not_offered() -> None:
    generous = FlatGame("generous", Fraction(99, 100))  # + 1.175 % of jackpots = 100.175 %
    fine = FlatGame("fine", Fraction(95, 100))
    assert isinstance(generous, SlotGame)
    offered, excluded = offered_games((generous, fine), DEFAULT_JACKPOTS)
    assert set(offered) == {"fine"}
    assert "100" in excluded["generous"] and "B18" in excluded["generous"]
    # without jackpots the same game returns 99 %: offered
    offered, excluded = offered_games((generous,), None)
    assert set(offered) == {"generous"} and excluded == {}


def test_a_game_known_only_by_simulation_is_offered() -> None:
    offered, _ = offered_games((FlatGame("simulated", None),), DEFAULT_JACKPOTS)
    assert set(offered) == {"simulated"}


def test_b18_a_plan_that_a_stake_would_overdraw_stops_the_provider() -> None:
    tight = JackpotPlan((JackpotLevel("Tight", seed=1, contribution_ppm=0, stake_per_hit=5_000),))
    with pytest.raises(JackpotError, match="stake"):
        offered_games((FlatGame("big-stake", Fraction(9, 10), stake=10_000),), tight)
