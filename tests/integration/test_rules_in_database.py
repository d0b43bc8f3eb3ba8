"""The rules exist once: PostgreSQL's ``reelbridge_decide`` decides exactly as
``ledger.rules`` (B7, B8, B11, B12, B13, and the responsible-gambling rows of B19).

On PostgreSQL a wallet call is decided inside the database (one round trip, migration
aggregator:4). These tests run the same decision cases through the Python rules and
through the SQL function and require identical decisions: outcome code, message,
balance change, anomaly, whether a standing bet is undone, whether it is recorded. A
grid covers every row of the decision table and its edges (limits included: blocks,
self-exclusions, session time, loss and wager limits of every period at their edges,
pending changes before and after they are due, totals of an older period); hypothesis
adds random cases.
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

from reelbridge.ledger.limits import (
    DAY_US,
    INDEFINITE,
    MINUTE_US,
    PERIODS,
    SETTINGS,
    LimitState,
    Setting,
    Totals,
    key_of,
)
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

NOW = 1_750_000_000_000_000  # 2025-06-15 15:06:40 UTC, µs: real periods
DECIDE = "SELECT * FROM reelbridge_decide(" + ", ".join(f"${i}" for i in range(1, 22)) + ")"


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
    started_at: int = NOW - 60 * MINUTE_US
    limits: LimitState | None = None

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
            started_at=self.started_at,
        )
        ids = {"session_id": self.session_id, "round_id": self.round_id, "game_id": self.game_id}
        decision: Decision
        if self.action == "bet":
            bet = Bet(type=BetType.BET, amount=self.amount, transaction_id="t1", **ids)
            decision = decide_bet(
                bet,
                session,
                now=NOW,
                refunded_before=self.refunded_before,
                limits=self.limits,
            )
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
            self.started_at,
            None if self.limits is None else list(self.limits.as_row()),
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


def _totals(keys: int, wagered: int, lost: int) -> Totals:
    """Totals of the periods around ``NOW`` (``keys`` periods back), the same in each
    period apart from a growing multiple."""
    fields: dict[str, int] = {}
    for i, period in enumerate(PERIODS, start=1):
        fields[f"{period.value}_key"] = key_of(period, NOW) - keys
        fields[f"{period.value}_wagered"] = wagered * i
        fields[f"{period.value}_lost"] = lost * i
    return Totals(**fields)


TOTALS = [_totals(0, 30_000, 20_000), _totals(0, 80_000, -30_000), _totals(1, 30_000, 20_000)]


def _limited(name: str, setting: Setting, totals: Totals) -> LimitState:
    return LimitState(totals=totals).replace(name, setting)


def limit_states() -> Iterator[LimitState]:
    """Each setting alone at the edges of its rule, in force or pending (due or not),
    over totals of the current period, of a winning player and of an older period."""
    for totals in TOTALS:
        yield LimitState(totals=totals)  # a row without settings
        yield LimitState(blocked=True, totals=totals)
        for index, name in enumerate(SETTINGS[:6]):
            period = PERIODS[index % 3]
            wagered, lost = totals.current(period, NOW)
            used = lost if name.startswith("loss") else wagered
            for limit in (1, max(used, 1), used + 50_000, used + 50_001):
                yield _limited(name, Setting(limit), totals)
                yield _limited(name, Setting(LEDGER_LIMIT, limit, NOW), totals)  # due
                yield _limited(name, Setting(limit, LEDGER_LIMIT, NOW + 1), totals)  # not yet
            yield _limited(name, Setting(1, None, NOW), totals)  # removal due
    for minutes, next_at in itertools.product((59, 60, 61), (None, NOW, NOW + 1)):
        yield _limited("session_minutes", Setting(minutes, 61, next_at), TOTALS[0])
    for until, next_at in itertools.product((NOW, NOW + 1, INDEFINITE), (None, NOW, NOW + 1)):
        yield _limited("excluded_until", Setting(until, None, next_at), TOTALS[0])
    yield _limited("excluded_until", Setting(None, NOW + DAY_US, NOW), TOTALS[0])


def grid() -> Iterator[Case]:
    """Every row of the decision table with its edges."""
    for limits, amount, balance in itertools.product(
        limit_states(), (0, 1, 50_000, 50_001), (0, 50_000, LEDGER_LIMIT)
    ):
        yield Case("bet", amount, True, NOW + 1, balance, False, ROUNDS[0], None, limits=limits)
    for open_, refunded in ((False, False), (True, True)):  # refused before any limit
        blocked = LimitState(blocked=True)
        yield Case("bet", 1, open_, NOW + 1, 50_000, refunded, ROUNDS[0], None, limits=blocked)
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
    assert len(cases) > 2000
    refusals = {c.python()[1] for c in cases if c.python()[0] == "BET_FAILED_KNOWN_ERROR"}
    assert len(refusals) == 9, refusals  # block, exclusion, session, 6 money limits


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
maybe_units = st.one_of(st.none(), st.integers(0, 200_000))
maybe_when = st.one_of(st.none(), st.integers(NOW - 2, NOW + 2))
money_setting = st.builds(Setting, maybe_units, maybe_units, maybe_when)
limit_state = st.builds(
    lambda blocked, money, session, exclusion, totals: LimitState(
        blocked, (*money, session, exclusion), totals
    ),
    st.sampled_from([False, False, False, True]),
    st.lists(money_setting, min_size=6, max_size=6),
    st.builds(Setting, st.sampled_from([None, 59, 60, 61]), st.none(), st.none()),
    st.builds(Setting, st.sampled_from([None, NOW, NOW + 1]), st.none(), maybe_when),
    st.builds(
        _totals, st.integers(0, 1), st.integers(-50_000, 100_000), st.integers(-50_000, 100_000)
    ),
)
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
    started_at=st.integers(NOW - 62 * MINUTE_US, NOW),
    limits=st.one_of(st.none(), limit_state),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases)
def test_the_database_decides_random_cases_as_the_python_rules(
    decider: Decider, case: Case
) -> None:
    assert decider.sql(case) == case.python()
