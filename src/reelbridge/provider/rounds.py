"""Units of work of a spin and of the outbox (PROTOCOL.md B14–B16, DESIGN "A spin").

Theory of operation. A real-money round moves through these states; every move is one
transaction that also writes the outbox rows it implies, so a crash at any point leaves
a state the relay knows how to finish:

=============  ==============================================  ==========================
state          reached by                                      left by
=============  ==============================================  ==========================
betting        ``begin_spin``: round + bet row ('sending')     settle / reject / refund
rejected       ``reject_spin``: a known error, nothing owed    (final)
settling       ``settle_spin``: outcome stored, win row(s)     all wins delivered
settled        ``delivered``: the last win row succeeded       (final)
refunding      ``refund_spin``: refund row written             the refund delivered
refunded       ``delivered``: the refund succeeded             (final)
=============  ==============================================  ==========================

A bet row still 'sending' once its lease has expired belongs to a process that died (or
hung) before storing the answer: ``stale_bets`` finds it and the relay refunds it (B15).
Wins and refunds stay 'pending' until delivered and are resent with the same bytes (B14).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reelbridge.config import JackpotLevel
from reelbridge.protocol import (
    Bet,
    BetType,
    Refund,
    Win,
    WinType,
    encode_wallet_request,
)
from reelbridge.provider.errors import BadStake, SessionGone, SpinInProgress
from reelbridge.storage import Flow, Sql, every, one, run, value

_SESSION = Sql.of(
    """SELECT launch_token, client_id, session_id, player_id, currency, game_id, language,
              return_url, demo, balance, busy_round, busy_until, expires_at
         FROM game_sessions WHERE launch_token = ? {lock}"""
)
_CAMPAIGN_FOR_SPIN = Sql.of(
    """SELECT new_campaign_id, bet_per_line, remaining FROM campaigns
        WHERE client_id = ? AND player_id = ? AND game_id = ? AND currency = ?
          AND status = 'active' AND remaining > 0 AND valid_from <= ? AND valid_until > ?
        ORDER BY valid_until, new_campaign_id LIMIT 1 {lock}"""
)
_TAKE_SPIN = Sql.of("UPDATE campaigns SET remaining = remaining - 1 WHERE new_campaign_id = ?")
_GIVE_BACK_SPIN = Sql.of("UPDATE campaigns SET remaining = remaining + 1 WHERE new_campaign_id = ?")
_INSERT_ROUND = Sql.of(
    """INSERT INTO rounds (round_id, launch_token, client_id, session_id, player_id, currency,
              game_id, kind, campaign_id, bet_per_line, stake, bet_transaction_id, status,
              draw, outcome, win, balance_after, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
)
_ROUND = Sql.of(
    """SELECT round_id, launch_token, client_id, session_id, game_id, kind, campaign_id,
              bet_transaction_id, status, bet_per_line
         FROM rounds WHERE round_id = ? {lock}"""
)
_INSERT_OUTBOX = Sql.of(
    """INSERT INTO outbox (client_id, round_id, kind, transaction_id, body, status, attempts,
              next_attempt_at, lease_until, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"""
)
_BUSY = Sql.of("UPDATE game_sessions SET busy_round = ?, busy_until = ? WHERE launch_token = ?")
_FREE = Sql.of(
    """UPDATE game_sessions SET busy_round = NULL, busy_until = 0,
              balance = COALESCE(?, balance)
        WHERE launch_token = ? AND (busy_round = ? OR busy_round IS NULL)"""
)
_BET_DONE = Sql.of(
    """UPDATE outbox SET status = ?, reply = ?, last_error = ?, delivered_at = ?
        WHERE client_id = ? AND kind = 'bet' AND transaction_id = ?"""
)
_ROUND_SETTLING = Sql.of(
    """UPDATE rounds SET status = 'settling', draw = ?, outcome = ?, win = ?, jackpot_level = ?,
              jackpot_win = ?, balance_after = ?, updated_at = ?
        WHERE round_id = ?"""
)
_ROUND_STATUS = Sql.of(
    """UPDATE rounds SET status = ?, error_code = ?, error_message = ?, updated_at = ?
        WHERE round_id = ?"""
)
_ROUND_BALANCE = Sql.of(
    "UPDATE rounds SET status = ?, balance_after = ?, updated_at = ? WHERE round_id = ?"
)
_POOL_ENSURE = Sql.of(
    """INSERT INTO jackpot_pools (level, currency, amount, seed, updated_at)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT (level, currency) DO NOTHING"""
)
_POOL_FEED = Sql.of(
    """UPDATE jackpot_pools SET amount = amount + ?, contributed = contributed + ?,
              updated_at = ? WHERE level = ? AND currency = ?"""
)
_POOL_AMOUNT = Sql.of(
    "SELECT amount, seed FROM jackpot_pools WHERE level = ? AND currency = ? {lock}"
)
_POOL_HIT = Sql.of(
    """UPDATE jackpot_pools SET amount = seed, paid = paid + ?, hits = hits + 1, updated_at = ?
        WHERE level = ? AND currency = ?"""
)
_CLAIM = Sql.of(
    """UPDATE outbox SET lease_until = ?
        WHERE id IN (SELECT id FROM outbox
                      WHERE status = 'pending' AND next_attempt_at <= ? AND lease_until < ?
                      ORDER BY next_attempt_at, id LIMIT ? {skip})
       RETURNING id, client_id, round_id, kind, transaction_id, body, attempts"""
)
_OUTBOX_ROW = Sql.of("SELECT status, kind, round_id, attempts FROM outbox WHERE id = ? {lock}")
_DELIVERED = Sql.of(
    """UPDATE outbox SET status = 'delivered', attempts = attempts + 1, reply = ?,
              delivered_at = ?, lease_until = 0 WHERE id = ?"""
)
_FAILED = Sql.of(
    """UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
              lease_until = 0 WHERE id = ?"""
)
_PENDING_WINS = Sql.of(
    "SELECT count(*) FROM outbox WHERE round_id = ? AND kind = 'win' AND status <> 'delivered'"
)
_STALE_BETS = Sql.of(
    """SELECT round_id FROM outbox WHERE kind = 'bet' AND status = 'sending' AND lease_until < ?
        ORDER BY id LIMIT ?"""
)
_SESSION_BALANCE = Sql.of("UPDATE game_sessions SET balance = ? WHERE launch_token = ?")


