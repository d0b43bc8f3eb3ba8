"""The engine: pay rules, replay, integer money, JSON, errors and the registry."""

from __future__ import annotations

import json

import pytest

import reelbridge.games as games
from reelbridge.games import (
    FreeGamesRule,
    Game,
    GameDefinition,
    GameDefinitionError,
    GamesError,
    InvalidDrawError,
    InvalidStakeError,
    SeededRng,
    SpinResult,
    Symbol,
    SymbolKind,
    UnknownGameError,
    get_game,
    installed_games,
)
from reelbridge.protocol.errors import ErrorCode

# The built-in games (a plug-in installed in the environment is tested on its own).
GAME_IDS = [e.game_id for e in installed_games().games if e.source.kind == "built-in"]
SYMBOLS = ("A", "K", "W", "S")


def _one_line_game() -> Game:
    """5 reels × 1 row, one line; reel stop ``i`` shows ``SYMBOLS[i]`` on every reel."""
    return Game(
        GameDefinition(
            game_id="one-line",
            name="One line",
            rows=1,
            symbols=(
                Symbol("A", ((3, 5), (4, 20), (5, 50))),
                Symbol("K", ((2, 2), (3, 10), (4, 40), (5, 100))),
                Symbol("W", ((2, 3), (3, 25), (4, 30), (5, 500)), SymbolKind.WILD),
                Symbol("S", ((3, 2),), SymbolKind.SCATTER),
            ),
            strips=(SYMBOLS,) * 5,
            lines=((0, 0, 0, 0, 0),),
            stake_levels=(10, 20),
            free_games=FreeGamesRule(awards=((3, 2),), multiplier=2),
        )
    )


def _screen(*names: str) -> tuple[int, ...]:
    return tuple(SYMBOLS.index(n) for n in names)


@pytest.mark.parametrize(
    ("shown", "symbol", "count", "multiplier"),
    [
        (("A", "A", "A", "K", "K"), "A", 3, 5),
        (("A", "A", "K", "A", "A"), None, 0, 0),
        (("W", "A", "A", "A", "K"), "A", 4, 20),
        (("A", "W", "W", "K", "A"), "A", 3, 5),
        (("W", "W", "K", "K", "A"), "K", 4, 40),
        (("W", "W", "W", "A", "K"), "W", 3, 25),
        (("W", "W", "W", "W", "W"), "W", 5, 500),
        (("W", "W", "S", "A", "A"), "W", 2, 3),
        (("K", "W", "S", "K", "K"), "K", 2, 2),
        (("S", "A", "A", "A", "A"), None, 0, 0),
    ],
)
def test_a_line_pays_the_better_of_its_symbol_run_and_its_leading_wild_run(
    shown: tuple[str, ...], symbol: str | None, count: int, multiplier: int
) -> None:
    game = _one_line_game()
    screen = game._evaluator.evaluate(_screen(*shown), bet_per_line=10, multiplier=1)
    if symbol is None:
        assert screen.line_wins == ()
    else:
        (win,) = screen.line_wins
        assert (win.symbol, win.count, win.amount) == (symbol, count, multiplier * 10)
        assert win.positions == tuple((reel, 0) for reel in range(count))


def test_scatters_pay_the_total_stake_anywhere_and_award_free_games() -> None:
    game = _one_line_game()
    screen = game._evaluator.evaluate(
        _screen("S", "A", "S", "K", "S"), bet_per_line=10, multiplier=1
    )
    assert screen.scatter is not None
    assert (screen.scatter.count, screen.scatter.amount) == (3, 2 * 10 * 1)
    assert screen.scatter.positions == ((0, 0), (2, 0), (4, 0))
    assert screen.free_games_awarded == 2


def test_free_games_are_played_with_the_multiplier_and_can_retrigger() -> None:
    game = _one_line_game()
    trigger = _screen("S", "S", "S", "A", "A")
    kings = _screen("K", "K", "K", "A", "A")
    draw = (trigger, trigger, kings, kings, kings)
    result = game.replay(20, draw)
    assert result.free_games_awarded == 4
    assert [g.free_games_awarded for g in result.free_games] == [2, 0, 0, 0]
    assert [g.multiplier for g in result.free_games] == [2, 2, 2, 2]
    assert result.free_games[1].win == 2 * 10 * 20
    scatter_pay = 2 * 20
    assert result.total_win == scatter_pay + 2 * scatter_pay + 3 * (2 * 10 * 20)
    assert result.total_win == result.base.win + result.free_games_win


@pytest.mark.parametrize("game_id", GAME_IDS)
def test_replaying_a_draw_reproduces_the_spin_exactly(game_id: str) -> None:
    game = get_game(game_id)
    rng = SeededRng(11)
    for _ in range(3000):
        result = game.spin(game.stake_levels[-1], rng)
        assert game.replay(result.bet_per_line, result.draw) == result


@pytest.mark.parametrize("game_id", GAME_IDS)
def test_every_amount_is_an_integer_of_money_units(game_id: str) -> None:
    game = get_game(game_id)
    rng = SeededRng(12)
    for _ in range(3000):
        result = game.spin(game.stake_levels[0], rng)
        screens = (result.base, *result.free_games)
        amounts = [w.amount for s in screens for w in s.line_wins]
        amounts += [s.scatter.amount for s in screens if s.scatter is not None]
        amounts += [s.win for s in screens] + [result.total_win, result.total_stake]
        assert all(type(a) is int and a >= 0 for a in amounts)
        assert result.total_stake == game.stake_levels[0] * len(game.lines)


