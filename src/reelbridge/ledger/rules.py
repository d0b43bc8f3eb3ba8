"""The wallet's decisions, as pure functions of a request and the state it meets.

Theory of operation. A wallet call is handled in three steps inside one unit of work:

1. *check*: rules that depend on the request alone (B3, B6); a failure writes nothing;
2. *decide*: with the session and account locked, the state read (balance, the round,
   a remembered refund) yields a ``Decision``: an outcome and a balance change;
3. *record*: the decision is inserted into the journal under the unique key
   (client, transaction id, is_refund). If the key already exists the decision is
   discarded and the stored row is *replayed* instead (B9): same content → its
   original outcome; different content → ``TRANSACTION_DENIED``.

Outcome table (the outcome recorded for a new transaction id):

=========  ==========================================  ==========================
action     state met                                   outcome
=========  ==========================================  ==========================
bet        session closed or expired                   SESSION_NOT_FOUND    (B8)
bet        its id was refunded before it arrived       TRANSACTION_DENIED   (B11)
bet        the player's account is blocked             BET_FAILED_KNOWN_ERROR (B19)
bet        a self-exclusion is in force                BET_FAILED_KNOWN_ERROR (B19)
bet        the session is older than its time limit    BET_FAILED_KNOWN_ERROR (B19)
bet        amount > 0 and the period's net loss +      BET_FAILED_KNOWN_ERROR (B19)
           amount > a loss limit (day, week, month)
bet        amount > 0 and the period's stakes +        BET_FAILED_KNOWN_ERROR (B19)
           amount > a wager limit (day, week, month)
bet        amount > balance                            INSUFFICIENT_BALANCE (B7)
bet        otherwise                                   ok, debit amount
win        the round has bets, all refunded/refused    TRANSACTION_DENIED   (B13)
win        otherwise (also with no bet, or expired,    ok, credit amount    (B8, B13)
           blocked, self-excluded or over a limit)
refund     the bet is unknown                          ok, nothing moves, remembered (B11)
refund     the id is a win, or session/round differ    TRANSACTION_DENIED, not recorded
refund     the bet was refused                         ok, nothing moves
refund     the round already has a win                 TRANSACTION_DENIED + anomaly (B12)
refund     otherwise                                   ok, credit the stake back (B11)
=========  ==========================================  ==========================

The responsible-gambling rows read the account's limits (``limits.LimitState``; none
without a row): a setting in force is its value, or its pending change once that is
due. Limits never concern wins and refunds (B8), and a refused bet keeps its refusal
when a limit is raised later (B9).
"""

from __future__ import annotations

from dataclasses import dataclass

from reelbridge._types import Units
from reelbridge.ledger.limits import LimitState
from reelbridge.protocol import (
    LEDGER_LIMIT,
    Bet,
    BetType,
    ErrorCode,
    ProtocolError,
    Refund,
    Win,
    WrongInput,
)

OK = "ok"


@dataclass(frozen=True, slots=True)
class SessionState:
    """A wallet session joined with its (locked) account."""

    session_id: str
    client_id: str
    player_id: str
    currency: str
    game_id: str
    account_id: int
    house_id: int
    open: bool
    expires_at: int
    balance: Units
    started_at: int  # when the session was opened (B19: session time limit)

    def accepts_bets(self, now: int) -> bool:
        """Open and not expired (B8); ``now`` in the same unit as ``expires_at``."""
        return self.open and now < self.expires_at


@dataclass(frozen=True, slots=True)
class Stored:
    """A journal row, as much of it as replay and refund need."""

    action: str
    type: str
    session_id: str
    round_id: str
    game_id: str
    amount: Units
    outcome: str
    message: str
    refunded: bool


@dataclass(frozen=True, slots=True)
class RoundState:
    """What the journal knows of a round: bets seen, bets still standing, wins."""

    bets: int
    live_bets: int
    wins: int


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of a new transaction and the change to the player's balance."""

    code: ErrorCode | None
    message: str = ""
    delta: Units = 0
    anomaly: str | None = None
    undoes_bet: bool = False  # a refund that takes back a standing bet (even of 0)
    record: bool = True  # False: refused without a journal row (unless replaying one)

    @property
    def outcome(self) -> str:
        """The value stored in the journal's ``outcome`` column."""
        return OK if self.code is None else str(self.code)


ACCEPT = Decision(None)


def refuse(code: ErrorCode, message: str | None = None, anomaly: str | None = None) -> Decision:
    """A recorded refusal."""
    return Decision(code, message or code.default_message, 0, anomaly)


