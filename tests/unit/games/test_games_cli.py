"""The ``rtp`` command, driven through click's CliRunner."""

from __future__ import annotations

import json
from fractions import Fraction

from click.testing import CliRunner

from reelbridge.games import get_game
from reelbridge.games.cli import rtp_command


def test_rtp_prints_the_par_sheet_as_a_table() -> None:
    result = CliRunner().invoke(rtp_command, ["classic-7s"])
    assert result.exit_code == 0, result.output
    assert "PAR sheet" in result.stdout
    assert "1381/1440" in result.stdout
    assert "95.9028 %" in result.stdout
    assert "CHERRY" in result.stdout


def test_rtp_json_gives_the_exact_rtp_as_a_fraction() -> None:
    result = CliRunner().invoke(rtp_command, ["book-of-reels", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert Fraction(data["par"]["rtp"]["fraction"]) == get_game("book-of-reels").rtp
    assert data["par"]["std_dev"] > 0
    assert data["simulation"] is None


def test_rtp_simulate_reports_the_simulated_rtp_next_to_the_exact_one() -> None:
    args = ["classic-7s", "--simulate", "2000000", "--seed", "3", "--json"]
    result = CliRunner().invoke(rtp_command, args)
    assert result.exit_code == 0, result.output
    simulation = json.loads(result.stdout)["simulation"]
    assert simulation["spins"] == 2_000_000
    assert simulation["seed"] == 3
    low, high = simulation["ci99"]
    assert low < simulation["rtp"] < high
    assert simulation["exact_rtp"] == float(Fraction(1381, 1440))

    text = CliRunner().invoke(rtp_command, ["classic-7s", "--simulate", "100000", "--seed", "3"])
    assert text.exit_code == 0, text.output
    assert "99 % confidence interval" in text.stdout
    assert "simulated RTP" in text.stdout


def test_an_unknown_game_is_a_usage_error_listing_the_known_games() -> None:
    result = CliRunner().invoke(rtp_command, ["no-such-game"])
    assert result.exit_code == 2
    assert "unknown game 'no-such-game'" in result.output
    assert "book-of-reels" in result.output and "classic-7s" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
