"""A wallet call as one statement: PostgreSQL's ``reelbridge_wallet_call``.

On PostgreSQL a wallet call is one round trip (no BEGIN, no COMMIT: the statement is its
own transaction): the function of migration aggregator:4 locks, decides with a mirror
of ``rules`` (kept identical by a parity test), records and moves money. What it does
not decide is decided here, by the same Python as on SQLite: the request-only checks
(``check_bet``, ``check_win``) before the call, and the answer to a repeated id
(``replay``) from the stored row the function returns.
"""

from __future__ import annotations

import logging
from typing import Any

from reelbridge.ledger.flows import Outcome, answer_stored, handle, stored_from_row
from reelbridge.ledger.rules import Decision, check_bet, check_win
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
from reelbridge.storage import Engine, Flow, NotStarted, Sql, one

log = logging.getLogger("reelbridge.wallet")
CALL = Sql.of("SELECT * FROM reelbridge_wallet_call(?, ?, ?, ?, ?, ?, ?, ?, ?)")


NOT_STARTED = "The wallet could not begin the transaction: nothing was written, retry"


async def wallet_call(
    engine: Engine, client_id: str, request: WalletRequest, *, now: int
) -> Outcome:
    """One wallet call as one unit of work: a single statement on PostgreSQL, the flow
    ``handle`` elsewhere (SQLite's writer pays no round trip per statement).

    Raises:
        ProtocolError: a refusal that writes nothing; ``TRANSACTION_PREPARING_ERROR``
            when the unit of work could not even begin (B22: the storage is not
            running, no connection could be had, SQLite could not take its write lock).
    """
    try:
        if engine.dialect == "postgres":
            return await engine.run(
                lambda: handle_in_database(client_id, request, now=now), one_statement=True
            )
        return await engine.run(lambda: handle(client_id, request, now=now))
    except NotStarted as exc:
        log.warning("wallet call not started (answered TRANSACTION_PREPARING_ERROR): %s", exc)
        raise ProtocolError(
            ErrorCode.TRANSACTION_PREPARING_ERROR,
            NOT_STARTED,
            transaction_id=getattr(request, "transaction_id", None),
        ) from None


def handle_in_database(client_id: str, request: WalletRequest, *, now: int) -> Flow[Outcome]:
    """The unit of work of ``flows.handle``, decided and recorded by one statement."""
    if isinstance(request, Bet):
        check_bet(request)
    elif isinstance(request, Win):
        check_win(request)
    if isinstance(request, GetBalance):
        fields: tuple[Any, ...] = ("balance", "", request.session_id, "", "", "", 0)
    else:
        fields = (
            str(request.action),
            "" if isinstance(request, Refund) else str(request.type),
            request.session_id,
            request.transaction_id,
            request.round_id,
            request.game_id,
            0 if isinstance(request, Refund) else request.amount,
        )
    row = yield one(CALL, client_id, *fields, now)
    kind, balance, code, message, *stored = row
    transaction_id = getattr(request, "transaction_id", None)
    if kind == "session_not_found":
        raise ProtocolError(ErrorCode.SESSION_NOT_FOUND, transaction_id=transaction_id)
    if kind == "balance":
        return BalanceReply(balance=balance)
    assert not isinstance(request, GetBalance)
    if kind == "wrong_game":
        raise ProtocolError(
            ErrorCode.WRONG_INPUT_PARAMETERS,
            "game_id does not match the session",
            transaction_id=transaction_id,
        )
    if kind == "recorded":
        if code is None:
            return BalanceReply(balance=balance)
        return ErrorReply(code=ErrorCode(code), message=message)
    decision = Decision(None if code is None else ErrorCode(code), message)
    return answer_stored(request, stored_from_row(tuple(stored)), balance, decision)
