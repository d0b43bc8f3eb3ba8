"""``reelbridge provider engine …`` and ``… engines`` through click's CliRunner against a
running provider: a registration lands, the listing shows token fingerprints only, and
bad input is one readable line with a non-zero exit, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from provider.conftest import MakeStack
from provider.support import PROVIDER_ADMIN, uid
from reelbridge.cli import cli

# The commands talk HTTP: which database serves the provider does not matter here.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TOKEN = "engine-token-of-the-cli-test"


def invoke(args: Sequence[str], url: str) -> Result:
    env = {"COLUMNS": "250", "REELBRIDGE_PROVIDER_ADMIN_TOKEN": PROVIDER_ADMIN}
    return CliRunner().invoke(cli, ["provider", *args, "--url", url], env=env)


def assert_refused(result: Result, message: str) -> None:
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert message in result.output, result.output


def test_an_engine_registered_from_the_cli_is_offered_and_listed(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = make_stack()
    engine_id, dice, coins = uid("studio"), uid("dice"), uid("coins")
    games_file = tmp_path / "games.json"
    games_file.write_text(
        json.dumps([{"game_id": coins, "name": "Coins: Deluxe", "lines": 1, "stake_levels": ["1"]}])
    )
    result = invoke(
        [
            "engine", engine_id, "--engine-token", TOKEN,
            "--launch-url", "https://studio.example/play?token={token}",
            "--game", f"{dice}:Lucky Dice:10:0.01,0.05,0.10:19/20",
            "--games-file", str(games_file),
        ],
        stack.provider_url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"engine {engine_id}: created" in result.output
    offered = {g["game_id"]: g for g in stack.admin.get("/admin/games")["games"]}
    assert offered[dice]["stake_levels"] == [100, 500, 1000] and coins in offered
    listing = invoke(["engines"], stack.provider_url)
    assert listing.exit_code == 0 and engine_id in listing.output, listing.output
    assert TOKEN not in listing.output and "fp:" in listing.output


@pytest.mark.parametrize(
    ("game", "message"),
    [
        ("dice:Dice:10", "is not GAME_ID:NAME:LINES"),
        ("dice:Dice:ten:0.01", "lines 'ten' is not a whole number"),
        ("dice:Dice:10:0.00001", "more than 4 decimals"),
        ("book-of-reels:Book:10:0.01", "game_id_taken"),
        ("dice:Dice:10:0.01:2", "at most 1"),
    ],
)
def test_a_bad_game_is_one_readable_line_and_registers_nothing(
    make_stack: MakeStack, game: str, message: str
) -> None:
    stack = make_stack()
    result = invoke(
        [
            "engine", uid("studio"), "--engine-token", TOKEN,
            "--launch-url", "https://x.example/{token}", "--game", game,
        ],
        stack.provider_url,
    )  # fmt: skip
    assert_refused(result, message)
    assert stack.admin.get("/admin/engines")["items"] == []  # each stack: a database of its own


def test_an_engine_without_games_or_with_an_unreadable_file_is_refused(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = make_stack()
    base = ["engine", uid("studio"), "--engine-token", TOKEN, "--launch-url", "https://x/{token}"]
    assert_refused(invoke(base, stack.provider_url), "give the engine's games")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert_refused(invoke([*base, "--games-file", str(broken)], stack.provider_url), "broken.json")
