"""The jackpot draw (PROTOCOL.md B18): each level is rolled on its own with odds 1/odds;
when several hit, the rarest wins (one jackpot per spin)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from reelbridge.config import DEFAULT_JACKPOTS, JackpotLevel
from reelbridge.games import SeededRng
from reelbridge.provider.spins import draw_jackpot

BRONZE = JackpotLevel("Bronze", seed=1, share_ppm=1, odds=10)
SILVER = JackpotLevel("Silver", seed=1, share_ppm=1, odds=100)
GOLD = JackpotLevel("Gold", seed=1, share_ppm=1, odds=1000)


class ScriptedRng:
    """An Rng answering from a script, recording every ``n`` it was asked for."""

    def __init__(self, answers: Iterable[int]) -> None:
        self.answers = iter(answers)
        self.asked: list[int] = []

    def randbelow(self, n: int, /) -> int:
        self.asked.append(n)
        return next(self.answers)


def test_no_levels_means_no_jackpot_and_no_draw() -> None:
    rng = ScriptedRng([])
    assert draw_jackpot((), rng) is None
    assert rng.asked == []


def test_every_level_is_rolled_once_with_its_own_odds() -> None:
    rng = ScriptedRng([3, 7, 9])
    assert draw_jackpot((BRONZE, SILVER, GOLD), rng) is None
    assert rng.asked == [10, 100, 1000]


@pytest.mark.parametrize(
    ("rolls", "won"),
    [
        ([0, 1, 1], BRONZE),
        ([1, 0, 1], SILVER),
        ([1, 1, 0], GOLD),
        ([0, 0, 1], SILVER),
        ([0, 1, 0], GOLD),
        ([0, 0, 0], GOLD),
    ],
)
def test_a_roll_of_zero_hits_and_the_rarest_level_hit_wins(
    rolls: list[int], won: JackpotLevel
) -> None:
    assert draw_jackpot((BRONZE, SILVER, GOLD), ScriptedRng(rolls)) == won


def test_the_rarest_hit_wins_whatever_the_order_of_the_levels() -> None:
    assert draw_jackpot((GOLD, BRONZE, SILVER), ScriptedRng([0, 0, 0])) == GOLD


def test_odds_of_one_always_hit() -> None:
    always = JackpotLevel("Always", seed=1, share_ppm=1, odds=1)
    rng = SeededRng("jackpots")
    assert all(draw_jackpot((always,), rng) == always for _ in range(200))


def test_the_default_levels_hit_about_as_often_as_their_odds_say() -> None:
    rng = SeededRng(2024)
    bronze = DEFAULT_JACKPOTS[0]
    draws = 200_000
    hits = sum(draw_jackpot((bronze,), rng) is not None for _ in range(draws))
    expected = draws / bronze.odds  # 100 at 1/2000
    assert abs(hits - expected) < 4 * expected**0.5, hits  # within 4 sigma