@dataclass(frozen=True, slots=True)
class GameSession:
    """A launched game session."""

    launch_token: str
    client_id: str
    session_id: str
    player_id: str
    currency: str
    game_id: str
    language: str
    return_url: str
    demo: bool
    balance: int | None
    busy_round: str | None
    busy_until: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class SpinTicket:
    """A round whose bet is stored and about to be sent."""

    round_id: str
    kind: str  # 'real' or 'freespin'
    bet_per_line: int
    stake: int
    bet_transaction_id: str
    body: bytes
    campaign_id: str | None
    session: GameSession


@dataclass(frozen=True, slots=True)
class Delivery:
    """An outbox row to send: the exact bytes and where they belong."""

    outbox_id: int
    client_id: str
    round_id: str
    kind: str
    transaction_id: str
    body: bytes
    attempts: int


def session(launch_token: str) -> Flow[GameSession | None]:
    """The game session of a launch token (locked on PostgreSQL), or None."""
    row = yield one(_SESSION, launch_token)
    if row is None:
        return None
    token, client_id, session_id, player_id, currency, game_id, language, return_url = row[:8]
    demo, balance, busy_round, busy_until, expires_at = row[8:]
    return GameSession(
        token,
        client_id,
        session_id,
        player_id,
        currency,
        game_id,
        language,
        return_url,
        bool(demo),
        balance,
        busy_round,
        int(busy_until),
        int(expires_at),
    )


def _live_session(launch_token: str, now: int) -> Flow[GameSession]:
    s = yield from session(launch_token)
    if s is None or now >= s.expires_at:
        raise SessionGone("this game session is unknown or expired: launch the game again")
    if s.busy_round is not None and s.busy_until > now:
        raise SpinInProgress("the previous spin has not finished")
    return s


def begin_spin(
    launch_token: str,
    *,
    bet_per_line: int,
    stake: int,
    round_id: str,
    now: int,
    lease_us: int,
    stake_of: dict[int, int],
) -> Flow[SpinTicket]:
    """Open a real-money round and store its bet in the outbox, ready to send.

    A freespin campaign of this player for this game and currency takes precedence:
    the round plays at the campaign's stake with a ``freespin`` bet of 0 (B17).
    ``stake_of`` maps each of the game's bets per line to its total stake.
    """
    s = yield from _live_session(launch_token, now)
    campaign = yield one(
        _CAMPAIGN_FOR_SPIN, s.client_id, s.player_id, s.game_id, s.currency, now, now
    )
    kind, campaign_id, amount = "real", None, stake
    if campaign is not None:
        kind, campaign_id, bet_per_line = "freespin", campaign[0], int(campaign[1])
        if bet_per_line not in stake_of:
            raise BadStake("the campaign's stake is not offered by this game")
        stake, amount = stake_of[bet_per_line], 0
        yield run(_TAKE_SPIN, campaign_id)
    bet_tx = f"{round_id}:bet"
    body = encode_wallet_request(
        Bet(
            type=BetType.FREESPIN if kind == "freespin" else BetType.BET,
            session_id=s.session_id,
            amount=amount,
            transaction_id=bet_tx,
            round_id=round_id,
            game_id=s.game_id,
        )
    )
    yield run(
        _INSERT_ROUND,
        round_id,
        launch_token,
        s.client_id,
        s.session_id,
        s.player_id,
        s.currency,
        s.game_id,
        kind,
        campaign_id,
        bet_per_line,
        stake,
        bet_tx,
        "betting",
        None,
        None,
        None,
        None,
        now,
        now,
    )
    yield value(
        _INSERT_OUTBOX,
        s.client_id,
        round_id,
        "bet",
        bet_tx,
        body.decode(),
        "sending",
        1,
        now,
        now + lease_us,
        now,
    )
    yield run(_BUSY, round_id, now + lease_us, launch_token)
    return SpinTicket(round_id, kind, bet_per_line, stake, bet_tx, body, campaign_id, s)


