"""The wallet's units of work: one flow per call (see ``rules`` for the decisions).

Each flow locks the session's account first, so that everything it reads stays true
until it commits (PostgreSQL row lock; SQLite's single writer), then decides, records
under the journal's unique key and moves money, all in one transaction.
"""

from __future__ import annotations

import json
from typing import Any

from reelbridge._types import Units
from reelbridge.ledger import statements as q
from reelbridge.ledger.limits import LimitState
from reelbridge.ledger.rules import (
    Decision,
    RoundState,
    SessionState,
    Stored,
    check_bet,
    check_win,
    decide_bet,
    decide_refund,
    decide_win,
    replay,
)
from reelbridge.protocol import (
    BalanceReply,
    Bet,
    ErrorCode,
    ErrorReply,
    GetBalance,
    ProtocolError,
    Refund,
    WalletRequest,
    Win,
)
from reelbridge.storage import Flow, one, run, value

Outcome = BalanceReply | ErrorReply
Row = tuple[Any, ...]


def handle(client_id: str, request: WalletRequest, *, now: int) -> Flow[Outcome]:
    """The unit of work for one wallet request.

    Returns the recorded outcome (success, or a refusal that is kept, B9); raises
    ``ProtocolError`` for failures that write nothing.
    """
    if isinstance(request, Bet):
        check_bet(request)
    elif isinstance(request, Win):
        check_win(request)
    if isinstance(request, GetBalance):
        row = yield one(q.SESSION, request.session_id)
        return BalanceReply(balance=_session(client_id, row, request).balance)
    if isinstance(request, Bet):
        row = yield one(q.BET_STATE, client_id, request.transaction_id, request.session_id)
        session = _session(client_id, row, request)
        decision = decide_bet(
            request,
            session,
            now=now,
            refunded_before=row[q.MARKER_AT] is not None,
            limits=LimitState.from_row(row[q.LIMITS_AT]),
        )
    elif isinstance(request, Win):
        in_round = (request.round_id, client_id) * 3
        row = yield one(q.WIN_STATE, *in_round, request.session_id)
        session = _session(client_id, row, request)
        decision = decide_win(request, session, _round(row))
    else:
        in_round = (request.round_id, client_id) * 3
        row = yield one(
            q.REFUND_STATE, *in_round, client_id, request.transaction_id, request.session_id
        )
        session = _session(client_id, row, request)
        decision = decide_refund(request, session, stored_from_row(row[q.BET_AT]), _round(row))
    outcome = yield from _record(client_id, request, session, decision, now)
    if decision.undoes_bet and isinstance(outcome, BalanceReply):
        yield run(q.MARK_REFUNDED, client_id, request.transaction_id)
    return outcome


def _session(client_id: str, row: Row | None, request: WalletRequest) -> SessionState:
    """The session of a state row; unknown or another client's: SESSION_NOT_FOUND (B8).
    A call whose game differs from its session's writes nothing."""
    if row is None or row[1] != client_id or row[6] is None:
        raise ProtocolError(
            ErrorCode.SESSION_NOT_FOUND, transaction_id=getattr(request, "transaction_id", None)
        )
    session = SessionState(
        session_id=row[0],
        client_id=row[1],
        player_id=row[2],
        currency=row[3],
        game_id=row[4],
        account_id=row[5],
        house_id=row[6],
        open=row[7] == "open",
        expires_at=row[8],
        balance=row[9],
        started_at=row[10],
    )
    if not isinstance(request, GetBalance) and request.game_id != session.game_id:
        raise ProtocolError(
            ErrorCode.WRONG_INPUT_PARAMETERS,
            "game_id does not match the session",
            transaction_id=request.transaction_id,
        )
    return session


def _round(row: Row) -> RoundState:
    bets, live, wins = row[q.ROUND_AT]
    return RoundState(bets=int(bets), live_bets=int(live), wins=int(wins))


def stored_from_row(row: Row | None) -> Stored | None:
    """The ``Stored`` of a journal row's replay columns (``q.STORED``), None if absent."""
    if row is None or row[0] is None:
        return None
    action, type_, session_id, round_id, game_id, amount, outcome, message, refunded = row
    return Stored(
        action, type_, session_id, round_id, game_id, amount, outcome, message, bool(refunded)
    )


def _stored_by_id(client_id: str, transaction_id: str, *, is_refund: bool) -> Flow[Stored | None]:
    return stored_from_row((yield one(q.STORED, client_id, transaction_id, int(is_refund))))


def _record(
    client_id: str,
    request: Bet | Win | Refund,
    session: SessionState,
    decision: Decision,
    now: int,
) -> Flow[Outcome]:
    is_refund = isinstance(request, Refund)
    if not decision.record:
        stored = yield from _stored_by_id(client_id, request.transaction_id, is_refund=is_refund)
        return answer_stored(request, stored, session.balance, decision)
    delta = decision.delta
    # Double entry: a debit of the player is a credit of the house and vice versa.
    debit, credit = (
        (None, None)
        if delta == 0
        else (session.account_id, session.house_id)
        if delta < 0
        else (session.house_id, session.account_id)
    )
    inserted = yield value(
        q.INSERT,
        client_id,
        request.transaction_id,
        int(is_refund),
        str(request.action),
        "" if isinstance(request, Refund) else str(request.type),
        request.session_id,
        request.round_id,
        request.game_id,
        0 if isinstance(request, Refund) else request.amount,
        session.account_id,
        decision.outcome,
        decision.message,
        debit,
        credit,
        abs(delta),
        session.balance + delta,
        now,
    )
    if inserted is None:
        # The unique key says this id was seen: answer as the first time (B9, B10).
        stored = yield from _stored_by_id(client_id, request.transaction_id, is_refund=is_refund)
        return answer_stored(request, stored, session.balance, decision)
    if decision.anomaly is not None:
        detail = anomaly_detail(request, decision.message)
        yield run(q.ANOMALY, client_id, request.transaction_id, decision.anomaly, detail, now)
    if decision.code is not None:
        return ErrorReply(code=decision.code, message=decision.message)
    # The insert moved the money: a trigger applies each journal row to the player's
    # balance (migration aggregator:2).
    return BalanceReply(balance=session.balance + delta)


def answer_stored(
    request: Bet | Win | Refund, stored: Stored | None, balance: Units, decision: Decision
) -> Outcome:
    """The answer to a call whose decision was not recorded: a repeated id (the key
    exists) replays its stored outcome (B9); a refund that does not describe its bet
    and has no row of its own gets the decision's refusal."""
    if stored is None:
        raise ProtocolError(
            decision.code or ErrorCode.TRANSACTION_DENIED,
            decision.message,
            transaction_id=request.transaction_id,
        )
    replay(request, stored)
    return BalanceReply(balance=balance)


def anomaly_detail(request: Bet | Win | Refund, message: str) -> str:
    """The ``detail`` of an anomaly row: the request's fields and the refusal."""
    fields = {
        "action": str(request.action),
        "type": "" if isinstance(request, Refund) else str(request.type),
        "session_id": request.session_id,
        "transaction_id": request.transaction_id,
        "round_id": request.round_id,
        "game_id": request.game_id,
        "amount": 0 if isinstance(request, Refund) else request.amount,
    }
    return json.dumps({"request": fields, "message": message})
