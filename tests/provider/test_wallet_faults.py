"""What the provider does when the wallet misbehaves (PROTOCOL.md Part A "What the
provider must do on errors", B4, B14–B15), with a fault proxy between provider and the
real reelbridge wallet. Every test ends with ``assert_books_agree``: all rounds final,
the outbox drained, and the wallet's money exactly what the provider's rounds say.

The stacks use a 1.5 s wallet budget and 3 s leases (``FAST``); one test proves the
default 5 s budget. Every test runs on SQLite and on PostgreSQL unless marked.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from provider.conftest import BUDGET, LEASE, MakeStack
from provider.support import Stack, eventually, units
from reelbridge.testing.faults import (
    Fault,
    delay,
    forward_then_fail,
    hang_until,
    http_status,
    not_json,
    reply,
)

UNKNOWN = {"code": "UNKNOWN_ERROR", "message": "Unknown error"}


def each_on_sqlite_first_on_postgres(*faults: Fault) -> pytest.MarkDecorator:
    """Every fault on SQLite and the first also on PostgreSQL: which reply counts as what
    is not about the database (test_classify.py has them all); the flow after it is."""
    cases = [pytest.param("sqlite", f, id=f"sqlite-{f.name}") for f in faults]
    first = faults[0]
    marks = pytest.mark.postgres
    cases.append(pytest.param("postgres", first, id=f"postgres-{first.name}", marks=marks))
    return pytest.mark.parametrize(("database_url", "fault"), cases, indirect=["database_url"])


def timed_spin(stack: Stack, token: str, bet_id: int = 0) -> tuple[dict[str, Any], float]:
    """Spin; the answer and the seconds it took."""
    started = time.monotonic()
    answer = stack.spin(token, bet_id)
    return answer, time.monotonic() - started


def assert_refunded_unknown(stack: Stack, answer: dict[str, Any]) -> None:
    """The round of ``answer`` was refunded: the player saw "Unknown error", no outcome
    was paid, and the refund named the bet's transaction id with the round's session."""
    assert answer["error"] == UNKNOWN, answer
    assert answer["win"] is None and answer["outcome"] is None, answer
    round_id = answer["round_id"]
    recalled = stack.admin.get(f"/admin/rounds/{round_id}")
    assert recalled["error_message"] == "Unknown error"
    assert recalled["outcome"] is None and recalled["win"] is None
    bets = stack.proxy.requests("bet", tx=f"{round_id}:bet")
    refunds = stack.proxy.requests("refund", tx=f"{round_id}:bet")
    assert bets and refunds, stack.proxy.requests()
    bet, refund = json.loads(bets[0].body), json.loads(refunds[0].body)
    assert refund == {
        "action": "refund",
        "session_id": bet["session_id"],
        "transaction_id": bet["transaction_id"],
        "round_id": round_id,
        "game_id": bet["game_id"],
    }
    kinds = {r["kind"]: r for r in stack.outbox(round_id=round_id)}
    assert set(kinds) == {"bet", "refund"}
    assert kinds["bet"]["status"] == "failed"


# -- bets: unknown fate → refund ---------------------------------------------------------


def test_b15_a_bet_unanswered_within_the_budget_is_refunded_and_shows_unknown_error(
    stack: Stack,
) -> None:
    player = stack.new_player()
    token = stack.launch(player)
    stack.proxy.add(action="bet", kind=delay(BUDGET + 2, forward="never"))
    answer, seconds = timed_spin(stack, token)
    assert BUDGET <= seconds < BUDGET + 1.5, seconds  # the budget, then the refund
    assert answer["status"] == "refunded"
    assert units(answer["balance"]) == player.start
    assert_refunded_unknown(stack, answer)
    (round_,) = stack.rounds()
    assert (round_["status"], round_["error_message"]) == ("refunded", "Unknown error")
    stack.assert_books_agree(player)
    assert stack.balance(player) == player.start


def test_a_bet_arriving_after_its_refund_is_denied_and_debits_nothing(stack: Stack) -> None:
    player = stack.new_player()
    token = stack.launch(player)
    stack.proxy.add(action="bet", kind=delay(BUDGET + 1))  # reaches the wallet after the refund
    answer, _ = timed_spin(stack, token)
    assert answer["status"] == "refunded"
    stack.proxy.wait_idle()
    (bet,) = [t for t in stack.transactions() if t["action"] == "bet"]
    assert bet["outcome"] == "TRANSACTION_DENIED" and units(bet["moved"]) == 0
    assert_refunded_unknown(stack, answer)
    stack.assert_books_agree(player)
    assert stack.balance(player) == player.start


@each_on_sqlite_first_on_postgres(
    reply("BET_FAILED_UNKNOWN_ERROR", "Bet failed: unknown error"),
    reply("TRANSACTION_IN_PROGRESS", "Transaction in progress"),
    http_status(500),
    http_status(503, body=b'{"status": true, "balance": 100.0}'),  # non-2xx wins
    not_json(),
    reply("SOMETHING_NEW", "a code the protocol does not have"),
)
def test_b15_a_bet_answered_with_an_unknown_error_is_refunded(stack: Stack, fault: Fault) -> None:
    player = stack.new_player()
    token = stack.launch(player)
    stack.proxy.add(action="bet", kind=fault)
    answer = stack.spin(token)
    assert answer["status"] == "refunded", answer
    assert_refunded_unknown(stack, answer)
    stack.assert_books_agree(player)
    assert stack.balance(player) == player.start


@pytest.mark.parametrize(
    "lost", [forward_then_fail(), forward_then_fail(BUDGET + 1)], ids=["502", "timeout"]
)
def test_b15_a_bet_applied_by_the_wallet_whose_answer_was_lost_is_refunded_back(
    stack: Stack, lost: Fault
) -> None:
    player = stack.new_player()
    token = stack.launch(player)
    stack.proxy.add(action="bet", kind=lost)
    answer = stack.spin(token)
    assert answer["status"] == "refunded", answer
    assert_refunded_unknown(stack, answer)
    journal = stack.transactions()
    (bet,) = [t for t in journal if t["action"] == "bet"]
    assert bet["outcome"] == "ok" and bet["refunded"]  # it was debited, then credited back
    (refund,) = [t for t in journal if t["action"] == "refund"]
    assert units(refund["moved"]) == units(bet["moved"]) > 0
    stack.assert_books_agree(player)
    assert stack.balance(player) == player.start


# -- bets: known errors → the wallet's message, no refund -------------------------------


def test_insufficient_balance_shows_the_wallets_message_and_sends_no_refund(stack: Stack) -> None:
    player = stack.new_player(balance="0.1")  # the smallest stake is 0.2
    token = stack.launch(player)
    answer = stack.spin(token)
    (bet,) = stack.transactions(action="bet")
    assert bet["outcome"] == "INSUFFICIENT_BALANCE"
    assert answer["status"] == "rejected"
    assert answer["error"] == {"code": "INSUFFICIENT_BALANCE", "message": bet["message"]}
    assert answer["error"]["message"] not in ("", "Unknown error")
    assert stack.proxy.requests("refund") == []
    assert [(r["kind"], r["status"]) for r in stack.outbox()] == [("bet", "failed")]
    (round_,) = stack.assert_books_agree(player)
    assert (round_["status"], round_["error_message"]) == ("rejected", bet["message"])


def test_a_known_internal_error_shows_its_message_and_sends_no_refund(stack: Stack) -> None:
    player = stack.new_player()
    token = stack.launch(player)
    stack.proxy.add(action="bet", kind=reply("INTERNAL_ERROR", "Not enough limits"))
    answer = stack.spin(token)
    assert answer["status"] == "rejected"
    assert answer["error"] == {"code": "INTERNAL_ERROR", "message": "Not enough limits"}
    assert answer["balance"] is None and answer["win"] is None
    assert stack.proxy.requests("refund") == []
    assert [(r["kind"], r["status"]) for r in stack.outbox()] == [("bet", "failed")]
    assert stack.transactions() == []  # the wallet never saw it
    assert stack.spin(token)["status"] == "settled"  # the session is free again
    rounds = stack.assert_books_agree(player)
    assert sorted(r["status"] for r in rounds) == ["rejected", "settled"]


# -- wins and refunds: resent with the same bytes until success --------------------------


@each_on_sqlite_first_on_postgres(
    delay(BUDGET + 0.5, forward="never"),
    reply("INTERNAL_ERROR", "database is down"),
    reply("TRANSACTION_IN_PROGRESS", "Transaction in progress"),
    http_status(500),
    not_json(),
)
def test_b14_a_failing_win_is_resent_with_the_same_bytes_until_the_wallet_accepts_it(
    stack: Stack, fault: Fault
) -> None:
    player = stack.new_player()
    token = stack.launch(player)
    stack.proxy.add(action="win", kind=fault, times=2)
    answer = stack.spin(token, 1)
    assert answer["status"] == "settling" and answer["balance"] is None  # not confirmed
    assert answer["win"] is not None and answer["error"] is None
    (round_,) = stack.assert_books_agree(player)
    assert round_["status"] == "settled"
    sent = stack.proxy.requests("win")
    assert [s.fault for s in sent][:3] == [fault.name, fault.name, None]
    assert {s.body for s in sent} == {sent[0].body}
    assert {s.signature for s in sent} == {sent[0].signature}
    assert json.loads(sent[0].body)["amount"] == float(answer["win"])
    (win,) = stack.outbox(kind="win")
    assert win["status"] == "delivered" and win["attempts"] >= 3
    assert win["body"].encode() == sent[0].body
    assert len(stack.transactions(action="win")) == 1


def test_a_win_the_wallet_applied_but_whose_answer_was_lost_is_credited_once(
    stack: Stack,
) -> None:
    player = stack.new_player()
    token = stack.launch(player)
    stack.proxy.add(action="win", kind=forward_then_fail())
    answer = stack.spin(token, 2)
    assert answer["status"] == "settling"
    (round_,) = stack.assert_books_agree(player)
    sent = stack.proxy.requests("win")
    assert len(sent) >= 2 and {s.body for s in sent} == {sent[0].body}
    (win,) = stack.transactions(action="win")
    assert units(win["amount"]) == units(round_["win"])


def test_b14_a_failing_refund_is_resent_with_the_same_bytes_until_the_wallet_accepts_it(
    stack: Stack,
) -> None:
    player = stack.new_player()
    token = stack.launch(player)
    stack.proxy.add(action="bet", kind=forward_then_fail())  # the wallet took the stake
    stack.proxy.add(action="refund", kind=http_status(500), times=2)
    answer = stack.spin(token)
    assert answer["status"] == "refunding" and answer["balance"] is None
    assert answer["error"] == UNKNOWN
    (round_,) = stack.assert_books_agree(player)
    assert round_["status"] == "refunded"
    sent = stack.proxy.requests("refund")
    assert [s.fault for s in sent][:3] == ["http 500", "http 500", None]
    assert {s.body for s in sent} == {sent[0].body}
    (refund,) = stack.outbox(kind="refund")
    assert refund["status"] == "delivered" and refund["attempts"] >= 3
    assert len(stack.transactions(action="refund")) == 1
    assert stack.balance(player) == player.start


def test_b14_an_undelivered_win_is_visible_with_attempts_backoff_and_last_error_until_delivered(
    stack: Stack,
) -> None:
    player = stack.new_player()
    token = stack.launch(player)
    stack.proxy.add(action="win", kind=http_status(500), times=None)
    answer = stack.spin(token)
    assert answer["status"] == "settling"

    def failing_thrice() -> dict[str, Any] | None:
        (row,) = stack.outbox(kind="win")
        return row if row["attempts"] >= 3 else None

    row = eventually(failing_thrice, timeout=10, what="three failed attempts")
    assert row["status"] == "pending" and "500" in row["last_error"]
    stuck = stack.outbox(stuck_seconds=1, kind="win")
    assert [r["id"] for r in stuck] == [row["id"]]
    assert [r["status"] for r in stack.rounds()] == ["settling"]
    # Capped exponential backoff: the first resend within 1 s, then about 1–2 s later.
    first, second, third = (s.at for s in stack.proxy.requests("win")[:3])
    assert 0.4 <= second - first <= 1.6, second - first
    assert 1.0 <= third - second <= 3.0, third - second
    assert row["next_attempt_at"] - row["created_at"] >= 1_500_000  # backed off, not hot
    stack.proxy.clear()
    stack.assert_books_agree(player)
    assert stack.outbox(stuck_seconds=0, kind="win") == []
    (row,) = stack.outbox(kind="win")
    assert row["status"] == "delivered" and row["attempts"] >= 4


def test_a_second_spin_is_refused_while_the_first_bet_is_in_flight(stack: Stack) -> None:
    player = stack.new_player()
    token = stack.launch(player)
    release = threading.Event()
    stack.proxy.add(action="bet", kind=hang_until(release))
    results: list[dict[str, Any]] = []
    worker = threading.Thread(target=lambda: results.append(stack.spin(token)))
    worker.start()
    try:
        stack.proxy.wait_for("bet")
        busy = stack.http.post(f"{stack.provider_url}/game/api/{token}/spin", json={"bet_id": 0})
        assert busy.status_code == 409, busy.text
        assert busy.json()["error"]["code"] == "spin_in_progress"
    finally:
        release.set()
        worker.join(timeout=10)
    assert results and results[0]["round_id"]
    rounds = stack.assert_books_agree(player)
    assert len(rounds) == 1


# -- the protocol's own budget -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_default_wallet_budget_is_five_seconds(make_stack: MakeStack) -> None:
    stack = make_stack(wallet_timeout_seconds=5.0, spin_lease_seconds=30)
    player = stack.new_player()
    token = stack.launch(player)
    stack.proxy.add(action="bet", kind=delay(3.5))
    answer, seconds = timed_spin(stack, token)
    assert answer["status"] == "settled", answer  # 3.5 s is within the budget
    stack.proxy.add(action="bet", kind=delay(7.0, forward="never"))
    answer, seconds = timed_spin(stack, token)
    assert 5.0 <= seconds < 6.5, seconds  # not the proxy's 7 s: the provider gave up
    assert answer["status"] == "refunded"
    assert_refunded_unknown(stack, answer)
    stack.assert_books_agree(player)


# -- a bet that outlives its lease: the relay refunds it, the late answer pays nothing ----


def test_a_bet_accepted_after_its_lease_ran_out_pays_nothing_because_the_relay_refunded_it(
    make_stack: MakeStack,
) -> None:
    stack = make_stack(wallet_timeout_seconds=LEASE + 2)  # the budget outlasts the lease
    player = stack.new_player()
    token = stack.launch(player)
    stack.proxy.add(action="bet", kind=delay(LEASE + 1, forward="before"))  # answered late
    answer = stack.spin(token)
    assert answer["status"] in ("refunding", "refunded"), answer
    assert_refunded_unknown(stack, answer)
    assert stack.proxy.requests("win") == []  # no outcome was drawn or paid
    (round_,) = stack.assert_books_agree(player)
    assert round_["status"] == "refunded"
    assert stack.balance(player) == player.start


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # a logic bug, any DB
def test_a_bet_refused_after_its_lease_ran_out_shows_unknown_error(make_stack: MakeStack) -> None:
    stack = make_stack(wallet_timeout_seconds=LEASE + 2)
    player = stack.new_player()
    token = stack.launch(player)
    stack.proxy.add(action="bet", kind=delay(LEASE + 1))  # reaches the wallet after the refund
    answer = stack.spin(token)
    (round_,) = stack.assert_books_agree(player)
    assert round_["status"] == "refunded" and round_["error_message"] == "Unknown error"
    assert answer["status"] in ("refunding", "refunded"), answer
    assert_refunded_unknown(stack, answer)
