"""The ``rounds`` table and the units of work that move a round (PROTOCOL.md B14–B17).

Each function here is one transaction: it checks the move against the state machine
(``states.py``), writes the round and, in the same transaction, the outbox rows the move
implies (``outbox.add``), the campaign's spin and the jackpot pools. The caller sends
what the outbox returns after the commit. Reads for the game API and the admin API are
here too, so no handler holds SQL. The moves that only a remote engine's rounds make
(accepted, voided, demo rounds) are composed from these in ``remote_rounds.py``.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import msgspec

from reelbridge.protocol import Bet, BetType, Refund, Win, WinType, encode_wallet_request
from reelbridge.provider import campaigns, outbox, sessions
from reelbridge.provider.errors import BadStake, RoundConflict
from reelbridge.provider.outbox import Delivery, OutboxEntry
from reelbridge.provider.sessions import GameSession
from reelbridge.provider.states import (
    OutboxKind,
    RoundEvent,
    RoundKind,
    RoundStatus,
    advance,
    allowed,
)
from reelbridge.storage import Flow, Sql, run, value
from reelbridge.storage.listing import Listing, eq
from reelbridge.storage.rows import columns, fetch_all, fetch_one, insert, params

UNKNOWN_ERROR = "Unknown error"


class Round(msgspec.Struct, frozen=True, array_like=True):
    """A stored round (money in units; ``draw`` and ``outcome`` as JSON text)."""

    round_id: str
    launch_token: str
    client_id: str
    session_id: str
    player_id: str
    currency: str
    game_id: str
    kind: RoundKind
    campaign_id: str | None
    bet_per_line: int
    stake: int
    bet_transaction_id: str
    status: RoundStatus
    error_code: str | None
    error_message: str | None
    draw: str | None
    outcome: str | None
    win: int | None
    jackpot_level: str | None
    jackpot_win: int | None
    balance_after: int | None
    created_at: int
    updated_at: int
    engine_id: str | None
    engine_round_id: str | None
    engine_bet_id: int | None

    def decoded_draw(self) -> Any:
        """The stored draw as JSON data (None before the outcome)."""
        return None if self.draw is None else json.loads(self.draw)

    def decoded_outcome(self) -> Any:
        """The stored outcome as JSON data (None before the outcome)."""
        return None if self.outcome is None else json.loads(self.outcome)


class EngineRef(msgspec.Struct, frozen=True):
    """Who opened a remote round: the engine, its own round id and the ``bet_id`` it
    asked for (a repeated open is compared with these)."""

    engine_id: str
    engine_round_id: str
    bet_id: int


class Ticket(msgspec.Struct, frozen=True):
    """A round whose bet is stored and about to be sent."""

    round: Round
    bet: Delivery
    session: GameSession


class Outcome(msgspec.Struct, frozen=True):
    """A round's outcome to store: what the game drew and evaluated, or a remote
    engine reported, with the jackpot the provider drew for it."""

    win: int
    draw: Any
    outcome: Any
    jackpot_level: str | None = None
    jackpot_win: int | None = None


_SELECT = f"SELECT {columns(Round)} FROM rounds"
_BY_ID = Sql.of(_SELECT + " WHERE round_id = ?")
_BY_ID_LOCKED = Sql.of(_SELECT + " WHERE round_id = ? {lock}")
_BY_ENGINE_ROUND = Sql.of(_SELECT + " WHERE engine_id = ? AND engine_round_id = ? {lock}")
_HISTORY_PLAYER = Sql.of(
    _SELECT + " WHERE client_id = ? AND player_id = ? ORDER BY created_at DESC LIMIT ?"
)
_HISTORY_SESSION = Sql.of(_SELECT + " WHERE launch_token = ? ORDER BY created_at DESC LIMIT ?")
_INSERT = insert("rounds", Round)
# A remote round is unique per (engine, engine round id): a concurrent duplicate open
# inserts nothing (PostgreSQL waits for the first to commit) and is told so.
_INSERT_REMOTE = insert(
    "rounds", Round, "ON CONFLICT (engine_id, engine_round_id) DO NOTHING RETURNING round_id"
)
_MOVE = Sql.of(
    """UPDATE rounds SET status = ?, error_code = COALESCE(?, error_code),
              error_message = COALESCE(?, error_message),
              balance_after = COALESCE(?, balance_after), updated_at = ?
        WHERE round_id = ? AND status = ?"""
)
_STORE_OUTCOME = Sql.of(
    """UPDATE rounds SET status = ?, draw = ?, outcome = ?, win = ?, jackpot_level = ?,
              jackpot_win = ?, balance_after = COALESCE(?, balance_after), updated_at = ?
        WHERE round_id = ? AND status = ?"""
)
_STORE_JACKPOT = Sql.of("UPDATE rounds SET jackpot_level = ?, jackpot_win = ? WHERE round_id = ?")


class _StatusCount(msgspec.Struct, frozen=True, array_like=True):
    status: RoundStatus
    rounds: int


class _Accepted(msgspec.Struct, frozen=True, array_like=True):
    stale: int
    oldest_at: int | None


_BY_STATUS = Sql.of("SELECT status, count(*) FROM rounds GROUP BY status")
_ACCEPTED = Sql.of(
    """SELECT COALESCE(sum(CASE WHEN updated_at < ? THEN 1 ELSE 0 END), 0), min(updated_at)
         FROM rounds WHERE status = 'accepted'"""
)

_LISTED = tuple(f for f in Round.__struct_fields__ if f not in ("launch_token", "draw", "outcome"))
LISTING = Listing(
    f"SELECT {', '.join(_LISTED)} FROM rounds",
    _LISTED,
    {
        "client_id": eq("client_id"),
        "player_id": eq("player_id"),
        "status": eq("status"),
        "game_id": eq("game_id"),
        "kind": eq("kind"),
        "engine_id": eq("engine_id"),
    },
    "created_at DESC, round_id",
    money=frozenset({"bet_per_line", "stake", "win", "jackpot_win", "balance_after"}),
)


# -- reads ----------------------------------------------------------------------------


def find(round_id: str) -> Flow[Round | None]:
    """One round, or None."""
    return (yield from fetch_one(Round, _BY_ID, round_id))


def history(session: GameSession, limit: int) -> Flow[list[Round]]:
    """The last rounds a game session may show: the player's (real money), or the
    session's own (demo), newest first."""
    if session.demo:
        return (yield from fetch_all(Round, _HISTORY_SESSION, session.launch_token, limit))
    return (
        yield from fetch_all(Round, _HISTORY_PLAYER, session.client_id, session.player_id, limit)
    )


