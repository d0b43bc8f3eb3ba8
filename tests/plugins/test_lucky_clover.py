"""The Lucky Clover example plug-in: its maths, its draws and its outcomes.

The example is tested as a studio's game is used: installed by pip (fixture
``lucky_clover``) and imported from there.
"""

from __future__ import annotations

import importlib
import itertools
import json
import math
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from types import ModuleType
from typing import Any

import pytest

from plugins.support import EXAMPLE, ROOT, PluginInstall
from reelbridge.games import (
    DEFAULT_JACKPOTS,
    InvalidDrawError,
    InvalidStakeError,
    Outcome,
    SeededRng,
    SlotGame,
    check_fair,
    chi_square_critical,
    normal_interval,
    rtp_by_stake,
    validate_game,
)

SYMBOL_ART = ROOT / "src" / "reelbridge" / "provider" / "static" / "symbols.js"
JACKPOT_SHARE = DEFAULT_JACKPOTS.rtp()
"""What the provider's default jackpots add on top of a game's RTP (1.175 %)."""


@pytest.fixture
def clover(lucky_clover: PluginInstall) -> ModuleType:
    """The installed ``reelbridge_lucky_clover`` package."""
    module = importlib.import_module("reelbridge_lucky_clover")
    assert str(lucky_clover.path) in str(module.__file__)
    return module


@dataclass(frozen=True)
class Moments:
    """Mean and standard deviation of a round's win, in multiples of its stake."""

    mean: Fraction
    variance: Fraction


@cache
def _moments_by_replaying_every_draw(game: SlotGame) -> Moments:
    # Every reel position × every clover multiplier, weighted, through the public replay.
    from reelbridge_lucky_clover.game import MULTIPLIERS, STRIPS

    bet = game.stake_levels[0]
    stake = game.total_stake(bet)
    total = squares = weights = 0
    for stops in itertools.product(*(range(len(strip)) for strip in STRIPS)):
        for multiplier, weight in MULTIPLIERS:
            win = game.replay(bet, {"stops": list(stops), "multiplier": multiplier}).total_win
            total += weight * win
            squares += weight * win * win
            weights += weight
    mean = Fraction(total, weights * stake)
    return Moments(mean=mean, variance=Fraction(squares, weights * stake * stake) - mean**2)


def test_the_exact_rtp_by_enumeration_equals_the_documented_fraction(clover: ModuleType) -> None:
    game = clover.GAME
    replayed = _moments_by_replaying_every_draw(game).mean
    assert replayed == clover.RTP == Fraction(737, 768)
    assert clover.enumerate_rtp() == clover.RTP
    assert all(game.exact_rtp(level) == clover.RTP for level in game.stake_levels)
    assert "RTP = 737/768 ≈ 95.9635 %" in clover.game.__doc__
    assert f"{float(clover.RTP) * 100:.4f}" == "95.9635"


def test_the_rtp_is_between_94_and_96_5_percent_and_below_100_with_the_jackpots(
    clover: ModuleType,
) -> None:
    assert Fraction(94, 100) <= clover.RTP <= Fraction(965, 1000)
    assert clover.RTP + JACKPOT_SHARE < 1


