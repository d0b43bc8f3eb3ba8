"""``reelbridge games``: built-in and plug-in games, and broken plug-ins failing the run."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from click.testing import CliRunner

from plugins.support import TINY_GAME, PluginInstall, plugins_on_path, write_distribution
from reelbridge.cli import cli

REELBRIDGE = Path(sys.executable).parent / "reelbridge"


def _broken(root: Path) -> str:
    """A distribution whose game has bad stake levels; returns the expected reason."""
    write_distribution(
        root,
        "broken-games",
        entry_points={"broken": "broken_games:GAME"},
        modules={"broken_games": TINY_GAME + "GAME = TinyGame('broken', stake_levels=(5, 5))\n"},
    )
    return "game 'broken': stake_levels must be positive, strictly increasing integers"


def test_games_lists_built_in_and_plug_in_games_with_source_stakes_lines_and_rtp(
    lucky_clover: PluginInstall,
) -> None:
    result = CliRunner().invoke(cli, ["games"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    # the game's own RTP, then the whole return with the default jackpots (B18)
    assert rows["book-of-reels"].split()[-4:] == ["96.0561", "%", "97.2311", "%"]
    assert "built-in" in rows["book-of-reels"]
    assert "0.50 – 25.00" in rows["classic-7s"]
    assert rows["classic-7s"].split()[-4:] == ["95.9028", "%", "97.0778", "%"]
    clover = rows["lucky-clover"]
    for text in ("Lucky Clover", "plug-in reelbridge-lucky-clover==0.1.0", "0.50 – 10.00"):
        assert text in clover
    assert clover.split()[-5:] == ["5", "95.9635", "%", "97.1385", "%"]
    assert "Problems" not in result.output


def test_games_json_gives_sources_stakes_and_exact_rtps(lucky_clover: PluginInstall) -> None:
    result = CliRunner().invoke(cli, ["games", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["errors"] == []
    games = {game["game_id"]: game for game in data["games"]}
    assert list(games) == ["book-of-reels", "classic-7s", "lucky-clover"]
    assert games["classic-7s"]["source"]["kind"] == "built-in"
    classic_rtp = {"min": "1381/1440", "max": "1381/1440", "text": "95.9028 %"}
    assert games["classic-7s"]["rtp"] == classic_rtp
    clover = games["lucky-clover"]
    assert clover["source"] == {
        "kind": "plug-in",
        "distribution": "reelbridge-lucky-clover",
        "version": "0.1.0",
        "entry_point": "lucky-clover",
        "target": "reelbridge_lucky_clover:GAME",
    }
    assert clover["lines"] == 5 and clover["error"] is None
    assert [s["bet_per_line"] for s in clover["stakes"]] == ["0.1", "0.2", "0.5", "1.0", "2.0"]
    assert [s["total_stake"] for s in clover["stakes"]] == ["0.5", "1.0", "2.5", "5.0", "10.0"]
    assert {s["rtp"] for s in clover["stakes"]} == {"737/768"}
    assert clover["offered"] is True and clover["not_offered_because"] is None
    for game in games.values():
        for stake in game["stakes"]:  # exact: total = base + jackpot at every stake
            total = Fraction(stake["rtp"]) + Fraction(stake["jackpot"])
            assert Fraction(stake["total"]) == total < 1
        totals = {stake["total"] for stake in game["stakes"]}
        assert game["with_jackpots"]["min"] == min(totals, key=Fraction)
        assert game["with_jackpots"]["jackpots"] is True
    assert {s["jackpot"] for s in clover["stakes"]} == {"47/4000"}  # the default plan


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "provider.toml"
    path.write_text(text)
    return path


def test_games_reads_the_providers_jackpot_plan_from_its_settings(tmp_path: Path) -> None:
    none = _config(tmp_path, "jackpots = false\n")
    result = CliRunner().invoke(cli, ["games", "--config", str(none)])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert rows["book-of-reels"].split()[-4:] == ["96.0561", "%", "no", "jackpots"]
    data = json.loads(CliRunner().invoke(cli, ["games", "--json", "--config", str(none)]).stdout)
    book = next(g for g in data["games"] if g["game_id"] == "book-of-reels")
    assert book["with_jackpots"]["jackpots"] is False
    assert {s["total"] for s in book["stakes"]} == {book["rtp"]["min"]}


def test_a_plan_that_lifts_a_game_to_100_percent_or_more_fails_the_run(tmp_path: Path) -> None:
    generous = _config(
        tmp_path,
        "[[jackpots.levels]]\nname = 'Mega'\nseed = 500000\n"
        "contribution_ppm = 50000\nstake_per_hit = 500000000\n",
    )
    result = CliRunner().invoke(cli, ["games", "--config", str(generous)])
    assert result.exit_code == 1
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "not offered (see below)" in rows["book-of-reels"]
    problems = result.stdout.split("Problems with games:")[1]
    assert "book-of-reels (built-in):" in problems and "100" in problems
    assert "problem(s) with games" in result.stderr and "Traceback" not in result.output
    data = json.loads(
        CliRunner().invoke(cli, ["games", "--json", "--config", str(generous)]).stdout
    )
    book = next(g for g in data["games"] if g["game_id"] == "book-of-reels")
    assert book["offered"] is False and book["with_jackpots"] is None
    assert "100" in book["not_offered_because"]


def test_a_bad_settings_file_is_a_readable_error(tmp_path: Path) -> None:
    bad = _config(tmp_path, "[[jackpots.levels]]\nname = 'Mega'\nseed = -5\n")
    result = CliRunner().invoke(cli, ["games", "--config", str(bad)])
    assert result.exit_code != 0
    assert "invalid settings" in result.output and "Traceback" not in result.output
    assert "Installed games" not in result.output


def test_a_broken_plug_in_is_listed_with_its_reason_and_fails_the_run(tmp_path: Path) -> None:
    reason = _broken(tmp_path)
    with plugins_on_path(tmp_path):
        result = CliRunner().invoke(cli, ["games"])
        as_json = CliRunner().invoke(cli, ["games", "--json"])
    assert result.exit_code == 1
    assert "classic-7s" in result.stdout and "broken" not in result.stdout.split("Problems")[0]
    assert reason in result.stdout
    assert "plug-in broken-games==1.0 (broken = broken_games:GAME)" in result.stdout
    assert "1 problem(s) with games" in result.stderr
    assert "Traceback" not in result.output
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    ids = [game["game_id"] for game in data["games"]]
    assert ids[:2] == ["book-of-reels", "classic-7s"] and "broken" not in ids
    (error,) = [e for e in data["errors"] if e["source"]["distribution"] == "broken-games"]
    assert reason in error["reason"] and error["source"]["distribution"] == "broken-games"


def test_rtp_is_a_range_when_it_depends_on_the_stake_or_simulation_only(tmp_path: Path) -> None:
    write_distribution(
        tmp_path,
        "maths-games",
        entry_points={"ranged": "maths_games:RANGED", "simulated": "maths_games:SIMULATED"},
        modules={
            "maths_games": TINY_GAME
            + "RANGED = TinyGame('ranged', rtp=lambda bet: Fraction(bet + 930, 1000))\n"
            + "SIMULATED = TinyGame('simulated', rtp=None)\n"
        },
    )
    with plugins_on_path(tmp_path):
        result = CliRunner().invoke(cli, ["games", "--json"])
    assert result.exit_code == 0, result.output
    games = {game["game_id"]: game for game in json.loads(result.stdout)["games"]}
    assert games["ranged"]["rtp"] == {"min": "47/50", "max": "19/20", "text": "94.0000 – 95.0000 %"}
    assert games["simulated"]["rtp"] == {"min": None, "max": None, "text": "simulation only"}
    assert [s["rtp"] for s in games["simulated"]["stakes"]] == [None, None]


def test_a_game_whose_rtp_fails_is_reported_and_fails_the_run(tmp_path: Path) -> None:
    write_distribution(
        tmp_path,
        "shaky-games",
        entry_points={"shaky": "shaky_games:GAME"},
        modules={"shaky_games": TINY_GAME + "GAME = TinyGame('shaky', rtp=lambda bet: 1 / 0)\n"},
    )
    with plugins_on_path(tmp_path):
        result = CliRunner().invoke(cli, ["games"])
    assert result.exit_code == 1
    assert "shaky (plug-in shaky-games==1.0): ZeroDivisionError: division by zero" in result.stdout
    assert "Traceback" not in result.output


def test_the_installed_command_lists_the_plug_in_from_pythonpath(
    lucky_clover_install: PluginInstall, tmp_path: Path
) -> None:
    ok = subprocess.run(
        [str(REELBRIDGE), "games"],
        env=lucky_clover_install.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "plug-in reelbridge-lucky-clover==0.1.0" in ok.stdout
    assert "95.9635 %" in ok.stdout and "book-of-reels" in ok.stdout

    reason = _broken(tmp_path)
    env = {**lucky_clover_install.env}
    env["PYTHONPATH"] = f"{tmp_path}:{env['PYTHONPATH']}"
    broken = subprocess.run(
        [str(REELBRIDGE), "games", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert broken.returncode == 1
    data = json.loads(broken.stdout)
    assert "lucky-clover" in [game["game_id"] for game in data["games"]]
    assert [reason in error["reason"] for error in data["errors"]] == [True]
    assert "Traceback" not in broken.stderr
