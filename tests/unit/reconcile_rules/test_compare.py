"""``reconcile`` (pure): books that agree pass; every way of disagreeing is reported,
by the check it breaks, down to a single unit of 0.0001.

The books below are a small casino day of one client: settled rounds with and without
a jackpot, a freespin, refunds (of a bet the wallet took and of one it never saw), a
refused bet, a round in flight and a demo round. Each test breaks them in one way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
import pytest

from reelbridge.provider.states import OutboxKind, OutboxStatus, RoundKind, RoundStatus
from reelbridge.reconcile import (
    Books,
    Check,
    ClientBooks,
    LedgerCheck,
    OutboxRow,
    ProviderRound,
    Report,
    WalletTransaction,
    reconcile,
    report_json,
)

T = TypeVar("T", ProviderRound, OutboxRow, WalletTransaction)
NOW = 5_000_000_000
CLIENT = "casino"
S = RoundStatus
K = OutboxKind
St = OutboxStatus


def _round(
    rid: str,
    status: RoundStatus,
    *,
    player: str = "p1",
    kind: RoundKind = RoundKind.REAL,
    stake: int = 10_000,
    win: int | None = None,
    jackpot: int | None = None,
) -> ProviderRound:
    return ProviderRound(
        rid, CLIENT, player, "EUR", kind, status, stake, f"{rid}:bet", win, jackpot
    )


def _row(
    rid: str, kind: OutboxKind, status: OutboxStatus, *, tx: str = "", lease: int = 0
) -> OutboxRow:
    return OutboxRow(
        0, CLIENT, rid, kind, tx or f"{rid}:{'bet' if kind is K.REFUND else kind}", status, lease
    )


def _tx(
    rid: str,
    action: str,
    moved: int,
    *,
    tx: str = "",
    amount: int | None = None,
    outcome: str = "ok",
    refunded: bool = False,
    player: str = "p1",
) -> WalletTransaction:
    txid = tx or f"{rid}:{'bet' if action == 'refund' else action}"
    return WalletTransaction(
        0, CLIENT, txid, action, rid, player, "EUR",
        moved if amount is None else amount, moved, outcome, refunded,
    )  # fmt: skip


def day() -> tuple[list[ProviderRound], list[OutboxRow], list[WalletTransaction]]:
    """Books that agree."""
    rounds = [
        _round("r1", S.SETTLED, win=25_000, jackpot=500_000),
        _round("r2", S.SETTLED, win=0),
        _round("r3", S.REFUNDED),  # the wallet took the bet, then refunded it
        _round("r4", S.REFUNDED),  # the wallet never saw the bet
        _round("r5", S.REJECTED),  # INSUFFICIENT_BALANCE
        _round("r6", S.SETTLED, kind=RoundKind.FREESPIN, win=30_000),
        _round("r7", S.BETTING),  # in flight
        _round("r8", S.SETTLED, kind=RoundKind.DEMO, win=70_000),
        _round("r9", S.SETTLED, player="p2", stake=20_000, win=5_000),
    ]
    outbox = [
        _row("r1", K.BET, St.DELIVERED),
        _row("r1", K.WIN, St.DELIVERED),
        _row("r1", K.WIN, St.DELIVERED, tx="r1:jackpot"),
        _row("r2", K.BET, St.DELIVERED),
        _row("r2", K.WIN, St.DELIVERED),
        _row("r3", K.BET, St.FAILED),
        _row("r3", K.REFUND, St.DELIVERED),
        _row("r4", K.BET, St.FAILED),
        _row("r4", K.REFUND, St.DELIVERED),
        _row("r5", K.BET, St.FAILED),
        _row("r6", K.BET, St.DELIVERED),
        _row("r6", K.WIN, St.DELIVERED),
        _row("r7", K.BET, St.SENDING, lease=NOW + 1),
        _row("r9", K.BET, St.DELIVERED),
        _row("r9", K.WIN, St.DELIVERED),
    ]
    wallet = [
        _tx("r1", "bet", 10_000),
        _tx("r1", "win", 25_000),
        _tx("r1", "win", 500_000, tx="r1:jackpot"),
        _tx("r2", "bet", 10_000),
        _tx("r2", "win", 0),
        _tx("r3", "bet", 10_000, refunded=True),
        _tx("r3", "refund", 10_000, amount=0),
        _tx("r4", "refund", 0),
        _tx("r5", "bet", 0, amount=10_000, outcome="INSUFFICIENT_BALANCE"),
        _tx("r6", "bet", 0),
        _tx("r6", "win", 30_000),
        _tx("r7", "bet", 10_000),  # taken, its answer not stored yet
        _tx("r9", "bet", 20_000, player="p2"),
        _tx("r9", "win", 5_000, player="p2"),
    ]
    return rounds, outbox, wallet


def check(
    rounds: list[ProviderRound],
    outbox: list[OutboxRow],
    wallet: list[WalletTransaction],
    *,
    balanced: bool = True,
) -> Report:
    books = Books(
        [ClientBooks(CLIENT, rounds, outbox, wallet)],
        LedgerCheck(balanced, {"currencies": {}}),
        NOW,
    )
    return reconcile(books)


def checks_of(report: Report) -> list[str]:
    return sorted(str(d.check) for d in report.differences)


def replaced(rows: list[T], match: Callable[[T], bool], **changes: Any) -> list[T]:
    return [msgspec.structs.replace(r, **changes) if match(r) else r for r in rows]


def test_books_that_agree_have_no_difference_and_count_each_players_net() -> None:
    report = check(*day())
    assert report.ok, report.differences
    (client,) = report.clients
    assert client.rounds == {"betting": 1, "refunded": 2, "rejected": 1, "settled": 4}
    assert client.in_flight == 1 and client.demo_rounds == 1
    nets = {p.player_id: (p.provider_net, p.wallet_net, p.settled_rounds) for p in client.players}
    # p1: (2.5 + 50 − 1) + (0 − 1) + 3 (a freespin: no stake) = 53.5; p2: 0.5 − 2 = −1.5
    assert nets == {"p1": (535_000, 535_000, 3), "p2": (-15_000, -15_000, 1)}


def test_a_win_one_unit_short_is_a_difference_to_the_last_0_0001() -> None:
    rounds, outbox, wallet = day()
    wallet = replaced(wallet, lambda t: t.transaction_id == "r1:win", moved=24_999, amount=24_999)
    report = check(rounds, outbox, wallet)
    assert checks_of(report) == ["paid", "player_net"]
    paid = next(d for d in report.differences if d.check is Check.PAID)
    assert (paid.round_id, paid.expected, paid.actual) == ("r1", 525_000, 524_999)
    out = report_json(report)
    assert out["ok"] is False
    assert {"check": "paid", "expected": "52.5", "actual": "52.4999"}.items() <= out["differences"][
        0
    ].items()
    (client,) = out["clients"]
    assert client["players"][0]["difference"] == "-0.0001"


def test_a_duplicate_applied_twice_by_the_wallet_is_an_unknown_transaction_and_an_overpayment() -> (
    None
):
    rounds, outbox, wallet = day()
    wallet = [*wallet, _tx("r1", "win", 25_000, tx="r1:win#2")]
    assert checks_of(check(rounds, outbox, wallet)) == ["paid", "player_net", "unknown_transaction"]


def test_a_round_left_settling_with_its_win_undelivered_is_reported() -> None:
    rounds, outbox, wallet = day()
    rounds = replaced(rounds, lambda r: r.round_id == "r2", status=S.SETTLING)
    outbox = replaced(outbox, lambda r: r.transaction_id == "r2:win", status=St.PENDING)
    wallet = [t for t in wallet if t.transaction_id != "r2:win"]
    report = check(rounds, outbox, wallet)
    assert checks_of(report) == ["outbox_pending", "player_net", "round_not_final"]


def test_a_win_sent_without_its_outbox_row_is_an_unknown_transaction() -> None:
    rounds, outbox, wallet = day()
    outbox = [r for r in outbox if r.transaction_id != "r2:win"]
    assert checks_of(check(rounds, outbox, wallet)) == ["unknown_transaction"]


def test_a_bet_still_sending_after_its_lease_is_reported_not_counted_in_flight() -> None:
    rounds, outbox, wallet = day()
    outbox = replaced(outbox, lambda r: r.round_id == "r7", lease_until=NOW - 1)
    report = check(rounds, outbox, wallet)
    assert checks_of(report) == ["bet_lease_expired", "player_net", "round_not_final"]
    assert report.clients[0].in_flight == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda o: [*o, _row("r1", K.REFUND, St.DELIVERED)],
            ["settled_and_refunded"],
            id="a settled round with a refund row",
        ),
        pytest.param(
            lambda o: [*o, _row("r3", K.WIN, St.DELIVERED)],
            ["settled_and_refunded"],
            id="a refunded round with a win row",
        ),
    ],
)
def test_a_round_is_never_both_settled_and_refunded_at_the_provider(
    change: Callable[[list[OutboxRow]], list[OutboxRow]], expected: list[str]
) -> None:
    rounds, outbox, wallet = day()
    assert checks_of(check(rounds, change(outbox), wallet)) == expected


def test_a_settled_rounds_bet_refunded_by_the_wallet_is_settled_and_refunded() -> None:
    rounds, outbox, wallet = day()
    wallet = replaced(wallet, lambda t: t.transaction_id == "r2:bet", refunded=True)
    wallet = [*wallet, _tx("r2", "refund", 10_000, amount=0)]
    report = check(rounds, outbox, wallet)
    assert checks_of(report) == ["player_net", "settled_and_refunded", "unknown_transaction"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda w: [t for t in w if t.transaction_id != "r1:bet"],
            ["bet_missing", "player_net"],
            id="missing",
        ),
        pytest.param(
            lambda w: replaced(
                w, lambda t: t.transaction_id == "r1:bet", outcome="SESSION_NOT_FOUND", moved=0
            ),
            ["bet_missing", "player_net"],
            id="refused",
        ),
        pytest.param(
            lambda w: replaced(
                w, lambda t: t.transaction_id == "r1:bet", moved=9_999, amount=9_999
            ),
            ["bet_amount", "player_net"],
            id="another amount",
        ),
        pytest.param(
            lambda w: replaced(
                w, lambda t: t.transaction_id == "r6:bet", moved=10_000, amount=10_000
            ),
            ["bet_amount", "player_net"],
            id="a freespin debited",
        ),
    ],
)
def test_the_wallet_holds_each_settled_rounds_bet_at_its_stake(
    change: Callable[[list[WalletTransaction]], list[WalletTransaction]], expected: list[str]
) -> None:
    rounds, outbox, wallet = day()
    assert checks_of(check(rounds, outbox, change(wallet))) == expected


def test_a_jackpot_the_wallet_never_paid_is_a_difference() -> None:
    rounds, outbox, wallet = day()
    wallet = [t for t in wallet if t.transaction_id != "r1:jackpot"]
    report = check(rounds, outbox, wallet)
    assert checks_of(report) == ["paid", "player_net"]


def test_a_refunded_round_whose_bet_the_wallet_still_holds_is_a_live_bet() -> None:
    rounds, outbox, wallet = day()
    wallet = replaced(wallet, lambda t: t.transaction_id == "r3:bet", refunded=False)
    wallet = [t for t in wallet if not (t.round_id == "r3" and t.action == "refund")]
    assert checks_of(check(rounds, outbox, wallet)) == ["live_bet", "player_net"]


def test_a_rejected_round_the_wallet_paid_is_paid_unowed() -> None:
    rounds, outbox, wallet = day()
    outbox = [*outbox, _row("r5", K.WIN, St.DELIVERED)]
    wallet = [*wallet, _tx("r5", "win", 40_000)]
    report = check(rounds, outbox, wallet)
    assert checks_of(report) == ["paid_unowed", "player_net"]


@pytest.mark.parametrize(
    ("stray", "expected"),
    [
        pytest.param(
            _tx("r-unknown", "bet", 10_000),
            ["player_net", "unknown_transaction"],
            id="no such round",
        ),
        pytest.param(
            _tx("r8", "win", 70_000), ["player_net", "unknown_transaction"], id="a demo round"
        ),
        pytest.param(
            _tx("r5", "refund", 0, outcome="TRANSACTION_DENIED"),
            ["unknown_transaction"],
            id="refused, moving nothing",
        ),
    ],
)
def test_every_wallet_transaction_belongs_to_a_call_the_provider_sent(
    stray: WalletTransaction, expected: list[str]
) -> None:
    rounds, outbox, wallet = day()
    report = check(rounds, outbox, [*wallet, stray])
    assert checks_of(report) == expected
    unknown = [d for d in report.differences if d.check is Check.UNKNOWN_TRANSACTION]
    assert [(d.round_id, d.transaction_id) for d in unknown] == [
        (stray.round_id, stray.transaction_id)
    ]


def test_money_moved_on_another_players_account_breaks_both_players_nets() -> None:
    rounds, outbox, wallet = day()
    wallet = replaced(wallet, lambda t: t.transaction_id == "r1:win", player_id="p2")
    report = check(rounds, outbox, wallet)
    assert checks_of(report) == ["player_net", "player_net"]
    assert {(d.player_id, d.expected, d.actual) for d in report.differences} == {
        ("p1", 535_000, 510_000),
        ("p2", -15_000, 10_000),
    }


def test_an_unbalanced_wallet_ledger_is_a_difference() -> None:
    report = check(*day(), balanced=False)
    assert checks_of(report) == ["ledger"] and report.ledger_balanced is False