def demo_spin(
    launch_token: str,
    *,
    round_id: str,
    bet_per_line: int,
    stake: int,
    win: int,
    draw: Any,
    outcome: Any,
    now: int,
) -> Flow[int]:
    """Play a demo round against the session's virtual balance; returns the new balance.

    Raises:
        BadStake: the virtual balance does not cover the stake.
    """
    s = yield from _live_session(launch_token, now)
    balance = s.balance or 0
    if stake > balance:
        raise BadStake("Insufficient balance")
    balance = balance - stake + win
    yield run(
        _INSERT_ROUND,
        round_id,
        launch_token,
        s.client_id,
        s.session_id,
        s.player_id,
        s.currency,
        s.game_id,
        "demo",
        None,
        bet_per_line,
        stake,
        f"{round_id}:bet",
        "settled",
        json.dumps(draw),
        json.dumps(outcome),
        win,
        balance,
        now,
        now,
    )
    yield run(_SESSION_BALANCE, balance, launch_token)
    return balance


def _lock_round(round_id: str) -> Flow[tuple[Any, ...]]:
    row = yield one(_ROUND, round_id)
    assert row is not None, round_id
    return tuple(row)


def _outbox(
    client_id: str, round_id: str, kind: str, tx: str, body: bytes, now: int, lease_us: int
) -> Flow[Delivery]:
    outbox_id = yield value(
        _INSERT_OUTBOX,
        client_id,
        round_id,
        kind,
        tx,
        body.decode(),
        "pending",
        0,
        now,
        now + lease_us,
        now,
    )
    return Delivery(int(outbox_id), client_id, round_id, kind, tx, body, 0)


@dataclass(frozen=True, slots=True)
class Settlement:
    """A drawn outcome to store, with its jackpot decision."""

    win: int
    draw: Any
    outcome: Any
    jackpot_hit: JackpotLevel | None
    levels: tuple[JackpotLevel, ...]


def settle_spin(
    ticket: SpinTicket, *, bet_balance: int, settlement: Settlement, now: int, lease_us: int
) -> Flow[tuple[list[Delivery], int | None] | None]:
    """Store the outcome of an accepted bet and the win row(s) that pay it (B16).

    Returns the deliveries to send now and the jackpot paid, or None if the round is no
    longer 'betting' (the relay already refunded it after this process's lease ran out).
    """
    row = yield from _lock_round(ticket.round_id)
    if row[8] != "betting":
        return None
    s = ticket.session
    yield run(
        _BET_DONE,
        "delivered",
        f"balance {bet_balance}",
        None,
        now,
        s.client_id,
        ticket.bet_transaction_id,
    )
    jackpot_win: int | None = None
    if ticket.kind == "real":
        for level in settlement.levels:
            share = ticket.stake * level.share_ppm // 1_000_000
            yield run(_POOL_ENSURE, level.name, s.currency, level.seed, level.seed, now)
            if share:
                yield run(_POOL_FEED, share, share, now, level.name, s.currency)
        if settlement.jackpot_hit is not None:
            level = settlement.jackpot_hit
            pool = yield one(_POOL_AMOUNT, level.name, s.currency)
            jackpot_win = int(pool[0])
            yield run(_POOL_HIT, jackpot_win, now, level.name, s.currency)
    win_type = WinType.FREESPIN if ticket.kind == "freespin" else WinType.WIN
    win_tx = f"{ticket.round_id}:win"
    body = encode_wallet_request(
        Win(
            type=win_type,
            session_id=s.session_id,
            amount=settlement.win,
            transaction_id=win_tx,
            round_id=ticket.round_id,
            game_id=s.game_id,
        )
    )
    deliveries = [
        (yield from _outbox(s.client_id, ticket.round_id, "win", win_tx, body, now, lease_us))
    ]
    if jackpot_win is not None and settlement.jackpot_hit is not None:
        jp_tx = f"{ticket.round_id}:jackpot"
        jp_body = encode_wallet_request(
            Win(
                type=WinType.JACKPOT,
                session_id=s.session_id,
                amount=jackpot_win,
                transaction_id=jp_tx,
                round_id=ticket.round_id,
                game_id=s.game_id,
            )
        )
        deliveries.append(
            (yield from _outbox(s.client_id, ticket.round_id, "win", jp_tx, jp_body, now, lease_us))
        )
    yield run(
        _ROUND_SETTLING,
        json.dumps(settlement.draw),
        json.dumps(settlement.outcome),
        settlement.win,
        None if settlement.jackpot_hit is None else settlement.jackpot_hit.name,
        jackpot_win,
        bet_balance,
        now,
        ticket.round_id,
    )
    yield run(_FREE, bet_balance, s.launch_token, ticket.round_id)
    return deliveries, jackpot_win


