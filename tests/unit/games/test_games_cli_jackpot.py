"""``reelbridge rtp`` per stake: base + jackpot (B18), simulated per stake, any SlotGame."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from click.testing import CliRunner

import reelbridge.games.cli as rtp_cli
from reelbridge.games import (
    DEFAULT_JACKPOTS,
    InvalidStakeError,
    Rng,
    SlotGame,
    get_game,
)
from reelbridge.games.cli import rtp_command
from reelbridge.protocol import format_amount

BUILT_IN = ["book-of-reels", "classic-7s"]


def _fraction(value: dict[str, Any]) -> Fraction:
    assert Fraction(value["fraction"]) == pytest.approx(value["value"], rel=1e-12)
    return Fraction(value["fraction"])


def _run(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(rtp_command, list(args))
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("game_id", BUILT_IN)
def test_rtp_json_gives_base_plus_jackpot_exactly_and_the_same_total_at_every_stake(
    game_id: str,
) -> None:
    game = get_game(game_id)
    par = _run(game_id, "--json")["par"]
    rates = par["rtp_by_stake"]
    assert [r["bet_per_line"] for r in rates] == [format_amount(b) for b in game.stake_levels]
    assert [r["stake"] for r in rates] == [
        format_amount(game.total_stake(b)) for b in game.stake_levels
    ]
    totals = set()
    for rate in rates:
        base, jackpot, total = (_fraction(rate[k]) for k in ("base", "jackpot", "total"))
        assert base == Fraction(par["rtp"]["fraction"]) == game.rtp
        assert jackpot == DEFAULT_JACKPOTS.rtp()
        assert total == base + jackpot
        assert total < 1
        totals.add(total)
    assert len(totals) == 1
    assert par["b18"] == {"fair": True, "problem": None}


def test_rtp_json_describes_the_jackpot_plan_with_each_level_share() -> None:
    plan = _run("classic-7s", "--json")["par"]["jackpots"]
    assert _fraction(plan["rtp"]) == DEFAULT_JACKPOTS.rtp()
    assert [lv["name"] for lv in plan["levels"]] == ["Bronze", "Silver", "Gold"]
    for shown, level in zip(plan["levels"], DEFAULT_JACKPOTS.levels, strict=True):
        assert shown["seed"] == format_amount(level.seed)
        assert shown["stake_per_hit"] == format_amount(level.stake_per_hit)
        assert Decimal(shown["contribution"]) == Decimal(level.contribution_ppm) / 1_000_000
        contribution, seed = _fraction(shown["rtp_contribution"]), _fraction(shown["rtp_seed"])
        assert _fraction(shown["rtp"]) == contribution + seed
        assert seed == Fraction(level.seed, level.stake_per_hit)
    assert sum(_fraction(lv["rtp"]) for lv in plan["levels"]) == _fraction(plan["rtp"])


def test_no_jackpots_reports_the_base_game_alone() -> None:
    par = _run("classic-7s", "--json", "--no-jackpots")["par"]
    assert par["jackpots"] is None
    for rate in par["rtp_by_stake"]:
        assert _fraction(rate["jackpot"]) == 0
        assert _fraction(rate["total"]) == _fraction(rate["base"]) == Fraction(1381, 1440)


def test_rtp_table_shows_the_rtp_by_stake_and_the_jackpot_levels() -> None:
    result = CliRunner().invoke(rtp_command, ["book-of-reels"])
    assert result.exit_code == 0, result.output
    assert "RTP by stake" in result.stdout
    assert "97.2311 %" in result.stdout
    assert "1.1750 %" in result.stdout
    assert "Jackpot levels" in result.stdout
    assert "20,000,000.00" in result.stdout


def test_simulate_reports_the_total_rtp_per_stake_next_to_the_exact_one() -> None:
    game = get_game("classic-7s")
    data = _run("classic-7s", "--json", "--simulate", "100000", "--seed", "6")
    simulation = data["simulation"]
    entries = simulation["by_stake"]
    assert [e["stake"] for e in entries] == [r["stake"] for r in data["par"]["rtp_by_stake"]]
    exact_total = float(game.rtp + DEFAULT_JACKPOTS.rtp())
    for entry in entries:
        assert entry["spins"] == 100_000
        assert entry["base_rtp"] == simulation["rtp"]
        assert entry["rtp"] == pytest.approx(entry["base_rtp"] + entry["jackpot_rtp"])
        low, high = entry["ci99"]
        assert low < entry["rtp"] < high
        assert entry["exact_rtp"] == exact_total
        assert entry["exact_inside_ci99"] == (low <= exact_total <= high)
        assert [j["level"] for j in entry["jackpots"]] == ["Bronze", "Silver", "Gold"]
    assert sum(e["exact_inside_ci99"] for e in entries) >= len(entries) - 1

    text = CliRunner().invoke(rtp_command, ["classic-7s", "--simulate", "20000", "--seed", "6"])
    assert text.exit_code == 0, text.output
    assert "Simulated RTP by stake" in text.stdout
    assert "25.00" in text.stdout


@dataclass(frozen=True)
class Outcome:
    total_win: int

    def to_json(self) -> dict[str, Any]:
        return {"total_win": self.total_win}


class LuckyNumber:
    """A plug-in game: one number in 20 pays ``pay`` times the stake (RTP pay/20)."""

    name = "Lucky number"

    def __init__(
        self,
        game_id: str,
        pay: int,
        *,
        exact: bool = True,
        stakes: tuple[int, ...] = (1_000, 5_000),
    ) -> None:
        self.game_id = game_id
        self.pay = pay
        self.exact = exact
        self.stake_levels = stakes

    def total_stake(self, bet_per_line: int) -> int:
        if bet_per_line not in self.stake_levels:
            raise InvalidStakeError(f"lucky: no stake level {bet_per_line}")
        return 2 * bet_per_line

    def draw(self, rng: Rng) -> Any:
        return rng.randbelow(20)

    def replay(self, bet_per_line: int, draw: Any) -> Outcome:
        return Outcome(self.pay * self.total_stake(bet_per_line) if draw == 0 else 0)

    def exact_rtp(self, bet_per_line: int) -> Fraction | None:
        self.total_stake(bet_per_line)
        return Fraction(self.pay, 20) if self.exact else None

    def client(self) -> dict[str, Any]:
        return {}


PLUG_INS: dict[str, SlotGame] = {
    "lucky": LuckyNumber("lucky", 19),
    "lucky-unknown": LuckyNumber("lucky-unknown", 19, exact=False),
    "lucky-generous": LuckyNumber("lucky-generous", 20),
    "lucky-huge": LuckyNumber("lucky-huge", 19, stakes=(1_000, 400_000_000)),
}


@pytest.fixture(autouse=True)
def plug_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the command find plug-in games, as the entry-point discovery will."""

    def lookup(game_id: str) -> SlotGame:
        return PLUG_INS[game_id] if game_id in PLUG_INS else get_game(game_id)

    monkeypatch.setattr(rtp_cli, "get_game", lookup)