def check_bet(bet: Bet) -> None:
    """Request-only rules for a bet (B3, B6). Raises without writing anything."""
    if bet.type is BetType.FREESPIN:
        if bet.amount != 0:
            raise WrongInput(
                message="A freespin bet has amount 0", transaction_id=bet.transaction_id
            )
    elif bet.amount <= 0:
        raise ProtocolError(ErrorCode.AMOUNT_SHOULD_BE_POSITIVE, transaction_id=bet.transaction_id)
    if bet.amount > LEDGER_LIMIT:
        raise WrongInput(
            message="Amount exceeds the ledger limit", transaction_id=bet.transaction_id
        )


def check_win(win: Win) -> None:
    """Request-only rules for a win (B6: amount ≥ 0)."""
    if win.amount < 0:
        raise ProtocolError(ErrorCode.AMOUNT_SHOULD_BE_POSITIVE, transaction_id=win.transaction_id)
    if win.amount > LEDGER_LIMIT:
        raise WrongInput(
            message="Amount exceeds the ledger limit", transaction_id=win.transaction_id
        )


def decide_bet(
    bet: Bet,
    session: SessionState,
    *,
    now: int,
    refunded_before: bool,
    limits: LimitState | None = None,
) -> Decision:
    """Decide a new bet (B7, B8, B11, B19): ``limits`` are the account's, if any."""
    if not session.accepts_bets(now):
        return refuse(ErrorCode.SESSION_NOT_FOUND, "Session expired or closed")
    if refunded_before:
        return refuse(ErrorCode.TRANSACTION_DENIED, "Bet was already refunded")
    if limits is not None:
        refusal = limits.refusal(bet.amount, session_started=session.started_at, now=now)
        if refusal is not None:
            return refuse(ErrorCode.BET_FAILED_KNOWN_ERROR, refusal)
    if bet.amount > session.balance:
        return refuse(ErrorCode.INSUFFICIENT_BALANCE)
    return Decision(None, delta=-bet.amount)


def decide_win(win: Win, session: SessionState, round_: RoundState) -> Decision:
    """Decide a new win (B8, B13): money owed lands, unless the round was undone."""
    if round_.bets > 0 and round_.live_bets == 0:
        return refuse(ErrorCode.TRANSACTION_DENIED, "The round's bets were refunded")
    if session.balance + win.amount > LEDGER_LIMIT:
        return refuse(
            ErrorCode.TRANSACTION_DENIED,
            "Balance would exceed the ledger limit",
            anomaly="win over ledger limit",
        )
    return Decision(None, delta=win.amount)


def decide_refund(
    refund: Refund, session: SessionState, bet: Stored | None, round_: RoundState
) -> Decision:
    """Decide a new refund of the bet ``refund.transaction_id`` names (B11, B12)."""
    if bet is None:
        return ACCEPT  # remembered: a later bet with this id is denied
    # A refund that does not describe the bet it names is refused without being
    # recorded, like a reused id with other content (B9): the right refund can follow.
    if bet.action != "bet":
        return Decision(ErrorCode.TRANSACTION_DENIED, "The transaction is not a bet", record=False)
    if (bet.session_id, bet.round_id, bet.game_id) != (
        refund.session_id,
        refund.round_id,
        refund.game_id,
    ):
        return Decision(ErrorCode.TRANSACTION_DENIED, "Refund does not match the bet", record=False)
    if bet.outcome != OK:
        return ACCEPT  # the bet took nothing, there is nothing to give back
    if round_.wins > 0:
        return refuse(
            ErrorCode.TRANSACTION_DENIED,
            "The round is settled",
            anomaly="refund requested after the round's win",
        )
    return Decision(None, delta=bet.amount, undoes_bet=True)


def same_content(request: Bet | Win | Refund, stored: Stored) -> bool:
    """Whether a repeated transaction id carries the content first seen (B9)."""
    if isinstance(request, Refund):
        mine: tuple[object, ...] = (
            "refund",
            "",
            request.session_id,
            request.round_id,
            request.game_id,
            None,
        )
        theirs: tuple[object, ...] = (
            stored.action,
            "",
            stored.session_id,
            stored.round_id,
            stored.game_id,
            None,
        )
    else:
        mine = (
            str(request.action),
            str(request.type),
            request.session_id,
            request.round_id,
            request.game_id,
            request.amount,
        )
        theirs = (
            stored.action,
            stored.type,
            stored.session_id,
            stored.round_id,
            stored.game_id,
            stored.amount,
        )
    return mine == theirs


def replay(request: Bet | Win | Refund, stored: Stored) -> None:
    """Answer a repeated transaction id from its stored outcome (B9).

    Returns normally when the answer is success (the caller answers the current
    balance), raises the stored refusal otherwise.
    """
    if not same_content(request, stored):
        raise ProtocolError(
            ErrorCode.TRANSACTION_DENIED,
            "Transaction id already used with different content",
            transaction_id=request.transaction_id,
        )
    if stored.outcome != OK:
        raise ProtocolError(
            ErrorCode(stored.outcome), stored.message, transaction_id=request.transaction_id
        )
