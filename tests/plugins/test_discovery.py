"""Game discovery: plug-ins join the built-in games; a broken one is reported, not fatal."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from plugins.support import TINY_GAME, PluginInstall, plugins_on_path, write_distribution
from reelbridge.games import (
    Game,
    GameSource,
    UnknownGameError,
    all_games,
    get_game,
    installed_games,
)

BUILT_IN_IDS = ("book-of-reels", "classic-7s")


def test_the_installed_example_is_offered_as_a_plug_in_with_its_distribution(
    lucky_clover: PluginInstall,
) -> None:
    catalogue = installed_games()
    assert catalogue.errors == ()
    entry = catalogue.get("lucky-clover")
    assert entry.source == GameSource(
        "plug-in",
        distribution="reelbridge-lucky-clover",
        version="0.1.0",
        entry_point="lucky-clover",
        target="reelbridge_lucky_clover:GAME",
    )
    assert str(entry.source) == "plug-in reelbridge-lucky-clover==0.1.0"
    game = get_game("lucky-clover")
    assert game is entry.game and game.name == "Lucky Clover"
    assert type(game).__module__ == "reelbridge_lucky_clover.game"
    ids = [g.game_id for g in all_games()]
    assert ids[:2] == list(BUILT_IN_IDS) and "lucky-clover" in ids[2:]
    for game_id in BUILT_IN_IDS:
        assert catalogue.get(game_id).source == GameSource("built-in")
        assert isinstance(get_game(game_id), Game)


def test_a_plug_in_is_seen_only_while_it_is_on_the_path(tmp_path: Path) -> None:
    before = installed_games(refresh=True)
    write_distribution(
        tmp_path,
        "passing-games",
        entry_points={"passing": "passing_games:GAME"},
        modules={"passing_games": TINY_GAME + "GAME = TinyGame('passing')\n"},
    )
    with plugins_on_path(tmp_path) as catalogue:
        assert set(catalogue.ids()) == {*before.ids(), "passing"}
        assert get_game("passing").name == "Tiny passing"
    assert installed_games().ids() == before.ids()
    assert "passing_games" not in sys.modules
    with pytest.raises(UnknownGameError):
        get_game("passing")


def test_discovery_is_cached_until_refreshed(tmp_path: Path) -> None:
    first = installed_games()
    assert installed_games() is first
    write_distribution(
        tmp_path,
        "late-games",
        entry_points={"late": "late_games:GAME"},
        modules={"late_games": TINY_GAME + "GAME = TinyGame('late')\n"},
    )
    with plugins_on_path(tmp_path) as catalogue:
        assert "late" not in first.ids()
        assert "late" in catalogue.ids()
        assert installed_games() is catalogue


BROKEN = {
    "import error": (
        "import no_such_module\n",
        "GAME",
        "cannot load it: ModuleNotFoundError: No module named 'no_such_module'",
    ),
    "missing attribute": (
        "",
        "GAME",
        "cannot load it: AttributeError:",
    ),
    "wrong object": (
        "GAME = 42\n",
        "GAME",
        "an object of type int is not a SlotGame (missing: game_id, name, stake_levels",
    ),
    "a class without an instance": (
        TINY_GAME + "GAMES = [TinyGame]\n",
        "GAMES",
        "the class TinyGame is not a game: a game is an instance",
    ),
    "duplicate of a built-in id": (
        "from reelbridge.games import get_game\nGAME = get_game('classic-7s').definition\n",
        "GAME",
        "game id 'classic-7s' is taken by a built-in game",
    ),
    "bad stake levels": (
        TINY_GAME + "GAME = TinyGame('bad-stakes', stake_levels=(20, 10))\n",
        "GAME",
        "game 'bad-stakes': stake_levels must be positive, strictly increasing integers, "
        "got (20, 10)",
    ),
    "zero stake level": (
        TINY_GAME + "GAME = TinyGame('zero-stake', stake_levels=(0, 10))\n",
        "GAME",
        "stake_levels must be positive",
    ),
    "game id with a space": (
        TINY_GAME + "GAME = TinyGame('lucky clover')\n",
        "GAME",
        "game_id 'lucky clover' contains whitespace or control characters",
    ),
    "game id too long": (
        TINY_GAME + "GAME = TinyGame('x' * 65)\n",
        "GAME",
        "is longer than 64 characters",
    ),
    "client layout without lines": (
        TINY_GAME + "GAME = TinyGame('no-lines', layout={'rows': 1, 'reels': 1, 'symbols': []})\n",
        "GAME",
        "game 'no-lines': client() lacks lines",
    ),
    "client symbol of an unknown kind": (
        TINY_GAME
        + "LAYOUT = {'rows': 1, 'reels': 1, 'lines': [[0]],\n"
        + "          'symbols': [{'name': 'X', 'kind': 'bonus', 'pays': []}]}\n"
        + "GAME = TinyGame('odd-kind', layout=LAYOUT)\n",
        "GAME",
        "game 'odd-kind': client() symbol X has kind 'bonus'",
    ),
    "draw that is not plain JSON": (
        TINY_GAME
        + "class Game(TinyGame):\n"
        + "    def draw(self, rng):\n"
        + "        return {'stops': {rng.randbelow(2)}}\n"
        + "GAME = Game('set-draw')\n",
        "GAME",
        "game 'set-draw': draw() must return plain JSON",
    ),
    "replay raising": (
        TINY_GAME
        + "class Game(TinyGame):\n"
        + "    def replay(self, bet_per_line, draw):\n"
        + "        raise KeyError('reels')\n"
        + "GAME = Game('no-replay')\n",
        "GAME",
        "game 'no-replay': replay() of a fresh draw raised KeyError: 'reels'",
    ),
    "impure replay": (
        TINY_GAME
        + "import itertools\n"
        + "COUNTER = itertools.count()\n"
        + "class Game(TinyGame):\n"
        + "    def replay(self, bet_per_line, draw):\n"
        + "        return TinyOutcome(next(COUNTER))\n"
        + "GAME = Game('impure')\n",
        "GAME",
        "game 'impure': replay() is not pure",
    ),
    "win that is not an integer": (
        TINY_GAME
        + "class Game(TinyGame):\n"
        + "    def replay(self, bet_per_line, draw):\n"
        + "        return TinyOutcome(0.5)\n"
        + "GAME = Game('float-win')\n",
        "GAME",
        "game 'float-win': total_win must be a non-negative integer, got 0.5",
    ),
    "factory raising": (
        "def make():\n    raise RuntimeError('licence server unreachable')\n",
        "make",
        "its factory raised RuntimeError: licence server unreachable",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_plug_in_is_reported_with_its_reason_and_hides_no_other_game(
    case: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source, attribute, reason = BROKEN[case]
    write_distribution(
        tmp_path,
        "broken-games",
        version="2.5",
        entry_points={"broken": f"broken_games:{attribute}"},
        modules={"broken_games": source},
    )
    write_distribution(
        tmp_path,
        "good-games",
        entry_points={"good": "good_games:GAME"},
        modules={"good_games": TINY_GAME + "GAME = TinyGame('good')\n"},
    )
    before = installed_games(refresh=True)
    with caplog.at_level(logging.WARNING, "reelbridge.games"), plugins_on_path(tmp_path) as games:
        (error,) = set(games.errors) - set(before.errors)
        assert reason in error.reason
        assert error.source.distribution == "broken-games"
        assert error.source.version == "2.5"
        assert error.source.entry_point == "broken"
        assert f"plug-in broken-games==2.5 (broken = broken_games:{attribute})" in str(error)
        assert set(games.ids()) == {*before.ids(), "good"}
        assert get_game("good").name == "Tiny good"
        assert isinstance(get_game("classic-7s"), Game)
        installed_games()
        warnings = [r.getMessage() for r in caplog.records if "broken-games" in r.getMessage()]
        assert len(warnings) == 1 and reason in warnings[0]
        assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_two_plug_ins_claiming_one_id_are_both_refused(tmp_path: Path) -> None:
    for name in ("first-games", "second-games"):
        module = name.replace("-", "_")
        write_distribution(
            tmp_path,
            name,
            entry_points={"twin": f"{module}:GAME"},
            modules={module: TINY_GAME + "GAME = TinyGame('twin')\n"},
        )
    with plugins_on_path(tmp_path) as games:
        assert "twin" not in games.ids()
        twins = [error for error in games.errors if error.game_id == "twin"]
        assert sorted(error.source.distribution or "" for error in twins) == [
            "first-games",
            "second-games",
        ]
        for error in twins:
            assert "game id 'twin' is also offered by plug-in" in error.reason
            assert error.reason.endswith("none of them is offered")
        with pytest.raises(UnknownGameError, match="unknown game 'twin'"):
            get_game("twin")


def test_a_factory_may_return_several_games_each_checked_on_its_own(tmp_path: Path) -> None:
    write_distribution(
        tmp_path,
        "studio-games",
        entry_points={"all": "studio_games:games"},
        modules={
            "studio_games": TINY_GAME
            + "def games():\n"
            + "    return [TinyGame('one'), TinyGame('two', stake_levels=()), TinyGame('three')]\n"
        },
    )
    before = installed_games(refresh=True)
    with plugins_on_path(tmp_path) as games:
        assert set(games.ids()) == {*before.ids(), "one", "three"}
        (error,) = set(games.errors) - set(before.errors)
        assert "game 'two': stake_levels must be positive" in error.reason


def test_a_game_definition_is_played_by_the_built_in_engine(tmp_path: Path) -> None:
    write_distribution(
        tmp_path,
        "data-games",
        entry_points={"copy": "data_games:DEFINITION"},
        modules={
            "data_games": "import dataclasses\n"
            "from reelbridge.games import get_game\n"
            "DEFINITION = dataclasses.replace(\n"
            "    get_game('classic-7s').definition, game_id='classic-copy', name='Copy'\n"
            ")\n"
        },
    )
    with plugins_on_path(tmp_path) as games:
        assert not [error for error in games.errors if error.game_id == "classic-copy"]
        game = get_game("classic-copy")
        assert isinstance(game, Game) and game.name == "Copy"
        assert game.exact_rtp(game.stake_levels[0]) == get_game("classic-7s").rtp


def test_an_unreadable_entry_points_file_is_reported_and_hides_no_other_plug_in(
    tmp_path: Path,
) -> None:
    write_distribution(
        tmp_path,
        "garbled-games",
        entry_points={"garbled": "garbled_games:GAME"},
        modules={"garbled_games": ""},
    )
    (tmp_path / "garbled_games-1.0.dist-info" / "entry_points.txt").write_text(
        "[reelbridge.games]\nthis line is not an entry point\n"
    )
    write_distribution(
        tmp_path,
        "good-games",
        entry_points={"good": "good_games:GAME"},
        modules={"good_games": TINY_GAME + "GAME = TinyGame('good')\n"},
    )
    before = installed_games(refresh=True)
    with plugins_on_path(tmp_path) as games:
        assert set(games.ids()) == {*before.ids(), "good"}
        (error,) = set(games.errors) - set(before.errors)
        assert error.source.distribution == "garbled-games"
        assert "its entry_points.txt cannot be read" in error.reason