@pytest.mark.parametrize("game_id", GAME_IDS)
def test_to_json_round_trips_through_json_and_its_draw_replays(game_id: str) -> None:
    game = get_game(game_id)
    rng = SeededRng(13)
    results = [game.spin(game.stake_levels[2], rng) for _ in range(2000)]
    if game.definition.free_games is not None:
        results.append(next(r for r in (game.spin(100, rng) for _ in range(5000)) if r.free_games))
    for result in results:
        data = result.to_json()
        loaded = json.loads(json.dumps(data))
        assert loaded == data
        assert game.replay(loaded["bet_per_line"], loaded["draw"]) == result
        assert loaded["total_win"] == result.total_win


def test_the_spin_result_exposes_the_base_screen() -> None:
    result = get_game("classic-7s").spin(1000, SeededRng(1))
    assert isinstance(result, SpinResult)
    assert result.grid == result.base.grid
    assert len(result.grid) == 3 and all(len(reel) == 3 for reel in result.grid)
    assert result.line_wins == result.base.line_wins
    assert result.scatter_win is None


def test_a_stake_that_is_not_a_stake_level_is_refused_with_a_wire_code() -> None:
    game = get_game("book-of-reels")
    with pytest.raises(InvalidStakeError) as caught:
        game.spin(123, SeededRng(1))
    assert caught.value.code is ErrorCode.WRONG_INPUT_PARAMETERS
    assert not caught.value.retryable
    assert game.bet_per_line(0) == game.stake_levels[0]
    with pytest.raises(InvalidStakeError):
        game.bet_per_line(len(game.stake_levels))


@pytest.mark.parametrize(
    "draw",
    [
        [],
        [[0, 0, 0, 0]],
        [[0, 0, 0, 0, 33]],
        [[0, 0, 0, 0, -1]],
        [[0, 0, 0, 0, True]],
        [[0, 0, 0, 0, 1.0]],
        [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]],
    ],
)
def test_a_draw_that_does_not_fit_the_game_is_refused(draw: list[list[object]]) -> None:
    with pytest.raises(InvalidDrawError):
        get_game("book-of-reels").replay(100, draw)  # type: ignore[arg-type]


def test_a_draw_missing_awarded_free_games_is_refused() -> None:
    game = _one_line_game()
    trigger = _screen("S", "S", "S", "A", "A")
    kings = _screen("K", "K", "K", "A", "A")
    with pytest.raises(InvalidDrawError, match="lacks 1"):
        game.replay(10, (trigger, kings))
    with pytest.raises(InvalidDrawError, match="lacks 3"):
        game.replay(10, (trigger, trigger))


def test_unknown_game_ids_raise_an_error_listing_the_known_games() -> None:
    with pytest.raises(UnknownGameError) as caught:
        get_game("no-such-game")
    assert isinstance(caught.value, GamesError)
    assert caught.value.code is ErrorCode.WRONG_INPUT_PARAMETERS
    for game_id in GAME_IDS:
        assert game_id in str(caught.value)


def test_the_registry_returns_one_game_object_per_id() -> None:
    assert GAME_IDS == ["book-of-reels", "classic-7s"]
    assert get_game("classic-7s") is get_game("classic-7s")
    book = get_game("book-of-reels")
    assert (len(book.reels), book.rows, len(book.lines)) == (5, 3, 20)
    classic = get_game("classic-7s")
    assert (len(classic.reels), classic.rows, len(classic.lines)) == (3, 3, 5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"strips": (("A", "X"),) * 5}, "unknown symbols"),
        ({"lines": ((0, 0, 0, 0),)}, "does not fit"),
        ({"lines": ((0, 0, 0, 0, 1),)}, "does not fit"),
        ({"lines": ((0,) * 5, (0,) * 5)}, "distinct"),
        ({"stake_levels": (20, 10)}, "increasing"),
        ({"stake_levels": (0,)}, "positive"),
        ({"free_games": FreeGamesRule(awards=((3, 1),), multiplier=0)}, "multiplier"),
        ({"symbols": (Symbol("A"), Symbol("A"))}, "unique"),
    ],
)
def test_inconsistent_definitions_are_refused(change: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "game_id": "bad",
        "name": "Bad",
        "rows": 1,
        "symbols": (Symbol("A", ((3, 5),)), Symbol("S", (), SymbolKind.SCATTER)),
        "strips": (("A", "S"),) * 5,
        "lines": ((0,) * 5,),
        "stake_levels": (10,),
    }
    fields.update(change)
    with pytest.raises(GameDefinitionError, match=message):
        GameDefinition(**fields)  # type: ignore[arg-type]


def test_the_public_surface_is_exactly_all() -> None:
    public = {name for name in dir(games) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(games, name)).__name__ == "module"}
    assert sorted(games.__all__) == sorted(public - modules)
    # sorted as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions
    order = sorted(games.__all__, key=lambda n: (not n.isupper(), not n[:1].isupper(), n))
    assert games.__all__ == order