def test_the_plug_in_test_games_implement_the_slot_game_interface() -> None:
    assert all(isinstance(game, SlotGame) for game in PLUG_INS.values())


def test_a_plug_in_game_gets_its_exact_rtp_per_stake_plus_the_jackpot() -> None:
    par = _run("lucky", "--json")["par"]
    assert "screens" not in par
    assert (par["game_id"], par["name"]) == ("lucky", "Lucky number")
    rates = par["rtp_by_stake"]
    assert [(r["bet_per_line"], r["stake"]) for r in rates] == [("0.1", "0.2"), ("0.5", "1.0")]
    for rate in rates:
        assert _fraction(rate["base"]) == Fraction(19, 20)
        assert _fraction(rate["total"]) == Fraction(19, 20) + DEFAULT_JACKPOTS.rtp()
    assert par["b18"] == {"fair": True, "problem": None}

    text = CliRunner().invoke(rtp_command, ["lucky"])
    assert text.exit_code == 0, text.output
    assert "not a built-in game" in text.stdout
    assert "96.1750 %" in text.stdout


def test_a_plug_in_game_is_simulated_per_stake_through_its_draw_and_replay() -> None:
    data = _run("lucky", "--json", "--simulate", "4000", "--seed", "1")
    entries = data["simulation"]["by_stake"]
    assert [e["stake"] for e in entries] == ["0.2", "1.0"]
    exact = float(Fraction(19, 20) + DEFAULT_JACKPOTS.rtp())
    for entry in entries:
        assert entry["spins"] == 4_000
        assert entry["exact_rtp"] == exact
        low, high = entry["ci99"]
        assert low <= exact <= high
        assert entry["exact_inside_ci99"] is True
        assert 0.02 < entry["hit_frequency"] < 0.08
    # One seed, the same rounds at every stake (the draw does not depend on it).
    assert entries[0]["base_rtp"] == entries[1]["base_rtp"]


def test_a_plug_in_game_known_only_by_simulation_says_so() -> None:
    data = _run("lucky-unknown", "--json", "--simulate", "4000", "--seed", "1")
    for rate in data["par"]["rtp_by_stake"]:
        assert rate["base"] is None and rate["total"] is None
        assert _fraction(rate["jackpot"]) == DEFAULT_JACKPOTS.rtp()
    for entry in data["simulation"]["by_stake"]:
        assert entry["exact_rtp"] is None and entry["exact_inside_ci99"] is None
        low, high = entry["ci99"]
        assert low < 19 / 20 + DEFAULT_JACKPOTS.rtp() < high

    text = CliRunner().invoke(rtp_command, ["lucky-unknown", "--simulate", "1000"])
    assert text.exit_code == 0, text.output
    assert "simulation only" in text.stdout
    assert "Simulated RTP by stake" in text.stdout


def test_a_game_returning_100_percent_with_its_jackpot_breaks_b18_and_fails() -> None:
    result = CliRunner().invoke(rtp_command, ["lucky-generous", "--json"])
    assert result.exit_code == 1
    par = json.loads(result.stdout)["par"]
    assert par["b18"]["fair"] is False
    assert "101.1750 %" in par["b18"]["problem"]
    assert "PROTOCOL.md B18" in result.output and "below 100 %" in result.output
    assert "Traceback" not in result.output
    alone = CliRunner().invoke(rtp_command, ["lucky-generous", "--no-jackpots"])
    assert alone.exit_code == 1, "100 % exactly is not below 100 %"


def test_a_stake_the_jackpot_plan_cannot_serve_is_a_clear_error() -> None:
    result = CliRunner().invoke(rtp_command, ["lucky-huge"])
    assert result.exit_code == 1
    assert "lucky-huge: at a stake of 80000.0" in result.output
    assert "past 1" in result.output and "stakes up to 47505.9382" in result.output
    assert "Traceback" not in result.output
