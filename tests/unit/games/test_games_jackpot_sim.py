"""Simulated jackpot pools land on the exact return; simulating any SlotGame."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest

from reelbridge.games import (
    DEFAULT_JACKPOTS,
    GameDefinitionError,
    InvalidStakeError,
    JackpotError,
    JackpotLevel,
    JackpotPlan,
    Rng,
    get_game,
    normal_interval,
    simulate_game,
    simulate_jackpots,
)

PPM = 1_000_000

# The default seeds and contributions, won 25, 100 and 200 times as often: at Book of
# Reels' largest stake (20.00) the chances add up to 0.1 + 0.02 + 0.002.
FREQUENT = JackpotPlan(
    tuple(
        JackpotLevel(
            level.name,
            seed=level.seed,
            contribution_ppm=level.contribution_ppm,
            stake_per_hit=per_hit,
        )
        for level, per_hit in zip(
            DEFAULT_JACKPOTS.levels, (200_0000, 1_000_0000, 10_000_0000), strict=True
        )
    )
)
BOOK_STAKES = [get_game("book-of-reels").total_stake(bet) for bet in (100, 10_000)]


@pytest.mark.parametrize("stake", BOOK_STAKES)
def test_simulated_jackpot_return_lands_in_its_99_percent_interval_around_the_exact_one(
    stake: int,
) -> None:
    spins = 200_000
    run = simulate_jackpots(FREQUENT, stake, spins, seed=5)
    low, high = normal_interval(
        float(FREQUENT.rtp_at(stake)), math.sqrt(FREQUENT.variance(stake)), spins, 0.99
    )
    assert low <= run.rtp <= high
    sim_low, sim_high = run.confidence_interval(0.99)
    assert sim_low <= float(FREQUENT.rtp()) <= sim_high
    assert run.levels[0].hits > 100


@pytest.mark.parametrize("stake", BOOK_STAKES)
def test_every_simulated_pool_balances_to_the_millionth(stake: int) -> None:
    spins = 200_000
    run = simulate_jackpots(FREQUENT, stake, spins, seed=9)
    for level, result in zip(FREQUENT.levels, run.levels, strict=True):
        assert result.opening.amount == level.seed
        assert result.seeds_funded == result.hits * level.seed
        assert result.contributed == spins * stake * level.contribution_ppm
        assert (
            result.opening.millionths + result.seeds_funded * PPM + result.contributed
            == result.paid * PPM + result.closing.millionths
        )
        assert result.closing.amount >= level.seed
        assert result.paid >= result.hits * level.seed
    contributions = sum((lv.contribution_rtp for lv in FREQUENT.levels), Fraction(0))
    seeds = sum(r.hits * lv.seed for lv, r in zip(FREQUENT.levels, run.levels, strict=True))
    assert run.exact_return == contributions + Fraction(seeds, run.staked)
    assert run.exact_return == (run.paid + run.liability) / run.staked


def test_a_run_that_ignored_the_closing_pools_would_under_pay() -> None:
    run = simulate_jackpots(DEFAULT_JACKPOTS, 2_000, 50_000, seed=1)
    assert run.liability > 0
    assert Fraction(run.paid, run.staked) < run.exact_return


def test_hit_counts_follow_the_exact_chances() -> None:
    spins = 200_000
    stake = BOOK_STAKES[1]
    run = simulate_jackpots(FREQUENT, stake, spins, seed=2)
    for chance, result in zip(FREQUENT.hit_probabilities(stake), run.levels, strict=True):
        p = float(chance)
        low, high = normal_interval(p, math.sqrt(p * (1 - p)), spins, 0.99)
        assert low <= result.hits / spins <= high


def test_a_seed_gives_the_same_run_twice_and_another_seed_another_run() -> None:
    first = simulate_jackpots(FREQUENT, BOOK_STAKES[0], 100_000, seed=42)
    assert simulate_jackpots(FREQUENT, BOOK_STAKES[0], 100_000, seed=42) == first
    assert simulate_jackpots(FREQUENT, BOOK_STAKES[0], 100_000, seed=43) != first


def test_a_jackpot_simulation_refuses_what_the_plan_cannot_serve() -> None:
    with pytest.raises(JackpotError, match="past 1"):
        simulate_jackpots(FREQUENT, 10**9, 10, seed=0)
    with pytest.raises(ValueError, match="spins must be at least 1"):
        simulate_jackpots(FREQUENT, 2_000, 0, seed=0)


@dataclass(frozen=True)
class DiceOutcome:
    total_win: int

    def to_json(self) -> dict[str, Any]:
        return {"total_win": self.total_win}


class DiceGame:
    """A six-sided die: a 6 pays 5 stakes, a 5 pays the stake back (RTP 1/1)."""

    game_id = "dice"
    name = "Dice"
    stake_levels = (100, 300)
    pays = (0, 0, 0, 0, 1, 5)

    def total_stake(self, bet_per_line: int) -> int:
        if bet_per_line not in self.stake_levels:
            raise InvalidStakeError(f"dice: no stake level {bet_per_line}")
        return bet_per_line

    def draw(self, rng: Rng) -> Any:
        return rng.randbelow(6)

    def replay(self, bet_per_line: int, draw: Any) -> DiceOutcome:
        return DiceOutcome(self.pays[draw] * self.total_stake(bet_per_line))

    def exact_rtp(self, bet_per_line: int) -> Fraction | None:
        self.total_stake(bet_per_line)
        return Fraction(sum(self.pays), len(self.pays))

    def client(self) -> dict[str, Any]:
        return {}


def test_simulate_game_plays_any_slot_game_through_draw_and_replay() -> None:
    game = DiceGame()
    reports: list[int] = []
    result = simulate_game(game, 300, 25_000, seed=4, progress=reports.append)
    assert (result.game_id, result.bet_per_line, result.stake, result.spins) == (
        "dice",
        300,
        300,
        25_000,
    )
    assert sum(reports) == 25_000
    assert result.won % 300 == 0
    assert result.hits < result.spins
    exact = Fraction(1)
    variance = Fraction(1 + 25, 6) - exact * exact
    low, high = normal_interval(result.rtp, math.sqrt(variance), result.spins, 0.99)
    assert low <= exact <= high
    assert abs(result.variance - variance) < Fraction(1, 10)


def test_simulate_game_gives_the_same_rounds_for_a_seed_at_every_stake() -> None:
    game = DiceGame()
    low = simulate_game(game, 100, 5_000, seed=8)
    high = simulate_game(game, 300, 5_000, seed=8)
    assert high.won == 3 * low.won and high.hits == low.hits
    assert simulate_game(game, 100, 5_000, seed=9) != low


def test_simulate_game_matches_the_exact_rtp_of_a_built_in_game() -> None:
    game = get_game("classic-7s")
    par = game.par_sheet()
    result = simulate_game(game, game.stake_levels[0], 20_000, seed=3)
    low, high = normal_interval(result.rtp, par.std_dev, result.spins, 0.99)
    assert low <= float(par.rtp) <= high


def test_simulate_game_refuses_a_bad_stake_and_a_win_that_is_not_whole_units() -> None:
    game = DiceGame()
    with pytest.raises(InvalidStakeError):
        simulate_game(game, 200, 10, seed=0)

    class FloatDice(DiceGame):
        def replay(self, bet_per_line: int, draw: Any) -> DiceOutcome:
            return DiceOutcome(0.5)  # type: ignore[arg-type]

    with pytest.raises(GameDefinitionError, match=r"non-negative int, got 0\.5"):
        simulate_game(FloatDice(), 100, 10, seed=0)
