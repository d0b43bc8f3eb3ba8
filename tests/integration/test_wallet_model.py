"""The wallet against a model of its rules (PROTOCOL.md B6–B13), driven by hypothesis.

Random sequences of bets, wins, refunds (of known and of unseen bets), exact repeats,
repeats with other content, concurrent bursts of copies and deposits run against a real
aggregator. After every step the reply and the balance must be what a small in-Python
model of the rules predicts; at the end the journal, the anomalies and the reconciled
ledger must agree with the model (money is neither created nor lost).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from reelbridge.protocol import BalanceReply, BetType, ErrorCode, ErrorReply, WinType
from reelbridge.testing import WalletClient

from .support import Aggregator, Player, http_client, ok, refused, uid, units

_T = TypeVar("_T")
OK = "ok"
E = ErrorCode

# -- the model ------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One wallet call as the provider sends it."""

    action: str  # "bet", "win" or "refund"
    type: str  # "" for a refund
    session: str
    tx: str
    round: str
    amount: int  # 0 for a refund

    def content(self) -> tuple[object, ...]:
        if self.action == "refund":
            return ("refund", self.session, self.round)
        return (self.action, self.type, self.session, self.round, self.amount)


@dataclass
class Row:
    """A journal row of the model."""

    call: Call
    outcome: str
    refunded: bool = False


UNRECORDED = "unrecorded"


class WalletModel:
    """The rules of ``ledger/rules.py`` (decision table) for one player's account."""

    def __init__(self, balance: int) -> None:
        self.balance = balance
        self.rows: dict[tuple[str, bool], Row] = {}
        self.anomalies: set[str] = set()

    def _round(self, round_id: str) -> tuple[int, int, int]:
        bets = live = wins = 0
        for (_, is_refund), row in self.rows.items():
            if row.call.round != round_id:
                continue
            # A refund counts as a bet of its round only when it was accepted (the id is
            # remembered); a refused refund says nothing about the round it named.
            if row.call.action == "bet" or (is_refund and row.outcome == OK):
                bets += 1
            if row.call.action == "bet" and row.outcome == OK and not row.refunded:
                live += 1
            if row.call.action == "win" and row.outcome == OK:
                wins += 1
        return bets, live, wins

    def apply(self, call: Call) -> str:
        """Apply ``call``; return ``"ok"`` or the expected error code."""
        # Request-only checks (B6), nothing written.
        if call.action == "bet":
            if call.type == "freespin" and call.amount != 0:
                return str(E.WRONG_INPUT_PARAMETERS)
            if call.type != "freespin" and call.amount <= 0:
                return str(E.AMOUNT_SHOULD_BE_POSITIVE)
        if call.action == "win" and call.amount < 0:
            return str(E.AMOUNT_SHOULD_BE_POSITIVE)
        key = (call.tx, call.action == "refund")
        stored = self.rows.get(key)
        if stored is not None:  # B9: replay
            if stored.call.content() != call.content():
                return str(E.TRANSACTION_DENIED)
            return stored.outcome
        outcome, delta, undoes = self._decide(call)
        if outcome == UNRECORDED:  # a refund that does not describe its bet: not stored
            return str(E.TRANSACTION_DENIED)
        self.rows[key] = Row(call, outcome)
        if outcome == OK:
            self.balance += delta
            if undoes:
                self.rows[(call.tx, False)].refunded = True
        return outcome

    def _decide(self, call: Call) -> tuple[str, int, bool]:
        if call.action == "bet":
            if (call.tx, True) in self.rows:
                return str(E.TRANSACTION_DENIED), 0, False  # B11
            if call.amount > self.balance:
                return str(E.INSUFFICIENT_BALANCE), 0, False  # B7
            return OK, -call.amount, False
        if call.action == "win":
            bets, live, _ = self._round(call.round)
            if bets > 0 and live == 0:
                return str(E.TRANSACTION_DENIED), 0, False  # B13
            return OK, call.amount, False
        bet = self.rows.get((call.tx, False))
        if bet is None:
            return OK, 0, False  # B11: remembered
        if bet.call.action != "bet" or (bet.call.session, bet.call.round) != (
            call.session,
            call.round,
        ):
            return UNRECORDED, 0, False
        if bet.outcome != OK:
            return OK, 0, False
        if self._round(call.round)[2] > 0:
            self.anomalies.add(call.tx)
            return str(E.TRANSACTION_DENIED), 0, False  # B12
        return OK, bet.call.amount, True


# -- the machine ----------------------------------------------------------------------

