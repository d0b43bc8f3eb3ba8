"""The rules exist once: PostgreSQL's ``reelbridge_decide`` decides exactly as
``ledger.rules`` (B7, B8, B11, B12, B13).

On PostgreSQL a wallet call is decided inside the database (one round trip, migration
aggregator:4). These tests run the same decision cases through the Python rules and
through the SQL function and require identical decisions: outcome code, message,
balance change, anomaly, whether a standing bet is undone, whether it is recorded. A
grid covers every row of the decision table and its edges; hypothesis adds random cases.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelbridge.ledger.rules import (
    OK,
    Decision,
    RoundState,
    SessionState,
    Stored,
    decide_bet,
    decide_refund,
    decide_win,
)
from reelbridge.protocol import LEDGER_LIMIT, Bet, BetType, ErrorCode, Refund, Win, WinType
from reelbridge.storage import AGGREGATOR, engine_from_url, migrate

pytestmark = pytest.mark.postgres

NOW = 1_000_000
DECIDE = "SELECT * FROM reelbridge_decide($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, " + (
    "$11, $12, $13, $14, $15, $16, $17, $18, $19)"
)


@dataclass(frozen=True)
class Case:
    """The inputs of one decision, as the wallet call meets them."""

    action: str  # bet, win, refund
    amount: int
    open: bool
    expires_at: int
    balance: int
    refunded_before: bool
    round: RoundState
    bet: Stored | None  # the bet a refund names
    session_id: str = "s1"
    round_id: str = "r1"
    game_id: str = "g1"

    def python(self) -> tuple[Any, ...]:
        session = SessionState(
            session_id=self.session_id,
            client_id="c1",
            player_id="p1",
            currency="EUR",
            game_id="g1",
            account_id=10,
            house_id=1,
            open=self.open,
            expires_at=self.expires_at,
            balance=self.balance,
        )
        ids = {"session_id": self.session_id, "round_id": self.round_id, "game_id": self.game_id}
        decision: Decision
        if self.action == "bet":
            bet = Bet(type=BetType.BET, amount=self.amount, transaction_id="t1", **ids)
            decision = decide_bet(bet, session, now=NOW, refunded_before=self.refunded_before)
        elif self.action == "win":
            win = Win(type=WinType.WIN, amount=self.amount, transaction_id="w1", **ids)
            decision = decide_win(win, session, self.round)
        else:
            decision = decide_refund(
                Refund(transaction_id="t1", **ids), session, self.bet, self.round
            )
        return (
            None if decision.code is None else str(decision.code),
            decision.message,
            decision.delta,
            decision.anomaly,
            decision.undoes_bet,
            decision.record,
        )

    def sql_args(self) -> tuple[Any, ...]:
        bet = self.bet
        return (
            self.action,
            self.amount,
            self.open,
            self.expires_at,
            NOW,
            self.balance,
            self.refunded_before,
            self.round.bets,
            self.round.live_bets,
            self.round.wins,
            None if bet is None else bet.action,
            None if bet is None else bet.session_id,
            None if bet is None else bet.round_id,
            None if bet is None else bet.game_id,
            None if bet is None else bet.amount,
            None if bet is None else bet.outcome,
            self.session_id,
            self.round_id,
            self.game_id,
        )


class Decider:
    """One connection to a migrated database, asking ``reelbridge_decide``."""

    def __init__(self, url: str) -> None:
        self.runner = asyncio.Runner()
        self.conn: asyncpg.Connection = self.runner.run(self._connect(url))

    async def _connect(self, url: str) -> asyncpg.Connection:
        engine = engine_from_url(url)
        await engine.start()
        try:
            await migrate(engine, AGGREGATOR)
        finally:
            await engine.close()
        return await asyncpg.connect(url)

    def sql(self, case: Case) -> tuple[Any, ...]:
        row = self.runner.run(self.conn.fetchrow(DECIDE, *case.sql_args()))
        assert row is not None
        return tuple(row)

    def close(self) -> None:
        self.runner.run(self.conn.close())
        self.runner.close()


@pytest.fixture(scope="module")
def decider(pg_url: str) -> Iterator[Decider]:
    d = Decider(pg_url)
    yield d
    d.close()


def stored(action: str = "bet", outcome: str = OK, amount: int = 10_000, **ids: str) -> Stored:
    fields = {"session_id": "s1", "round_id": "r1", "game_id": "g1", **ids}
    return Stored(
        action, action, amount=amount, outcome=outcome, message="", refunded=False, **fields
    )


ROUNDS = [
    RoundState(bets, live, wins)
    for bets, live, wins in itertools.product(range(3), range(3), range(3))
    if live <= bets
]
BALANCES = [0, 1, 50_000, LEDGER_LIMIT - 7, LEDGER_LIMIT]
BETS_NAMED = [
    None,
    stored(),
    stored(amount=0),
    stored(outcome=str(ErrorCode.INSUFFICIENT_BALANCE)),
    stored(action="win"),
    stored(action="refund"),
    stored(session_id="s2"),
    stored(round_id="r2"),
    stored(game_id="g2"),
]


def grid() -> Iterator[Case]:
    """Every row of the decision table with its edges."""
    for open_, expires, refunded, balance, amount in itertools.product(
        (True, False), (NOW - 1, NOW, NOW + 1), (False, True), BALANCES, (0, 1, 50_000, 50_001)
    ):
        yield Case("bet", amount, open_, expires, balance, refunded, ROUNDS[0], None)
    for round_, balance, amount in itertools.product(ROUNDS, BALANCES, (0, 7, 8, LEDGER_LIMIT)):
        yield Case("win", amount, False, NOW, balance, False, round_, None)
    for round_, bet in itertools.product(ROUNDS, BETS_NAMED):
        yield Case("refund", 0, True, NOW + 1, 50_000, False, round_, bet)


def test_the_database_decides_every_row_of_the_table_as_the_python_rules(
    decider: Decider,
) -> None:
    cases = list(grid())
    differ = [(c, c.python(), decider.sql(c)) for c in cases if c.python() != decider.sql(c)]
    assert not differ, differ[:5]
    assert len(cases) > 500


def test_the_comparison_can_tell_decisions_apart(decider: Decider) -> None:
    """The parity test would notice a changed rule: two cases that the rules decide
    differently get different answers from the database as well."""
    accepted = Case("bet", 50_000, True, NOW + 1, 50_000, False, ROUNDS[0], None)
    refused = Case("bet", 50_001, True, NOW + 1, 50_000, False, ROUNDS[0], None)
    assert accepted.python() != refused.python()
    assert decider.sql(accepted) == accepted.python()
    assert decider.sql(refused) == refused.python()
    assert decider.sql(accepted) != decider.sql(refused)


ids = st.sampled_from(["s1", "s2"]), st.sampled_from(["r1", "r2"]), st.sampled_from(["g1", "g2"])
cases = st.builds(
    Case,
    action=st.sampled_from(["bet", "win", "refund"]),
    amount=st.one_of(st.integers(0, 100_000), st.integers(0, LEDGER_LIMIT)),
    open=st.booleans(),
    expires_at=st.integers(NOW - 2, NOW + 2),
    balance=st.one_of(st.integers(0, 100_000), st.integers(0, LEDGER_LIMIT)),
    refunded_before=st.booleans(),
    round=st.sampled_from(ROUNDS),
    bet=st.one_of(
        st.none(),
        st.builds(
            stored,
            action=st.sampled_from(["bet", "win", "refund"]),
            outcome=st.sampled_from([OK, "INSUFFICIENT_BALANCE", "SESSION_NOT_FOUND"]),
            amount=st.integers(0, LEDGER_LIMIT),
            session_id=ids[0],
            round_id=ids[1],
            game_id=ids[2],
        ),
    ),
    session_id=ids[0],
    round_id=ids[1],
    game_id=ids[2],
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases)
def test_the_database_decides_random_cases_as_the_python_rules(
    decider: Decider, case: Case
) -> None:
    assert decider.sql(case) == case.python()
