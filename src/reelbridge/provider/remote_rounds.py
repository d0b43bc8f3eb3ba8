"""The moves of rounds that a remote game engine drives (PROTOCOL.md B14–B16).

A remote round opens like any real round (``rounds.begin`` stores it with its bet, and
the bet is sent once), but its outcome is the engine's. When the wallet takes the bet
the round waits ``accepted`` (``bet_accepted``) until the engine reports the outcome
(``rounds.store_outcome``, through ``SpinService.settle``: the jackpot draw and the win
rows come with it) or voids the round (``engine_voided``: the bet is refunded through
the outbox). An accepted round is never refunded behind the engine's back: the engine
may already have shown its outcome to the player.

A demo session of a remote game plays the same way against its virtual balance, and
never meets the wallet: ``demo_open`` takes the stake (or stores a rejected round when
the balance is short), ``demo_settle`` and ``demo_void`` pay the win or give the stake
back, each move one transaction (see ``states.py``).

``same_open`` and ``same_settle`` tell a repeated request (answered from storage) from
another request under a used engine round id (a conflict).
"""

from __future__ import annotations

from typing import Any

import msgspec

from reelbridge.provider import outbox, rounds, sessions
from reelbridge.provider.outbox import Delivery
from reelbridge.provider.rounds import EngineRef, Outcome, Round
from reelbridge.provider.states import RoundEvent, RoundKind, RoundStatus, allowed
from reelbridge.storage import Flow

INSUFFICIENT = ("INSUFFICIENT_BALANCE", "Insufficient balance")


def same_open(r: Round, launch_token: str, bet_id: int) -> bool:
    """Whether an open request repeats the one that opened ``r``."""
    return (r.launch_token, r.engine_bet_id) == (launch_token, bet_id)


def same_settle(r: Round, win: int, outcome: dict[str, Any]) -> bool:
    """Whether a settle request repeats the outcome stored for ``r`` (the JSON value,
    not its spelling: key order and spacing don't matter)."""
    return r.win == win and r.decoded_outcome() == outcome


def bet_accepted(round_id: str, *, balance: int, now: int) -> Flow[Round | None]:
    """The wallet took a remote round's bet: the round waits for the engine's outcome.

    Returns the round, or None if it had moved on meanwhile (the relay refunded it
    after its lease ran out: the bet is being undone).
    """
    r = yield from rounds.locked(round_id)
    if not allowed(r.status, RoundEvent.BET_ACCEPTED):
        return None
    yield from outbox.bet_answered(
        r.client_id, r.bet_transaction_id, accepted=True, note=f"balance {balance}", now=now
    )
    yield from rounds.move(r, RoundEvent.BET_ACCEPTED, now=now, balance=balance)
    yield from sessions.release(r.launch_token, round_id, balance=balance)
    return (yield from rounds.find(round_id))


def engine_voided(round_id: str, *, reason: str, now: int, lease_us: int) -> Flow[Delivery | None]:
    """The engine cancelled an accepted round before its outcome: refund the bet.

    Returns the refund to send, or None if the round is not ``accepted``.
    """
    r = yield from rounds.locked(round_id)
    if not allowed(r.status, RoundEvent.ENGINE_VOIDED):
        return None
    yield from rounds.move(
        r, RoundEvent.ENGINE_VOIDED, now=now, code="VOIDED", message=reason[:200] or "Voided"
    )
    return (yield from rounds.refund(r, now=now, lease_us=lease_us))


def demo_open(
    launch_token: str,
    *,
    round_id: str,
    engine: EngineRef,
    bet_per_line: int,
    stake: int,
    now: int,
) -> Flow[Round]:
    """Open a remote demo round: take the stake from the virtual balance; the round
    (``accepted``, or ``rejected`` with ``INSUFFICIENT_BALANCE`` when it is short).

    Raises:
        SessionGone: the session is unknown or expired.
        RoundConflict: the engine round id is taken (nothing is written).
    """
    session = yield from sessions.live(launch_token, now)
    balance = yield from sessions.take_virtual(launch_token, stake)
    taken = balance is not None
    new = Round(
        round_id=round_id,
        launch_token=launch_token,
        client_id=session.client_id,
        session_id=session.session_id,
        player_id=session.player_id,
        currency=session.currency,
        game_id=session.game_id,
        kind=RoundKind.DEMO,
        campaign_id=None,
        bet_per_line=bet_per_line,
        stake=stake,
        bet_transaction_id=f"{round_id}:bet",
        status=RoundStatus.ACCEPTED if taken else RoundStatus.REJECTED,
        error_code=None if taken else INSUFFICIENT[0],
        error_message=None if taken else INSUFFICIENT[1],
        draw=None,
        outcome=None,
        win=None,
        jackpot_level=None,
        jackpot_win=None,
        balance_after=balance if taken else session.balance,
        created_at=now,
        updated_at=now,
        engine_id=engine.engine_id,
        engine_round_id=engine.engine_round_id,
        engine_bet_id=engine.bet_id,
    )
    yield from rounds.add(new)
    return new


def demo_settle(round_id: str, result: Outcome, *, now: int) -> Flow[Round | None]:
    """Pay an accepted demo round's win into the virtual balance: ``settled`` at once.

    Returns the round, or None if it is not ``accepted``.
    """
    r = yield from rounds.locked(round_id)
    if not allowed(r.status, RoundEvent.OUTCOME_STORED):
        return None
    balance = yield from sessions.add_virtual(r.launch_token, result.win)
    stored = yield from rounds.record_outcome(r, result, balance=balance, now=now)
    yield from rounds.move(stored, RoundEvent.WINS_DELIVERED, now=now, balance=balance)
    return (yield from rounds.find(round_id))


def demo_void(round_id: str, *, reason: str, now: int) -> Flow[Round | None]:
    """Give an accepted demo round's stake back: ``refunded`` at once.

    Returns the round, or None if it is not ``accepted``.
    """
    r = yield from rounds.locked(round_id)
    if not allowed(r.status, RoundEvent.ENGINE_VOIDED):
        return None
    balance = yield from sessions.add_virtual(r.launch_token, r.stake)
    refunding = yield from rounds.move(
        r,
        RoundEvent.ENGINE_VOIDED,
        now=now,
        code="VOIDED",
        message=reason[:200] or "Voided",
        balance=balance,
    )
    moved = msgspec.structs.replace(r, status=refunding)
    yield from rounds.move(moved, RoundEvent.REFUND_DELIVERED, now=now, balance=balance)
    return (yield from rounds.find(round_id))
