"""Chaos: ``kill -9`` of the wallet and of the provider at random moments while players
spin, and a fault proxy between them (answers past the budget, answers lost after the
wallet committed, duplicated requests, connections cut, HTTP 500) — then, once the
outbox has drained, no money is lost or made: ``reelbridge reconcile`` finds the books
agreeing to 0.0000 (see ``support.assert_no_money_lost`` for every invariant).

The fast runs (5 kills of each process, on SQLite and PostgreSQL) are part of the
normal test command; ``pytest tests/chaos --chaos-long`` adds 50 kills of each. Two
deliberately injected bugs (``launcher.py``) show that the suite fails when it should,
on both engines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.support import Plan, assert_no_money_lost, chaos, reconcile_cli
from reelbridge.testing.faults import cut, duplicate, forward_then_fail

pytestmark = pytest.mark.chaos


def test_kill_9_of_either_side_and_wallet_faults_lose_no_money(
    databases: tuple[str, str], tmp_path: Path, seed: int
) -> None:
    with chaos(Plan(seed, kills=5), databases, tmp_path) as run:
        report = assert_no_money_lost(run)
        assert run.wallet.kills >= 5 and run.provider.kills >= 5, run
        (client,) = report["clients"]
        print(run, client["rounds"], f"{len(run.answered())} rounds answered")


@pytest.mark.chaos_long
def test_fifty_kills_of_each_side_lose_no_money(
    databases: tuple[str, str], tmp_path: Path, seed: int
) -> None:
    plan = Plan(seed, kills=50, drain_seconds=120)
    with chaos(plan, databases, tmp_path) as run:
        report = assert_no_money_lost(run)
        assert run.wallet.kills >= 50 and run.provider.kills >= 50, run
        (client,) = report["clients"]
        print(run, client["rounds"], f"{len(run.answered())} rounds answered")


def checks(report: dict[str, object]) -> set[str]:
    differences = report["differences"]
    assert isinstance(differences, list)
    return {d["check"] for d in differences}


def test_the_suite_catches_a_provider_that_skips_the_outbox_write(
    databases: tuple[str, str], tmp_path: Path, seed: int
) -> None:
    # Lost answers of wins surely happen (besides the random faults).
    lost = (("win", forward_then_fail(), 3), ("win", cut(forward="never"), 2))
    plan = Plan(seed, kills=1, rules=lost)
    with chaos(plan, databases, tmp_path, bug="skip-outbox-write") as run:
        code, report = reconcile_cli(run)
    assert code == 1 and report["ok"] is False, run
    # Wins the wallet holds that no outbox row records, and rounds whose win was lost.
    assert {"unknown_transaction", "round_not_final"} <= checks(report), report["differences"]


def test_the_suite_catches_a_wallet_that_applies_a_duplicate_twice(
    databases: tuple[str, str], tmp_path: Path, seed: int
) -> None:
    plan = Plan(seed, kills=1, rules=(("win", duplicate(), 3),))
    with chaos(plan, databases, tmp_path, bug="apply-duplicate-twice") as run:
        code, report = reconcile_cli(run)
    assert code == 1 and report["ok"] is False, run
    # The repeats are found by their ids, which the provider never sent...
    differences = report["differences"]
    assert isinstance(differences, list)
    repeats = [d for d in differences if d["check"] == "unknown_transaction"]
    assert repeats and all(d["transaction_id"].endswith("#again") for d in repeats), differences
    # ...and a repeat that moved money shows in its player's totals. (Which repeats move
    # money is chance: a repeated win of 0.00 moves nothing, and the run's random faults
    # may repeat a bet too, which no round's "paid" counts.)
    if any(d.get("actual") for d in repeats):
        assert "player_net" in checks(report), differences
