"""B18 jackpots as pure maths: a chance that grows with the stake, exact pools, fair RTP."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from reelbridge.games import (
    DEFAULT_JACKPOTS,
    JackpotError,
    JackpotLevel,
    JackpotPlan,
    PoolState,
    SeededRng,
    StakeRtp,
    all_games,
    check_fair,
    feed,
    get_game,
    hit,
    rtp_by_stake,
)

PPM = 1_000_000
GAME_IDS = [game.game_id for game in all_games()]

# M = lcm(6, 10, 15) = 30; at stake s the chances are s/6, s/10, s/15 (s/3 together).
SMALL = JackpotPlan(
    (
        JackpotLevel("A", seed=7, contribution_ppm=10_000, stake_per_hit=6),
        JackpotLevel("B", seed=40, contribution_ppm=3_000, stake_per_hit=10),
        JackpotLevel("C", seed=100, contribution_ppm=1, stake_per_hit=15),
    )
)


class ScriptedRng:
    """Answers ``randbelow`` with the given values, and records every ``n`` asked."""

    def __init__(self, *values: int) -> None:
        self.values = list(values)
        self.asked: list[int] = []

    def randbelow(self, n: int, /) -> int:
        self.asked.append(n)
        return self.values.pop(0)


class FixedOddsPlan(JackpotPlan):
    """The old, unfair rule: every round has the same chance whatever its stake."""

    def hit_probabilities(self, stake: int) -> tuple[Fraction, ...]:
        return (Fraction(1, 2_000), Fraction(1, 20_000), Fraction(1, 200_000))


def _count_outcomes(plan: JackpotPlan, stake: int) -> dict[str | None, int]:
    counts: dict[str | None, int] = {}
    for u in range(plan.modulus):
        rng = ScriptedRng(u)
        won = plan.draw(stake, rng)
        assert rng.asked == [plan.modulus]
        name = None if won is None else won.name
        counts[name] = counts.get(name, 0) + 1
    return counts


@pytest.mark.parametrize("stake", [1, 2, 3])
def test_a_round_wins_a_level_with_probability_stake_over_stake_per_hit_exactly(
    stake: int,
) -> None:
    counts = _count_outcomes(SMALL, stake)
    for level in SMALL.levels:
        assert counts.get(level.name, 0) == stake * SMALL.modulus // level.stake_per_hit
        assert Fraction(counts.get(level.name, 0), SMALL.modulus) == Fraction(
            stake, level.stake_per_hit
        )
    assert counts.get(None, 0) == SMALL.modulus - stake * SMALL.modulus // 3


def test_the_levels_exclude_each_other_so_chances_adding_to_one_leave_no_miss() -> None:
    counts = _count_outcomes(SMALL, 3)
    assert sum(counts.values()) == SMALL.modulus
    assert None not in counts
    assert counts == {"A": 15, "B": 9, "C": 6}


def test_a_zero_stake_never_wins_and_draws_nothing() -> None:
    rng = ScriptedRng()
    assert SMALL.draw(0, rng) is None
    assert rng.asked == []


def test_a_stake_whose_chances_add_past_one_is_refused_by_the_draw() -> None:
    with pytest.raises(JackpotError, match=r"add up to 1\.33333, past 1"):
        SMALL.draw(4, ScriptedRng(0))


@pytest.mark.parametrize(
    ("stakes", "message"),
    [
        ([], "at least one stake"),
        ([0], "total stake must be an integer of at least 1"),
        ([2, -1], "total stake must be an integer of at least 1"),
        ([1.5], "total stake must be an integer"),
        ([True], "total stake must be an integer"),
        ([1, 2, 4], r"at a stake of 0.0004 .* past 1; .* stakes up to 0\.0003\)"),
    ],
)
def test_validate_for_refuses_stakes_the_plan_cannot_serve(
    stakes: list[object], message: str
) -> None:
    with pytest.raises(JackpotError, match=message):
        SMALL.validate_for(stakes)  # type: ignore[arg-type]


def test_validate_for_accepts_chances_that_add_up_to_exactly_one() -> None:
    SMALL.validate_for([1, 3])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": " "}, "needs a name"),
        ({"seed": -1}, "seed must be an integer of at least 0"),
        ({"seed": 1.5}, "seed must be an integer"),
        ({"contribution_ppm": -1}, "contribution_ppm must be an integer of at least 0"),
        ({"contribution_ppm": PPM + 1}, "contribution_ppm is at most 1,000,000"),
        ({"stake_per_hit": 0}, "stake_per_hit must be an integer of at least 1"),
    ],
)
def test_a_level_out_of_range_is_refused_with_its_field_named(
    fields: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {
        "name": "X",
        "seed": 1,
        "contribution_ppm": 1,
        "stake_per_hit": 1,
    }
    values.update(fields)
    with pytest.raises(JackpotError, match=message):
        JackpotLevel(**values)  # type: ignore[arg-type]


def test_a_plan_needs_levels_with_unique_names() -> None:
    level = SMALL.levels[0]
    with pytest.raises(JackpotError, match="non-empty tuple"):
        JackpotPlan(())
    with pytest.raises(JackpotError, match="unique"):
        JackpotPlan((level, level))


def test_the_exact_return_and_variance_match_the_draw_enumerated() -> None:
    for stake in (1, 2, 3):
        seeds = [
            0 if won is None else won.seed
            for won in (SMALL.draw(stake, ScriptedRng(u)) for u in range(SMALL.modulus))
        ]
        mean = Fraction(sum(seeds), len(seeds)) / stake
        square = Fraction(sum(s * s for s in seeds), len(seeds)) / (stake * stake)
        contribution = sum((Fraction(x.contribution_ppm, PPM) for x in SMALL.levels), Fraction(0))
        assert SMALL.rtp_at(stake) == contribution + mean
        assert SMALL.variance(stake) == square - mean * mean
        assert SMALL.rtp_at(stake) == SMALL.rtp()


def test_the_default_plan_returns_1_175_percent_split_by_level() -> None:
    assert DEFAULT_JACKPOTS.rtp() == Fraction(1175, 100_000)
    assert DEFAULT_JACKPOTS.rtp_by_level() == {
        "Bronze": Fraction(5, 1000) + Fraction(50, 50_000),
        "Silver": Fraction(3, 1000) + Fraction(500, 1_000_000),
        "Gold": Fraction(2, 1000) + Fraction(5_000, 20_000_000),
    }


@pytest.mark.parametrize("game_id", GAME_IDS)
def test_the_total_rtp_is_the_same_at_every_stake_and_below_100_percent(game_id: str) -> None:
    game = get_game(game_id)
    rates = rtp_by_stake(game, DEFAULT_JACKPOTS)
    assert [rate.bet_per_line for rate in rates] == list(game.stake_levels)
    totals = [rate.total for rate in rates]
    assert all(total is not None for total in totals)
    known = [total for total in totals if total is not None]
    assert max(known) - min(known) <= Fraction(1, 10_000)
    assert all(total < 1 for total in known)
    assert all(rate.total == game.rtp + rate.jackpot for rate in rates)
    check_fair(rates)


def test_the_disclosed_totals_are_the_documented_figures() -> None:
    book = rtp_by_stake(get_game("book-of-reels"), DEFAULT_JACKPOTS)[0].total
    classic = rtp_by_stake(get_game("classic-7s"), DEFAULT_JACKPOTS)[0].total
    assert book == Fraction(4793809394047, 4990636643256) + Fraction(47, 4000)
    assert classic == Fraction(1381, 1440) + Fraction(47, 4000) == Fraction(8737, 9000)
    assert f"{float(book) * 100:.4f}" == "97.2311"
    assert f"{float(classic) * 100:.4f}" == "97.0778"


@pytest.mark.parametrize("game_id", GAME_IDS)
def test_fixed_odds_per_round_are_found_unfair(game_id: str) -> None:
    unfair = FixedOddsPlan(DEFAULT_JACKPOTS.levels)
    rates = rtp_by_stake(get_game(game_id), unfair)
    jackpots = [rate.jackpot for rate in rates]
    assert max(jackpots) - min(jackpots) > Fraction(1, 10_000)
    with pytest.raises(JackpotError, match="differs between stake levels"):
        check_fair(rates)


def test_a_total_return_of_100_percent_or_more_is_found_unfair() -> None:
    rich = StakeRtp(bet_per_line=1, stake=20, base=Fraction(99, 100), jackpot=Fraction(1, 100),
                    total=Fraction(1))  # fmt: skip
    with pytest.raises(JackpotError, match=r"total return is 100.0000 %; B18 requires"):
        check_fair([rich])
    check_fair([StakeRtp(1, 20, None, Fraction(1, 100), None)])


def test_feeding_carries_millionths_into_whole_units() -> None:
    level = JackpotLevel("X", seed=10, contribution_ppm=3, stake_per_hit=1)
    assert feed(PoolState(10, 999_998), level, 1) == PoolState(11, 1)
    assert feed(PoolState(10, 0), level, 333_333) == PoolState(10, 999_999)
    assert feed(PoolState(10, 0), level, 0) == PoolState(10, 0)


def test_feeding_a_sum_of_stakes_equals_feeding_them_one_by_one() -> None:
    draw = random.Random(7)
    for level in SMALL.levels + DEFAULT_JACKPOTS.levels:
        stakes = [draw.randrange(1, 300_000) for _ in range(200)]
        one_by_one = PoolState.opening(level)
        for stake in stakes:
            one_by_one = feed(one_by_one, level, stake)
        assert feed(PoolState.opening(level), level, sum(stakes)) == one_by_one


def test_a_hit_pays_whole_units_and_resets_to_the_seed_keeping_the_fraction() -> None:
    level = JackpotLevel("X", seed=500, contribution_ppm=5_000, stake_per_hit=1)
    paid, after = hit(PoolState(1_234, 567), level)
    assert paid == 1_234
    assert after == PoolState(500, 567)


def test_a_pool_below_its_seed_or_out_of_range_is_refused() -> None:
    level = JackpotLevel("X", seed=500, contribution_ppm=5_000, stake_per_hit=1)
    with pytest.raises(JackpotError, match="below its seed"):
        hit(PoolState(499, 999_999), level)
    with pytest.raises(JackpotError, match="fraction is below 1,000,000"):
        PoolState(1, PPM)
    with pytest.raises(JackpotError, match="amount must be an integer of at least 0"):
        PoolState(-1)
    with pytest.raises(JackpotError, match="fed stake must be an integer"):
        feed(PoolState(500), level, -1)


def test_nothing_contributed_is_ever_lost_over_many_rounds_and_hits() -> None:
    plan = JackpotPlan(
        (
            JackpotLevel("Often", seed=1_234, contribution_ppm=4_321, stake_per_hit=30_000),
            JackpotLevel("Rare", seed=99_999, contribution_ppm=777, stake_per_hit=700_000),
        )
    )
    rng = SeededRng(11)
    choose = random.Random(11)
    pools = {level.name: PoolState.opening(level) for level in plan.levels}
    funded = {level.name: level.seed * PPM for level in plan.levels}
    contributed = dict.fromkeys(pools, 0)
    paid = dict.fromkeys(pools, 0)
    hits = dict.fromkeys(pools, 0)
    for _ in range(20_000):
        stake = choose.choice((100, 250, 2_000, 7_777))
        for level in plan.levels:
            pools[level.name] = feed(pools[level.name], level, stake)
            contributed[level.name] += stake * level.contribution_ppm
        won = plan.draw(stake, rng)
        if won is not None:
            amount, pools[won.name] = hit(pools[won.name], won)
            paid[won.name] += amount * PPM
            funded[won.name] += won.seed * PPM
            hits[won.name] += 1
        for level in plan.levels:
            assert pools[level.name].amount >= level.seed
    assert hits["Often"] > 10 and hits["Rare"] > 0
    for name, pool in pools.items():
        assert funded[name] + contributed[name] == paid[name] + pool.millionths