def count_by_status() -> Flow[list[tuple[str, int]]]:
    """Rounds by status (for metrics)."""
    counts = yield from fetch_all(_StatusCount, _BY_STATUS)
    return [(c.status.value, c.rounds) for c in counts]


def by_engine_round(engine_id: str, engine_round_id: str) -> Flow[Round | None]:
    """The round a remote engine opened under its own id (locked), or None."""
    return (yield from fetch_one(Round, _BY_ENGINE_ROUND, engine_id, engine_round_id))


def accepted_gauges(*, older_than: int) -> Flow[tuple[int, int | None]]:
    """Remote rounds still waiting for their engine's outcome: how many were accepted
    before ``older_than`` (microseconds), and when the oldest was accepted (or None)."""
    row = yield from fetch_one(_Accepted, _ACCEPTED, older_than)
    return (0, None) if row is None else (row.stale, row.oldest_at)


# -- moves ----------------------------------------------------------------------------


def locked(round_id: str) -> Flow[Round]:
    """A round by our own id, locked for a move (it must exist)."""
    found = yield from fetch_one(Round, _BY_ID_LOCKED, round_id)
    if found is None:
        raise LookupError(f"no round {round_id}")  # our own id: a bug, not input
    return found


def move(
    r: Round,
    event: RoundEvent,
    *,
    now: int,
    code: str | None = None,
    message: str | None = None,
    balance: int | None = None,
) -> Flow[RoundStatus]:
    """Move ``r`` by ``event`` (the state machine decides where); its new status."""
    status = advance(r.status, event)
    yield run(_MOVE, status.value, code, message, balance, now, r.round_id, r.status.value)
    return status


