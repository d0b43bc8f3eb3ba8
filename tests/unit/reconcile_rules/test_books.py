"""Listing rows (money as exact decimal strings) become typed rows in units; a row that
is not what a reelbridge listing gives is refused with ``BooksError``."""

from __future__ import annotations

import types
from typing import Any

import pytest

import reelbridge.reconcile as package
from reelbridge.provider.states import OutboxKind, OutboxStatus, RoundKind, RoundStatus
from reelbridge.reconcile import (
    BooksError,
    ledger_from_report,
    outbox_from_listing,
    round_from_listing,
    transaction_from_listing,
)

ROUND = {
    "round_id": "r1",
    "client_id": "casino",
    "session_id": "s1",
    "player_id": "p1",
    "currency": "EUR",
    "game_id": "book-of-reels",
    "kind": "real",
    "campaign_id": None,
    "bet_per_line": "0.01",
    "stake": "0.2",
    "bet_transaction_id": "r1:bet",
    "status": "settled",
    "win": "1.0001",
    "jackpot_level": None,
    "jackpot_win": None,
}
TRANSACTION = {
    "id": 7,
    "client_id": "casino",
    "transaction_id": "r1:bet",
    "action": "bet",
    "type": "bet",
    "session_id": "s1",
    "round_id": "r1",
    "game_id": "book-of-reels",
    "amount": "0.2",
    "player_id": "p1",
    "currency": "EUR",
    "outcome": "ok",
    "message": "",
    "moved": "0.2",
    "balance_after": "99.8",
    "refunded": 1,
}


def test_a_round_row_is_parsed_exactly_in_units() -> None:
    r = round_from_listing(ROUND)
    assert (r.kind, r.status, r.stake, r.win, r.jackpot_win) == (
        RoundKind.REAL,
        RoundStatus.SETTLED,
        2_000,
        10_001,
        None,
    )
    assert (r.owed, r.net) == (10_001, 8_001)


def test_a_freespin_rounds_net_has_no_stake() -> None:
    r = round_from_listing({**ROUND, "kind": "freespin", "jackpot_win": "0.5"})
    assert r.net == 10_001 + 5_000


def test_a_transaction_row_is_parsed_with_its_refunded_flag() -> None:
    t = transaction_from_listing(TRANSACTION)
    assert (t.amount, t.moved, t.refunded, t.ok, t.signed) == (2_000, 2_000, True, True, -2_000)
    win = transaction_from_listing({**TRANSACTION, "action": "win", "refunded": 0})
    assert (win.refunded, win.signed) == (False, 2_000)


def test_an_outbox_row_is_parsed() -> None:
    row = outbox_from_listing(
        {"id": 3, "client_id": "casino", "round_id": "r1", "kind": "refund",
         "transaction_id": "r1:bet", "status": "pending", "lease_until": 12, "body": "{}"}
    )  # fmt: skip
    assert (row.kind, row.status, row.lease_until) == (OutboxKind.REFUND, OutboxStatus.PENDING, 12)


@pytest.mark.parametrize(
    "row",
    [
        pytest.param({**ROUND, "stake": "0.00001"}, id="five decimals"),
        pytest.param({**ROUND, "stake": 0.2}, id="a float"),
        pytest.param({**ROUND, "status": "lost"}, id="unknown status"),
        pytest.param({k: v for k, v in ROUND.items() if k != "player_id"}, id="missing field"),
    ],
)
def test_a_round_row_that_is_not_a_listing_row_is_refused(row: dict[str, Any]) -> None:
    with pytest.raises(BooksError):
        round_from_listing(row)


def test_a_transaction_row_with_a_bad_amount_is_refused() -> None:
    with pytest.raises(BooksError, match="moved"):
        transaction_from_listing({**TRANSACTION, "moved": "1e3"})


def test_the_ledger_report_needs_its_balanced_flag() -> None:
    assert ledger_from_report({"balanced": False, "mismatches": [1]}).detail == {"mismatches": [1]}
    with pytest.raises(BooksError):
        ledger_from_report({"balanced": "yes"})


def test_all_is_exactly_the_public_names_the_package_imports() -> None:
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(package.__all__) == public
