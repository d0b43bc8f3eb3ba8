"""Server-drawn charts (exact axis labels) and the reconciliation of provider rounds
against wallet rows (the decision table of ``aggregator.reconcile``)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from reelbridge.aggregator.charts import balance_chart, ggr_chart, ticks
from reelbridge.aggregator.reconcile import WalletRound, reconcile, screens, verdict
from reelbridge.aggregator.reports import GgrRow, Point
from reelbridge.protocol import display_amount


def fmt(units: int, currency: str = "EUR") -> str:
    return display_amount(units, currency)


@pytest.mark.parametrize(("low", "high"), [(0, 1), (0, 10_003_000), (-35_000, 120_000), (7, 7)])
def test_ticks_are_round_and_cover_the_range(low: int, high: int) -> None:
    values = ticks(low, high)
    assert values[0] <= low and values[-1] >= high
    steps = {b - a for a, b in itertools.pairwise(values)}
    assert len(steps) <= 1
    step = steps.pop() if steps else 1
    assert str(step).strip("0") in ("1", "2", "5")


def test_the_balance_chart_labels_exact_amounts_and_says_what_it_shows() -> None:
    points = [Point(1, 10_000_000, "deposit", 10_000_000), Point(2, 9_998_000, "bet", 2_000),
              Point(3, 10_003_000, "win", 5_000)]  # fmt: skip
    chart = balance_chart(points, "EUR")
    assert chart is not None
    assert chart.summary == "3 movements; from 1,000.00 to 1,000.30 EUR; highest 1,000.30"
    assert "<polyline" in chart.svg and "1,000.00" in chart.svg
    assert balance_chart([], "EUR") is None


def test_the_ggr_chart_draws_losses_below_the_zero_line() -> None:
    rows = [GgrRow(20_000, "book", 2_000, 5_000, 1), GgrRow(20_001, "book", 10_000, 0, 5),
            GgrRow(20_001, "sevens", 5_000, 1_000, 2)]  # fmt: skip
    chart = ggr_chart(rows, "EUR", [20_000, 20_001])
    assert chart is not None
    assert chart.summary == "GGR 1.10 EUR over 2 day(s), 2 game(s)"
    assert [label for _, label in chart.legend] == ["book", "sevens"]
    assert chart.svg.count("<rect") == 3
    assert "book, Oct 04: -0.30 EUR" in chart.svg  # the players won that day
    assert ggr_chart([], "EUR", [1]) is None


def provider_round(status: str, kind: str = "real", stake: str = "1.0", win: str | None = "2.5",
                   jackpot: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"round_id": "r1", "status": status, "kind": kind, "stake": stake, "win": win,
            "jackpot_win": jackpot, "currency": "EUR"}  # fmt: skip


def wallet(staked: int, won: int, refunded: int = 0) -> WalletRound:
    return WalletRound("r1", staked, refunded, won, 2, 0)


@pytest.mark.parametrize(
    ("provider", "held", "kind", "problems"),
    [
        (provider_round("settled"), wallet(10_000, 25_000), "match", []),
        (provider_round("settled", jackpot="50.0"), wallet(10_000, 525_000), "match", []),
        (provider_round("settled", kind="freespin"), wallet(0, 25_000), "match", []),
        (provider_round("rejected", win=None), wallet(0, 0), "match", []),
        (provider_round("refunded", win=None), wallet(10_000, 0, refunded=10_000), "match", []),
        (provider_round("refunded", win=None), None, "match", []),
        (provider_round("settling"), wallet(10_000, 0), "in flight", []),
        (provider_round("settled"), wallet(10_000, 0), "difference",
         ["wins: wallet 0.00, provider 2.50"]),
        (provider_round("settled"), None, "difference",
         ["stake kept: wallet 0.00, provider 1.00", "wins: wallet 0.00, provider 2.50"]),
        (provider_round("refunded", win=None), wallet(10_000, 0), "difference",
         ["stake kept: wallet 1.00, provider 0.00"]),
        (None, wallet(10_000, 0), "wallet only", ["the provider has no such round"]),
    ],
)  # fmt: skip
def test_a_round_is_compared_by_what_its_status_implies(
    provider: dict[str, Any] | None, held: WalletRound | None, kind: str, problems: list[str]
) -> None:
    found = verdict(provider, held, "r1", fmt)
    assert (found.kind, list(found.problems)) == (kind, problems)


def test_reconcile_skips_demo_rounds_and_adds_rounds_only_the_wallet_knows() -> None:
    rounds = [
        provider_round("settled"),
        {**provider_round("settled"), "round_id": "d1", "kind": "demo"},
    ]
    verdicts = reconcile(rounds, {"r1": wallet(10_000, 25_000)}, ["r9", "r1"], lambda u, c: fmt(u))
    assert [(v.round_id, v.kind) for v in verdicts] == [("r1", "match"), ("r9", "wallet only")]


def test_screens_mark_the_winning_cells_of_every_screen() -> None:
    win = {"line": 0, "symbol": "A", "count": 2, "positions": [[0, 0], [1, 0]]}
    base = {"grid": [["A", "K"], ["A", "Q"]], "win": 5, "free_games_awarded": 0, "scatter": None}
    free = {"grid": [["K", "K"], ["Q", "Q"]], "win": 0, "line_wins": [], "scatter": None}
    outcome = {"base": {**base, "line_wins": [win]}, "free_games": [free]}
    shown = screens(outcome)
    assert [s.title for s in shown] == ["Base spin", "Free game 1"]
    assert shown[0].winning == {(0, 0), (1, 0)} and shown[0].lines == ("line 1: A ×2",)
    assert shown[1].winning == frozenset()
    assert screens({"engine": "remote"}) == [] and screens(None) == []