def _new_round(
    session: GameSession,
    *,
    round_id: str,
    kind: RoundKind,
    status: RoundStatus,
    campaign_id: str | None,
    bet_per_line: int,
    stake: int,
    now: int,
    engine: EngineRef | None = None,
    result: Outcome | None = None,
    balance_after: int | None = None,
) -> Round:
    return Round(
        round_id=round_id,
        launch_token=session.launch_token,
        client_id=session.client_id,
        session_id=session.session_id,
        player_id=session.player_id,
        currency=session.currency,
        game_id=session.game_id,
        kind=kind,
        campaign_id=campaign_id,
        bet_per_line=bet_per_line,
        stake=stake,
        bet_transaction_id=f"{round_id}:bet",
        status=status,
        error_code=None,
        error_message=None,
        draw=None if result is None else json.dumps(result.draw),
        outcome=None if result is None else json.dumps(result.outcome),
        win=None if result is None else result.win,
        jackpot_level=None,
        jackpot_win=None,
        balance_after=balance_after,
        created_at=now,
        updated_at=now,
        engine_id=None if engine is None else engine.engine_id,
        engine_round_id=None if engine is None else engine.engine_round_id,
        engine_bet_id=None if engine is None else engine.bet_id,
    )


def begin(
    launch_token: str,
    *,
    round_id: str,
    bet_per_line: int,
    stake_of: dict[int, int],
    now: int,
    lease_us: int,
    engine: EngineRef | None = None,
) -> Flow[Ticket]:
    """Open a real-money round and store its bet in the outbox, ready to send.

    A playable freespin campaign of this player for this game and currency comes first:
    the round plays at the campaign's stake with a ``freespin`` bet of 0 (B17).

    Args:
        launch_token: the game session.
        round_id: the new round's id.
        bet_per_line: the stake the player chose.
        stake_of: the game's total stake for each of its bets per line.
        now: the time, in microseconds.
        lease_us: how long the round may hold the session and its bet stay unanswered.
        engine: who opened a remote engine's round.

    Raises:
        SessionGone, SpinInProgress: the session can't play now.
        BadStake: the stake (or the campaign's) is not one of the game's.
        RoundConflict: the engine's round id was taken meanwhile (nothing is written).
    """
    session = yield from sessions.take_for_round(launch_token, round_id, now=now, lease_us=lease_us)
    campaign = yield from campaigns.playable(
        session.client_id, session.player_id, session.game_id, session.currency, now=now, lock=True
    )
    kind, campaign_id = RoundKind.REAL, None
    if campaign is not None:
        kind, campaign_id, bet_per_line = (
            RoundKind.FREESPIN,
            campaign.new_campaign_id,
            campaign.bet_per_line,
        )
        yield from campaigns.take_spin(campaign.new_campaign_id)
    if bet_per_line not in stake_of:
        raise BadStake("the stake is not one of the game's stake levels")
    stake = stake_of[bet_per_line]
    new = _new_round(
        session,
        round_id=round_id,
        kind=kind,
        status=RoundStatus.BETTING,
        campaign_id=campaign_id,
        bet_per_line=bet_per_line,
        stake=stake,
        now=now,
        engine=engine,
    )
    bet_tx = new.bet_transaction_id
    yield from add(new)
    body = encode_wallet_request(
        Bet(
            type=BetType.FREESPIN if kind is RoundKind.FREESPIN else BetType.BET,
            session_id=session.session_id,
            amount=0 if kind is RoundKind.FREESPIN else stake,
            transaction_id=bet_tx,
            round_id=round_id,
            game_id=session.game_id,
        )
    )
    bet = yield from outbox.add(
        OutboxKind.BET,
        client_id=session.client_id,
        round_id=round_id,
        transaction_id=bet_tx,
        body=body,
        now=now,
        lease_us=lease_us,
    )
    return Ticket(new, bet, session)


