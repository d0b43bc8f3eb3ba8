"""Exact maths: documented RTPs, enumeration against counting against the engine."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest

from reelbridge.games import (
    FreeGamesRule,
    Game,
    GameDefinition,
    GameDefinitionError,
    Symbol,
    SymbolKind,
    get_game,
    installed_games,
)
from reelbridge.games._book_of_reels import RTP as BOOK_OF_REELS_RTP
from reelbridge.games._classic_7s import RTP as CLASSIC_7S_RTP
from reelbridge.games._maths import free_games_value

BUILT_IN = [e.game for e in installed_games().games if e.source.kind == "built-in"]
DOCUMENTED = [("book-of-reels", BOOK_OF_REELS_RTP), ("classic-7s", CLASSIC_7S_RTP)]


@pytest.mark.parametrize(("game_id", "documented"), DOCUMENTED)
def test_exact_rtp_equals_the_value_documented_in_the_game_module(
    game_id: str, documented: Fraction
) -> None:
    assert get_game(game_id).rtp == documented


@pytest.mark.parametrize(("game_id", "documented"), DOCUMENTED)
def test_enumerating_every_screen_gives_the_same_rtp_as_counting(
    game_id: str, documented: Fraction
) -> None:
    par = get_game(game_id).par_sheet()
    assert par.rtp == documented
    assert par.rtp_lines + par.rtp_scatter + par.rtp_feature == par.rtp
    assert sum(par.rtp_by_symbol.values()) == par.rtp_lines


def test_every_game_returns_between_94_and_97_percent() -> None:
    for game in BUILT_IN:
        assert Fraction(94, 100) <= game.rtp <= Fraction(97, 100), game.game_id


def test_par_sheets_have_sensible_hit_frequency_and_volatility() -> None:
    for game in BUILT_IN:
        par = game.par_sheet()
        assert Fraction(15, 100) <= par.hit_frequency <= Fraction(50, 100)
        assert 1 < par.std_dev < 20
        assert sum(par.win_bands) <= par.hit_frequency
        assert par.screens == math.prod(len(strip) for strip in game.reels)


def test_book_of_reels_feature_figures_follow_the_geometric_series() -> None:
    game = get_game("book-of-reels")
    split = game.rtp_split
    par = game.par_sheet()
    assert 0 < split.expected_awards < 1
    assert split.free_games_per_feature == 10 / (1 - split.expected_awards)
    multiplier = 3
    assert par.rtp_feature == split.expected_awards * multiplier * (split.lines + split.scatter) / (
        1 - split.expected_awards
    )
    assert par.max_free_game_win == multiplier * par.max_base_win
    assert par.feature_win * par.feature_frequency == par.rtp_feature


def test_classic_7s_has_no_feature() -> None:
    par = get_game("classic-7s").par_sheet()
    assert par.rtp_feature == par.rtp_scatter == par.feature_frequency == 0
    assert par.max_free_game_win == 0


def test_free_games_value_sums_the_retrigger_series() -> None:
    assert free_games_value(Fraction(2), Fraction(1, 4)) == Fraction(8, 3)
    assert free_games_value(Fraction(5), Fraction(0)) == 5


def test_a_feature_that_would_never_end_is_refused() -> None:
    with pytest.raises(GameDefinitionError):
        free_games_value(Fraction(1), Fraction(1))


def _tiny_game() -> Game:
    """3 reels × 2 rows, 2 lines, a paying wild and a scatter with free games."""
    return Game(
        GameDefinition(
            game_id="tiny",
            name="Tiny",
            rows=2,
            symbols=(
                Symbol("A", ((2, 1), (3, 4))),
                Symbol("B", ((3, 9),)),
                Symbol("W", ((2, 2), (3, 20)), SymbolKind.WILD),
                Symbol("S", ((2, 1), (3, 5)), SymbolKind.SCATTER),
            ),
            strips=(
                ("A", "B", "W", "S", "A"),
                ("B", "A", "S", "A", "W", "B"),
                ("A", "S", "B", "W"),
            ),
            lines=((0, 0, 0), (1, 0, 1)),
            stake_levels=(1,),
            free_games=FreeGamesRule(awards=((2, 1), (3, 2)), multiplier=2),
        )
    )


def test_counting_and_enumeration_agree_with_the_reference_engine_on_every_screen() -> None:
    game = _tiny_game()
    lengths = [len(strip) for strip in game.reels]
    wins = Fraction(0)
    awards = Fraction(0)
    screens = 0
    for stops in itertools.product(*(range(n) for n in lengths)):
        screen = game._evaluator.evaluate(stops, bet_per_line=1, multiplier=1)
        wins += screen.win
        awards += screen.free_games_awarded
        screens += 1
    base = wins / screens / len(game.lines)
    e_awards = awards / screens
    par = game.par_sheet(workers=1)
    assert par.rtp_lines + par.rtp_scatter == base
    assert game.rtp_split.expected_awards == e_awards
    assert game.rtp == base + e_awards * free_games_value(2 * base, e_awards)
    assert par.rtp == game.rtp