BET_AMOUNTS = st.sampled_from([0, 1, 2500, 10000, 25000, 40000, 100000, 250000])
WIN_AMOUNTS = st.sampled_from([0, 1, 5000, 30000, 120000])
BET_TYPES = st.sampled_from(["bet", "bet", "bet", "tip", "freespin"])
WIN_TYPES = st.sampled_from(["win", "win", "jackpot", "freespin"])
ROUNDS = st.integers(min_value=0, max_value=5)
CHANGES = st.sampled_from(["amount", "round", "type", "action", "session"])


class WalletMachine(RuleBasedStateMachine):
    """Drives one fresh player (two sessions of one client) per example."""

    aggregator: Aggregator
    client: tuple[str, str]

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.http = http_client()
        self.ids = itertools.count()
        self.prefix = uid("m")
        self.calls: list[Call] = []
        self.unseen_refunds: list[Call] = []
        self.deposits = 0

    # plumbing

    def run(self, work: Awaitable[_T]) -> _T:
        return self.runner.run(work)  # type: ignore[arg-type]

    def new_tx(self) -> str:
        return f"{self.prefix}-tx-{next(self.ids)}"

    def round_id(self, n: int) -> str:
        return f"{self.prefix}-round-{n}"

    async def _send(self, call: Call) -> BalanceReply | ErrorReply:
        w = self.wallet
        if call.action == "bet":
            return await w.bet(
                call.session,
                call.amount,
                transaction_id=call.tx,
                round_id=call.round,
                game_id="g1",
                type=BetType(call.type),
            )
        if call.action == "win":
            return await w.win(
                call.session,
                call.amount,
                transaction_id=call.tx,
                round_id=call.round,
                game_id="g1",
                type=WinType(call.type),
            )
        return await w.refund(call.session, call.tx, round_id=call.round, game_id="g1")

    def check(self, reply: BalanceReply | ErrorReply, expected: str) -> None:
        if expected == OK:
            assert ok(reply) == self.model.balance
        else:
            refused(reply, E(expected))

    def send(self, call: Call) -> None:
        expected = self.model.apply(call)
        self.check(self.run(self._send(call)), expected)
        self.calls.append(call)

    # set-up

    @initialize(balance=st.sampled_from(["0", "1", "10", "25.5"]))
    def start(self, balance: str) -> None:
        self.player: Player = self.aggregator.new_player(balance=balance, client=self.client)
        self.sessions = [self.player.session_id, self.aggregator.open_session(self.player)]
        self.wallet = WalletClient(
            self.aggregator.base_url, self.player.client_id, self.player.token, http=self.http
        )
        self.model = WalletModel(units(balance))
        self.deposits = int(units(balance) > 0)

    # rules

    @rule(amount=BET_AMOUNTS, kind=BET_TYPES, n=ROUNDS, s=st.integers(0, 1))
    def bet(self, amount: int, kind: str, n: int, s: int) -> None:
        self.send(Call("bet", kind, self.sessions[s], self.new_tx(), self.round_id(n), amount))

    @rule(amount=WIN_AMOUNTS, kind=WIN_TYPES, n=ROUNDS, s=st.integers(0, 1))
    def win(self, amount: int, kind: str, n: int, s: int) -> None:
        self.send(Call("win", kind, self.sessions[s], self.new_tx(), self.round_id(n), amount))

    def refundable(self) -> list[Call]:
        # Any id sent as a bet, including ids later reused by a win (a refund naming a
        # win is refused and recorded nowhere).
        return [c for c in self.calls if c.action == "bet"]

    @precondition(lambda self: bool(self.refundable()))
    @rule(data=st.data(), same_round=st.booleans())
    def refund_of_a_sent_bet(self, data: st.DataObject, same_round: bool) -> None:
        bet = data.draw(st.sampled_from(self.refundable()))
        round_id = bet.round if same_round else self.round_id(data.draw(ROUNDS))
        self.send(Call("refund", "", bet.session, bet.tx, round_id, 0))

    @rule(n=ROUNDS)
    def refund_of_an_unseen_bet(self, n: int) -> None:
        call = Call("refund", "", self.sessions[0], self.new_tx(), self.round_id(n), 0)
        self.send(call)
        self.unseen_refunds.append(call)

    @precondition(lambda self: bool(self.unseen_refunds))
    @rule(data=st.data(), amount=st.sampled_from([1, 10000]))
    def bet_arriving_after_its_refund(self, data: st.DataObject, amount: int) -> None:
        refund = data.draw(st.sampled_from(self.unseen_refunds))
        self.send(Call("bet", "bet", refund.session, refund.tx, refund.round, amount))

    @precondition(lambda self: bool(self.calls))
    @rule(data=st.data())
    def exact_repeat(self, data: st.DataObject) -> None:
        self.send(data.draw(st.sampled_from(self.calls)))

    @precondition(lambda self: any(c.action != "refund" for c in self.calls))
    @rule(data=st.data(), change=CHANGES)
    def same_id_other_content(self, data: st.DataObject, change: str) -> None:
        call = data.draw(st.sampled_from([c for c in self.calls if c.action != "refund"]))
        if change == "amount":
            other = replace(call, amount=call.amount + 1)
        elif change == "round":
            other = replace(call, round=self.round_id(99))
        elif change == "type":
            flip = {"bet": "tip", "tip": "bet", "win": "jackpot", "jackpot": "win"}
            flip["freespin"] = "bet" if call.action == "bet" else "win"
            other = replace(call, type=flip[call.type])
        elif change == "action":
            other = replace(
                call,
                action="win" if call.action == "bet" else "bet",
                type="win" if call.action == "bet" else "bet",
            )
        else:
            other = replace(call, session=self.sessions[1 - self.sessions.index(call.session)])
        self.send(other)

    @rule(data=st.data(), copies=st.integers(2, 12))
    def burst_of_copies(self, data: st.DataObject, copies: int) -> None:
        """Copies of one call sent at once: applied once, every copy answered alike (B10)."""
        fresh = [
            Call("bet", "bet", self.sessions[0], self.new_tx(), self.round_id(0), 10000),
            Call("win", "win", self.sessions[0], self.new_tx(), self.round_id(1), 5000),
        ]
        call = data.draw(st.sampled_from(fresh + self.calls))
        expected = self.model.apply(call)

        async def burst() -> list[BalanceReply | ErrorReply]:
            return list(await asyncio.gather(*(self._send(call) for _ in range(copies))))

        replies = self.run(burst())
        done = [
            r
            for r in replies
            if not (isinstance(r, ErrorReply) and r.code is E.TRANSACTION_IN_PROGRESS)
        ]
        assert done, "every copy answered TRANSACTION_IN_PROGRESS"
        for reply in done:
            self.check(reply, expected)
        self.calls.append(call)

    @precondition(lambda self: self.model.balance >= 8)
    @rule(count=st.integers(2, 8))
    def burst_of_distinct_bets_that_fit(self, count: int) -> None:
        stake = self.model.balance // count
        calls = [
            Call("bet", "bet", self.sessions[i % 2], self.new_tx(), self.round_id(i % 6), stake)
            for i in range(count)
        ]

        async def burst() -> list[BalanceReply | ErrorReply]:
            return list(await asyncio.gather(*(self._send(c) for c in calls)))

        replies = self.run(burst())
        after = [ok(r) for r in replies]  # all fit, so all succeed, in some order
        for call in calls:
            assert self.model.apply(call) == OK
        self.calls.extend(calls)
        assert sorted(after) == [self.model.balance + stake * k for k in range(count)]

    @rule(amount=st.sampled_from(["0.0001", "5", "100"]))
    def deposit(self, amount: str) -> None:
        reference = f"{self.prefix}-deposit-{next(self.ids)}"
        result = self.aggregator.admin.deposit(self.player.player_id, "EUR", amount, reference)
        self.model.balance += units(amount)
        self.deposits += 1
        assert units(result["balance"]) == self.model.balance

    @invariant()
    def balance_is_the_models(self) -> None:
        if hasattr(self, "model"):
            assert ok(self.run(self.wallet.balance(self.sessions[0]))) == self.model.balance

    def teardown(self) -> None:
        try:
            if hasattr(self, "model"):
                self._final_checks()
        finally:
            self.run(self.http.aclose())
            self.runner.close()

    def _final_checks(self) -> None:
        agg = self.aggregator
        assert agg.balance(self.player) == self.model.balance
        journal = agg.listing("transactions", player_id=self.player.player_id)
        wallet_rows = [r for r in journal if r["client_id"] == self.player.client_id]
        assert len(wallet_rows) == len(self.model.rows)
        assert len(journal) - len(wallet_rows) == self.deposits
        anomalies = agg.listing("anomalies", client_id=self.player.client_id)
        logged = {
            a["transaction_id"] for a in anomalies if a["transaction_id"].startswith(self.prefix)
        }
        assert logged == self.model.anomalies
        agg.assert_ledger_balanced()


@pytest.mark.slow
def test_wallet_agrees_with_the_model_of_its_rules(aggregator: Aggregator) -> None:
    machine: Any = type(
        "Machine", (WalletMachine,), {"aggregator": aggregator, "client": aggregator.new_client()}
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