def add(new: Round) -> Flow[None]:
    """Store a new round.

    Raises:
        RoundConflict: a remote round whose engine round id is taken (the caller's
            transaction is rolled back; it reads the stored round instead).
    """
    if new.engine_id is None:
        yield run(_INSERT, *params(new))
        return
    inserted = yield value(_INSERT_REMOTE, *params(new))
    if inserted is None:
        raise RoundConflict(f"engine round {new.engine_round_id!r} is already open")


def bet_refused(round_id: str, *, code: str, message: str, now: int) -> Flow[bool]:
    """A known bet error: the round is rejected, nothing is owed, a freespin is kept.

    Returns False if the round had already moved on (the relay refunded it meanwhile).
    """
    r = yield from locked(round_id)
    if not allowed(r.status, RoundEvent.BET_REFUSED):
        return False
    yield from outbox.bet_answered(
        r.client_id, r.bet_transaction_id, accepted=False, note=f"{code}: {message}", now=now
    )
    yield from move(r, RoundEvent.BET_REFUSED, now=now, code=code, message=message)
    if r.campaign_id is not None:
        yield from campaigns.give_back_spin(r.campaign_id)
    yield from sessions.release(r.launch_token, round_id, balance=None)
    return True


def bet_unknown(round_id: str, *, reason: str, now: int, lease_us: int) -> Flow[Delivery | None]:
    """The bet's fate is unknown: write its refund to the outbox (B15).

    Returns the refund to send, or None if the round already left ``betting``.
    """
    r = yield from locked(round_id)
    if not allowed(r.status, RoundEvent.BET_UNKNOWN):
        return None
    yield from outbox.bet_answered(
        r.client_id, r.bet_transaction_id, accepted=False, note=reason, now=now
    )
    yield from move(r, RoundEvent.BET_UNKNOWN, now=now, code="UNKNOWN_ERROR", message=UNKNOWN_ERROR)
    return (yield from refund(r, now=now, lease_us=lease_us))


def orphaned(bet: OutboxEntry, *, reason: str, now: int, lease_us: int) -> Flow[Delivery | None]:
    """The relay found a bet whose sender died before storing the answer (B15)."""
    return (yield from bet_unknown(bet.round_id, reason=reason, now=now, lease_us=lease_us))


def refund(r: Round, *, now: int, lease_us: int) -> Flow[Delivery]:
    """Write the refund of ``r``'s bet to the outbox, give a freespin back, free the
    session (the caller has moved the round to ``refunding``)."""
    if r.campaign_id is not None:
        yield from campaigns.give_back_spin(r.campaign_id)
    body = encode_wallet_request(
        Refund(
            session_id=r.session_id,
            transaction_id=r.bet_transaction_id,
            round_id=r.round_id,
            game_id=r.game_id,
        )
    )
    delivery = yield from outbox.add(
        OutboxKind.REFUND,
        client_id=r.client_id,
        round_id=r.round_id,
        transaction_id=r.bet_transaction_id,
        body=body,
        now=now,
        lease_us=lease_us,
    )
    yield from sessions.release(r.launch_token, r.round_id, balance=None)
    return delivery


def store_outcome(
    round_id: str,
    result: Outcome,
    *,
    bet_balance: int | None,
    now: int,
    lease_us: int,
    jackpot: JackpotPayer | None = None,
) -> Flow[list[Delivery] | None]:
    """Store a round's outcome and the win row(s) that pay it (B16).

    From ``betting`` (the bet was just accepted: ``bet_balance`` is its answer) or from
    ``accepted`` (a remote engine's outcome). ``jackpot`` feeds the pools with the stake
    and pays the level drawn for this round, in this same transaction.

    Returns the deliveries to send now, or None if the round can no longer take an
    outcome (the relay refunded it after this process's lease ran out).
    """
    r = yield from locked(round_id)
    if not allowed(r.status, RoundEvent.OUTCOME_STORED):
        return None
    if r.status is RoundStatus.BETTING:
        note = f"balance {bet_balance}"
        yield from outbox.bet_answered(
            r.client_id, r.bet_transaction_id, accepted=True, note=note, now=now
        )
    yield from record_outcome(r, result, balance=bet_balance, now=now)
    win_type = WinType.FREESPIN if r.kind is RoundKind.FREESPIN else WinType.WIN
    deliveries = [(yield from _win(r, f"{round_id}:win", win_type, result.win, now, lease_us))]
    yield from sessions.release(r.launch_token, round_id, balance=bet_balance)
    # The jackpot pools last: every real round of the currency waits for their locks
    # (PostgreSQL), so they are held for the fewest statements before the commit.
    if jackpot is not None and r.kind is RoundKind.REAL:
        level, paid = yield from jackpot(r, now=now)
        if paid is not None:
            yield run(_STORE_JACKPOT, level, paid, round_id)
            deliveries.append(
                (yield from _win(r, f"{round_id}:jackpot", WinType.JACKPOT, paid, now, lease_us))
            )
    return deliveries