def reject_spin(ticket: SpinTicket, *, code: str, message: str, now: int) -> Flow[bool]:
    """A known bet error: the round is rejected, nothing is owed, a freespin is kept."""
    row = yield from _lock_round(ticket.round_id)
    if row[8] != "betting":
        return False
    s = ticket.session
    yield run(
        _BET_DONE, "failed", f"{code}: {message}", None, now, s.client_id, ticket.bet_transaction_id
    )
    yield run(_ROUND_STATUS, "rejected", code, message, now, ticket.round_id)
    if ticket.campaign_id is not None:
        yield run(_GIVE_BACK_SPIN, ticket.campaign_id)
    yield run(_FREE, None, s.launch_token, ticket.round_id)
    return True


def refund_spin(round_id: str, *, reason: str, now: int, lease_us: int) -> Flow[Delivery | None]:
    """The bet's fate is unknown: write its refund to the outbox (B15).

    Returns the refund to send, or None if the round already left 'betting'.
    """
    row = yield from _lock_round(round_id)
    _, launch_token, client_id, session_id, game_id, _, campaign_id, bet_tx, status, _ = row
    if status != "betting":
        return None
    yield run(_BET_DONE, "failed", None, reason[:500], now, client_id, bet_tx)
    yield run(_ROUND_STATUS, "refunding", "UNKNOWN_ERROR", "Unknown error", now, round_id)
    if campaign_id is not None:
        yield run(_GIVE_BACK_SPIN, campaign_id)
    body = encode_wallet_request(
        Refund(session_id=session_id, transaction_id=bet_tx, round_id=round_id, game_id=game_id)
    )
    delivery = yield from _outbox(client_id, round_id, "refund", bet_tx, body, now, lease_us)
    yield run(_FREE, None, launch_token, round_id)
    return delivery


def claim_due(*, now: int, lease_us: int, limit: int) -> Flow[list[Delivery]]:
    """Lease the wins and refunds due for sending (shared safely between relays)."""
    rows = yield every(_CLAIM, now + lease_us, now, now, limit)
    return [Delivery(int(r[0]), r[1], r[2], r[3], r[4], r[5].encode(), int(r[6])) for r in rows]


def delivered(delivery: Delivery, *, balance: int, now: int) -> Flow[None]:
    """A win or refund succeeded: close it and, if it was the last, its round."""
    row = yield one(_OUTBOX_ROW, delivery.outbox_id)
    if row is None or row[0] == "delivered":
        return
    yield run(_DELIVERED, f"balance {balance}", now, delivery.outbox_id)
    round_row = yield from _lock_round(delivery.round_id)
    launch_token = round_row[1]
    if delivery.kind == "refund":
        yield run(_ROUND_BALANCE, "refunded", balance, now, delivery.round_id)
    elif (yield value(_PENDING_WINS, delivery.round_id)) == 0:
        yield run(_ROUND_BALANCE, "settled", balance, now, delivery.round_id)
    yield run(_SESSION_BALANCE, balance, launch_token)


def failed(delivery: Delivery, *, error: str, next_attempt_at: int) -> Flow[None]:
    """A send failed: count it, remember why, schedule the next attempt."""
    yield run(_FAILED, error[:500], next_attempt_at, delivery.outbox_id)


def stale_bets(*, now: int, limit: int) -> Flow[list[str]]:
    """Rounds whose bet is still 'sending' after its lease: their sender is gone."""
    rows = yield every(_STALE_BETS, now, limit)
    return [str(r[0]) for r in rows]


def ensure_pools(
    levels: tuple[JackpotLevel, ...], currencies: frozenset[str], *, now: int
) -> Flow[None]:
    """Create every configured pool at its seed (so jackpots show before any stake)."""
    for currency in sorted(currencies):
        for level in levels:
            yield run(_POOL_ENSURE, level.name, currency, level.seed, level.seed, now)