def test_replay_is_pure_and_the_draw_comes_only_from_the_rng(clover: ModuleType) -> None:
    game = clover.GAME
    first = [game.draw(SeededRng(5)) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    rng_a, rng_b = SeededRng(6), SeededRng(6)
    for _ in range(2000):
        draw = game.draw(rng_a)
        assert draw == game.draw(rng_b)
        assert game.replay(2000, draw) == game.replay(2000, draw)


def test_a_stored_draw_round_trips_through_json_and_replays_the_same_outcome(
    clover: ModuleType,
) -> None:
    game = clover.GAME
    rng = SeededRng(7)
    wins = 0
    for _ in range(3000):
        draw = game.draw(rng)
        outcome = game.replay(5000, draw)
        stored = json.loads(json.dumps(draw))
        assert stored == {"stops": draw["stops"], "multiplier": draw["multiplier"]}
        again = game.replay(5000, stored)
        assert again.to_json() == outcome.to_json()
        assert json.loads(json.dumps(outcome.to_json())) == outcome.to_json()
        wins += outcome.total_win > 0
    assert 0.20 < wins / 3000 < 0.31  # float ok: a hit frequency near 25.35 %


def test_every_amount_is_an_integer_of_money_units_in_the_reel_clients_format(
    clover: ModuleType,
) -> None:
    game = clover.GAME
    rng = SeededRng(8)
    for level in game.stake_levels:
        for _ in range(500):
            outcome = game.replay(level, game.draw(rng))
            assert isinstance(outcome, Outcome)
            data = outcome.to_json()
            base = data["base"]
            assert set(base) >= {"grid", "line_wins", "scatter", "multiplier", "win"}
            assert base["scatter"] is None and base["free_games_awarded"] == 0
            assert data["free_games"] == [] and data["total_stake"] == level * 5
            assert len(base["grid"]) == 3 and all(len(reel) == 3 for reel in base["grid"])
            for win in base["line_wins"]:
                assert set(win) == {"line", "symbol", "count", "positions", "amount"}
                assert type(win["amount"]) is int
                assert win["amount"] % (level * base["multiplier"]) == 0
                assert [base["grid"][r][c] for r, c in win["positions"]] == [win["symbol"]] * (
                    win["count"]
                )
            amounts = [w["amount"] for w in base["line_wins"]]
            assert base["win"] == data["total_win"] == outcome.total_win == sum(amounts)


def test_a_line_win_is_the_bet_per_line_times_its_pay_times_the_clover(
    clover: ModuleType,
) -> None:
    from reelbridge_lucky_clover.game import STRIPS

    # Reel stops that put SEVEN in the middle row on all three reels.
    stops = [(strip.index("SEVEN") - 1) % len(strip) for strip in STRIPS]
    outcome = clover.GAME.replay(2000, {"stops": stops, "multiplier": 10})
    middle = next(w for w in outcome.line_wins if w.line == 0)
    assert (middle.symbol, middle.count, middle.amount) == ("SEVEN", 3, 2000 * 200 * 10)
    assert middle.positions == ((0, 1), (1, 1), (2, 1))


@pytest.mark.parametrize(
    "draw",
    [
        None,
        [[1, 2, 3]],
        {"stops": [1, 2, 3]},
        {"stops": [1, 2, 3], "multiplier": 1, "extra": 0},
        {"stops": [1, 2], "multiplier": 1},
        {"stops": [1, 2, 3, 4], "multiplier": 1},
        {"stops": [1, 2, 24], "multiplier": 1},
        {"stops": [1, -1, 3], "multiplier": 1},
        {"stops": [1, True, 3], "multiplier": 1},
        {"stops": [1, 2.0, 3], "multiplier": 1},
        {"stops": "123", "multiplier": 1},
        {"stops": [1, 2, 3], "multiplier": 4},
        {"stops": [1, 2, 3], "multiplier": 2.0},
        {"stops": [1, 2, 3], "multiplier": True},
    ],
)
def test_a_draw_that_does_not_fit_the_game_is_refused(clover: ModuleType, draw: Any) -> None:
    with pytest.raises(InvalidDrawError, match="lucky-clover"):
        clover.GAME.replay(1000, draw)


@pytest.mark.parametrize("bet", [0, 999, 1234, 1000.0, True, "1000", None])
def test_a_bet_that_is_not_a_stake_level_is_refused(clover: ModuleType, bet: Any) -> None:
    game = clover.GAME
    draw = {"stops": [0, 0, 0], "multiplier": 1}
    for call in (
        lambda: game.total_stake(bet),
        lambda: game.replay(bet, draw),
        lambda: game.exact_rtp(bet),
    ):
        with pytest.raises(InvalidStakeError, match="not one of"):
            call()


def test_a_seeded_simulation_of_100000_rounds_lands_in_the_99_percent_interval(
    clover: ModuleType,
) -> None:
    game = clover.GAME
    exact = _moments_by_replaying_every_draw(game)
    rng = SeededRng(20261123)  # fixed: any seed passes with probability 0.99
    rounds, stake = 100_000, game.total_stake(1000)
    total, multipliers = 0, Counter[int]()
    for _ in range(rounds):
        draw = game.draw(rng)
        total += game.replay(1000, draw).total_win
        multipliers[draw["multiplier"]] += 1
    std_dev = math.sqrt(exact.variance)  # float ok: statistics
    low, high = normal_interval(float(exact.mean), std_dev, rounds, 0.99)
    assert low <= total / (rounds * stake) <= high
    # The clover follows its weights (chi-square, 4 degrees of freedom, 99 %).
    from reelbridge_lucky_clover.game import MULTIPLIERS

    chi2 = sum(
        (multipliers[k] - rounds * w / 100) ** 2 / (rounds * w / 100) for k, w in MULTIPLIERS
    )
    assert chi2 < chi_square_critical(len(MULTIPLIERS) - 1, 0.99)


def test_the_example_passes_the_plug_in_checks_with_symbols_the_client_has_art_for(
    clover: ModuleType,
) -> None:
    game = clover.GAME
    assert isinstance(game, SlotGame)
    assert validate_game(game) is game
    layout = game.client()
    art = set(re.findall(r"^  ([A-Z0-9]+):", SYMBOL_ART.read_text(), re.MULTILINE))
    assert {"CHERRY", "SEVEN", "BAR"} <= art
    names = {symbol["name"] for symbol in layout["symbols"]}
    assert names <= art, names - art
    assert (layout["rows"], layout["reels"], len(layout["lines"])) == (3, 3, 5)


def test_the_examples_own_tests_pass_against_the_installed_plug_in(
    lucky_clover_install: PluginInstall,
) -> None:
    command = [sys.executable, "-m", "pytest", str(EXAMPLE / "tests"), "-q"]
    result = subprocess.run(
        [*command, "-p", "no:cacheprovider"],
        env=lucky_clover_install.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_b18_the_plug_in_discloses_the_same_total_below_100_percent_at_every_stake(
    clover: ModuleType,
) -> None:
    rates = rtp_by_stake(clover.GAME, DEFAULT_JACKPOTS)
    check_fair(rates)  # raises if the totals differ by stake or reach 100 %
    totals = {rate.total for rate in rates}
    assert len(totals) == 1 and all(t is not None and t < 1 for t in totals)