def record_outcome(r: Round, result: Outcome, *, balance: int | None, now: int) -> Flow[Round]:
    """Write a round's outcome (``OUTCOME_STORED``); the round as it now is."""
    status = advance(r.status, RoundEvent.OUTCOME_STORED)
    yield run(
        _STORE_OUTCOME,
        status.value,
        json.dumps(result.draw),
        json.dumps(result.outcome),
        result.win,
        result.jackpot_level,
        result.jackpot_win,
        balance,
        now,
        r.round_id,
        r.status.value,
    )
    return msgspec.structs.replace(
        r,
        status=status,
        draw=json.dumps(result.draw),
        outcome=json.dumps(result.outcome),
        win=result.win,
        jackpot_level=result.jackpot_level,
        jackpot_win=result.jackpot_win,
        balance_after=r.balance_after if balance is None else balance,
        updated_at=now,
    )


class JackpotPayer(Protocol):
    """Feeds the pools with a real round's stake and pays its jackpot, if it hit one:
    ``(level name, amount paid)`` or ``(None, None)``."""

    def __call__(self, r: Round, *, now: int) -> Flow[tuple[str | None, int | None]]: ...


def _win(r: Round, tx: str, kind: WinType, amount: int, now: int, lease_us: int) -> Flow[Delivery]:
    body = encode_wallet_request(
        Win(
            type=kind,
            session_id=r.session_id,
            amount=amount,
            transaction_id=tx,
            round_id=r.round_id,
            game_id=r.game_id,
        )
    )
    return (
        yield from outbox.add(
            OutboxKind.WIN,
            client_id=r.client_id,
            round_id=r.round_id,
            transaction_id=tx,
            body=body,
            now=now,
            lease_us=lease_us,
        )
    )


def delivered(delivery: Delivery, *, balance: int, now: int) -> Flow[None]:
    """A win or refund landed (outbox hook): close the round when it was the last."""
    r = yield from locked(delivery.round_id)
    if delivery.kind is OutboxKind.REFUND:
        yield from move(r, RoundEvent.REFUND_DELIVERED, now=now, balance=balance)
    elif (yield from outbox.undelivered_wins(r.round_id)) == 0:
        yield from move(r, RoundEvent.WINS_DELIVERED, now=now, balance=balance)
    yield from sessions.set_balance(r.launch_token, balance)


def demo(
    launch_token: str,
    *,
    round_id: str,
    bet_per_line: int,
    stake: int,
    result: Outcome,
    now: int,
) -> Flow[int]:
    """Play a demo round against the session's virtual balance; the new balance.

    Raises:
        SessionGone, SpinInProgress: the session can't play now.
        BadStake: the virtual balance does not cover the stake.
    """
    session = yield from sessions.locked_live(launch_token, now)
    balance = session.balance or 0
    if stake > balance:
        raise BadStake("Insufficient balance")
    balance = balance - stake + result.win
    new = _new_round(
        session,
        round_id=round_id,
        kind=RoundKind.DEMO,
        status=RoundStatus.SETTLED,
        campaign_id=None,
        bet_per_line=bet_per_line,
        stake=stake,
        now=now,
        result=result,
        balance_after=balance,
    )
    yield from add(new)
    yield from sessions.set_balance(launch_token, balance)
    return balance
