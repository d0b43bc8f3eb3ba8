"""The ``game_sessions`` table: launched games, keyed by their launch token.

``launch_token`` is the unguessable secret of the launch URL; the aggregator's
``session_id`` is stored and sent back on every wallet call, never shown. One round at a
time per session: a round marks the session busy (``busy_round`` until ``busy_until``,
the spin lease) and frees it when its bet's fate is stored.
"""

from __future__ import annotations

import msgspec

from reelbridge.provider.errors import SessionGone, SpinInProgress
from reelbridge.storage import Flow, Sql, run, value
from reelbridge.storage.listing import Listing, eq
from reelbridge.storage.rows import columns, fetch_one, insert, params


class GameSession(msgspec.Struct, frozen=True, array_like=True):
    """A launched game session (a demo one has no wallet session and a virtual balance)."""

    launch_token: str
    client_id: str
    session_id: str
    player_id: str
    currency: str
    game_id: str
    language: str
    return_url: str
    demo: bool
    balance: int | None  # demo: the virtual balance; real: the last balance the wallet gave
    busy_round: str | None
    busy_until: int
    created_at: int
    expires_at: int

    def live(self, now: int) -> bool:
        """Whether the session can still be played at ``now``."""
        return now < self.expires_at


_SESSION = Sql.of(f"SELECT {columns(GameSession)} FROM game_sessions WHERE launch_token = ?")
_SESSION_LOCKED = Sql.of(
    f"SELECT {columns(GameSession)} FROM game_sessions WHERE launch_token = ? {{lock}}"
)
_INSERT = insert("game_sessions", GameSession)
_BUSY = Sql.of("UPDATE game_sessions SET busy_round = ?, busy_until = ? WHERE launch_token = ?")
_FREE = Sql.of(
    """UPDATE game_sessions SET busy_round = NULL, busy_until = 0,
              balance = COALESCE(?, balance)
        WHERE launch_token = ? AND (busy_round = ? OR busy_round IS NULL)"""
)
_BALANCE = Sql.of("UPDATE game_sessions SET balance = ? WHERE launch_token = ?")
_TAKE_VIRTUAL = Sql.of(
    """UPDATE game_sessions SET balance = balance - ?
        WHERE launch_token = ? AND demo = 1 AND balance >= ? RETURNING balance"""
)
_ADD_VIRTUAL = Sql.of(
    """UPDATE game_sessions SET balance = balance + ?
        WHERE launch_token = ? AND demo = 1 RETURNING balance"""
)

LISTING = Listing(
    """SELECT client_id, player_id, currency, game_id, language, demo, balance,
              busy_round, created_at, expires_at FROM game_sessions""",
    (
        "client_id",
        "player_id",
        "currency",
        "game_id",
        "language",
        "demo",
        "balance",
        "busy_round",
        "created_at",
        "expires_at",
    ),
    {"client_id": eq("client_id"), "player_id": eq("player_id"), "game_id": eq("game_id")},
    "created_at DESC",
    money=frozenset({"balance"}),
)


def create(session: GameSession) -> Flow[None]:
    """Store a launched game session."""
    yield run(_INSERT, *params(session))


def find(launch_token: str) -> Flow[GameSession | None]:
    """The session of a launch token, or None (no lock: for reads)."""
    return (yield from fetch_one(GameSession, _SESSION, launch_token))


def live(launch_token: str, now: int) -> Flow[GameSession]:
    """The session, if it can be played now.

    Raises:
        SessionGone: unknown or expired.
    """
    session = yield from find(launch_token)
    if session is None or not session.live(now):
        raise SessionGone("this game session is unknown or expired: launch the game again")
    return session


def locked_live(launch_token: str, now: int) -> Flow[GameSession]:
    """The session, locked (PostgreSQL), if it can be played now and no round holds it.

    Raises:
        SessionGone: unknown or expired.
        SpinInProgress: another round holds it (and its lease is still running).
    """
    session = yield from fetch_one(GameSession, _SESSION_LOCKED, launch_token)
    if session is None or not session.live(now):
        raise SessionGone("this game session is unknown or expired: launch the game again")
    if session.busy_round is not None and session.busy_until > now:
        raise SpinInProgress("the previous spin has not finished")
    return session


def take_for_round(
    launch_token: str, round_id: str, *, now: int, lease_us: int
) -> Flow[GameSession]:
    """Lock the session and mark it busy with ``round_id`` until the lease runs out.

    Raises:
        SessionGone: unknown or expired.
        SpinInProgress: another round holds it (and its lease is still running).
    """
    session = yield from locked_live(launch_token, now)
    yield run(_BUSY, round_id, now + lease_us, launch_token)
    return session


def release(launch_token: str, round_id: str, *, balance: int | None) -> Flow[None]:
    """Free the session from ``round_id`` (if it still holds it), noting a balance."""
    yield run(_FREE, balance, launch_token, round_id)


def set_balance(launch_token: str, balance: int) -> Flow[None]:
    """Note the balance the wallet (or the demo) last gave."""
    yield run(_BALANCE, balance, launch_token)


def take_virtual(launch_token: str, amount: int) -> Flow[int | None]:
    """Take ``amount`` from a demo session's virtual balance, in one statement (no
    lost update between concurrent rounds); the new balance, or None if it is short."""
    balance = yield value(_TAKE_VIRTUAL, amount, launch_token, amount)
    return None if balance is None else int(balance)


def add_virtual(launch_token: str, amount: int) -> Flow[int]:
    """Add ``amount`` to a demo session's virtual balance; the new balance."""
    balance = yield value(_ADD_VIRTUAL, amount, launch_token)
    if balance is None:
        raise LookupError(f"no demo session {launch_token[:8]}…")  # our own row: a bug
    return int(balance)
