"""Units of work behind the admin API: clients, players, money, sessions, audit.

Every change writes an ``audit_log`` row (who, what, before, after, reason) in the
same transaction as the change itself. Token values never reach the audit log: only
their fingerprints do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from reelbridge._types import Units
from reelbridge.aggregator import limit_flows
from reelbridge.protocol import LEDGER_LIMIT
from reelbridge.storage import Flow, Sql, one, run, value
from reelbridge.storage.audit import audit, fingerprint
from reelbridge.storage.rows import columns, fetch_one
from reelbridge.tokens import TokenRefused, check_client_id, with_token, without_token
from reelbridge.web.errors import BadRequest, Conflict, NotFound

ADMIN_CLIENT = "@admin"

_CLIENT = Sql.of("SELECT tokens FROM clients WHERE client_id = ?")
_UPSERT_CLIENT = Sql.of(
    """INSERT INTO clients (client_id, tokens, created_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET tokens = excluded.tokens,
                                             updated_at = excluded.updated_at"""
)
_PLAYER = Sql.of("SELECT player_id FROM players WHERE player_id = ?")
_INSERT_PLAYER = Sql.of(
    "INSERT INTO players (player_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING"
)
_INSERT_ACCOUNT = Sql.of(
    """INSERT INTO accounts (kind, owner, currency, balance, created_at) VALUES (?, ?, ?, 0, ?)
       ON CONFLICT (kind, owner, currency) DO NOTHING"""
)


class _Account(msgspec.Struct, frozen=True, array_like=True):
    account_id: int
    balance: int


class _SessionRow(msgspec.Struct, frozen=True, array_like=True):
    status: str
    client_id: str
    player_id: str


_ACCOUNT = Sql.of(
    f"SELECT {columns(_Account)} FROM accounts WHERE kind = ? AND owner = ? AND currency = ? "
    "{lock}"
)
_INSERT_MONEY = Sql.of(
    """INSERT INTO transactions (client_id, transaction_id, is_refund, action, type,
              session_id, round_id, game_id, amount, account_id, outcome, message,
              debit_account, credit_account, moved, balance_after, created_at)
       VALUES (?, ?, 0, ?, ?, '', '', '', ?, ?, 'ok', ?, ?, ?, ?, ?, ?)
       ON CONFLICT (client_id, transaction_id, is_refund) DO NOTHING RETURNING id"""
)
_STORED_MONEY = Sql.of(
    """SELECT action, amount, account_id FROM transactions
        WHERE client_id = ? AND transaction_id = ? AND is_refund = 0"""
)
_SESSION = Sql.of(f"SELECT {columns(_SessionRow)} FROM sessions WHERE session_id = ?")
_INSERT_SESSION = Sql.of(
    """INSERT INTO sessions (session_id, client_id, player_id, currency, game_id, account_id,
                             status, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)"""
)
_CLOSE_SESSION = Sql.of("UPDATE sessions SET status = 'closed', closed_at = ? WHERE session_id = ?")


def _audit(
    actor: str, action: str, subject: str, before: Any, after: Any, reason: str, now: int
) -> Flow[None]:
    yield from audit(
        "audit_log",
        actor=actor,
        action=action,
        subject=subject,
        before=before,
        after=after,
        reason=reason,
        now=now,
    )


def client_tokens(client_id: str) -> Flow[tuple[str, ...] | None]:
    """The tokens of a client (first signs outgoing calls), or None if unknown."""
    raw = yield value(_CLIENT, client_id)
    return None if raw is None else tuple(json.loads(raw))


def upsert_client(
    client_id: str, tokens: list[str], *, actor: str, reason: str, now: int, key: bytes
) -> Flow[dict[str, Any]]:
    """Create a client or replace its tokens (``key``: of the audited fingerprints).

    Raises:
        BadRequest: a reserved client id (``@…``).
    """
    _check(lambda: check_client_id(client_id))
    before = yield from client_tokens(client_id)
    yield from _store_tokens(client_id, tuple(tokens), before, "client.upsert", actor, reason,
                             now, key)  # fmt: skip
    return {"client_id": client_id, "tokens": len(tokens), "created": before is None}


def add_token(
    client_id: str, token: str, *, primary: bool, actor: str, reason: str, now: int, key: bytes
) -> Flow[dict[str, Any]]:
    """Add a token to a client (last; first with ``primary``: it then signs).

    Raises:
        NotFound: no such client.
        Conflict: the client has the most tokens it may have.
    """
    before = yield from client_tokens(client_id)
    if before is None:
        raise NotFound(f"unknown client {client_id}")
    after = _check(lambda: with_token(before, token, primary=primary))
    yield from _store_tokens(client_id, after, before, "client.token_add", actor, reason, now, key)
    return {"client_id": client_id, "tokens": [fingerprint(t, key) for t in after]}


def retire_token(
    client_id: str,
    *,
    token: str | None,
    fp: str | None,
    actor: str,
    reason: str,
    now: int,
    key: bytes,
) -> Flow[dict[str, Any]]:
    """Retire one of a client's tokens, named by value or by fingerprint.

    Raises:
        NotFound: no such client or token.
        Conflict: it is the client's last token.
    """
    before = yield from client_tokens(client_id)
    if before is None:
        raise NotFound(f"unknown client {client_id}")
    after = _check(lambda: without_token(before, token=token, fp=fp, key=key))
    yield from _store_tokens(client_id, after, before, "client.token_retire", actor, reason,
                             now, key)  # fmt: skip
    return {"client_id": client_id, "tokens": [fingerprint(t, key) for t in after]}


def _store_tokens(
    client_id: str,
    tokens: tuple[str, ...],
    before: tuple[str, ...] | None,
    action: str,
    actor: str,
    reason: str,
    now: int,
    key: bytes,
) -> Flow[None]:
    yield run(_UPSERT_CLIENT, client_id, json.dumps(list(tokens)), now, now)
    yield from _audit(
        actor,
        action,
        client_id,
        None if before is None else {"tokens": [fingerprint(t, key) for t in before]},
        {"tokens": [fingerprint(t, key) for t in tokens]},
        reason,
        now,
    )


_R = TypeVar("_R")


def _check(rule: Callable[[], _R]) -> _R:
    """Run a rule of ``reelbridge.tokens``, its refusal as the admin API's error."""
    try:
        return rule()
    except TokenRefused as refused:
        error = {"conflict": Conflict, "not_found": NotFound}.get(refused.kind, BadRequest)
        raise error(refused.message) from None


def ensure_account(kind: str, owner: str, currency: str, now: int) -> Flow[tuple[int, Units]]:
    """The (locked) account of ``owner`` in ``currency``, created empty if missing (a
    new account of a blocked or self-excluded player is blocked or excluded too)."""
    yield run(_INSERT_ACCOUNT, kind, owner, currency, now)
    account = yield from fetch_one(_Account, _ACCOUNT, kind, owner, currency)
    assert account is not None  # inserted just above, or there before
    if kind == "player":
        yield from limit_flows.inherit(account.account_id, owner, now)
    return account.account_id, account.balance


def _ensure_system_accounts(currency: str, now: int) -> Flow[None]:
    yield run(_INSERT_ACCOUNT, "house", "", currency, now)
    yield run(_INSERT_ACCOUNT, "bank", "", currency, now)


def create_player(
    player_id: str, currency: str, *, actor: str, reason: str, now: int
) -> Flow[dict[str, Any]]:
    """Create a player with an account in ``currency`` (idempotent)."""
    existed = (yield value(_PLAYER, player_id)) is not None
    yield run(_INSERT_PLAYER, player_id, now)
    yield from _ensure_system_accounts(currency, now)
    account_before = yield value(
        Sql.of("SELECT balance FROM accounts WHERE kind = 'player' AND owner = ? AND currency = ?"),
        player_id,
        currency,
    )
    _, balance = yield from ensure_account("player", player_id, currency, now)
    if not existed or account_before is None:
        yield from _audit(
            actor, "player.create", player_id, None, {"currency": currency}, reason, now
        )
    return {
        "player_id": player_id,
        "currency": currency,
        "balance": balance,
        "created": not existed,
    }


def move_money(
    kind: str,
    player_id: str,
    currency: str,
    amount: Units,
    reference: str,
    *,
    actor: str,
    reason: str,
    now: int,
) -> Flow[dict[str, Any]]:
    """A deposit (bank → player) or withdrawal (player → bank), idempotent on reference."""
    if (yield value(_PLAYER, player_id)) is None:
        raise NotFound(f"unknown player {player_id!r}")
    yield from _ensure_system_accounts(currency, now)
    account_id, balance = yield from ensure_account("player", player_id, currency, now)
    bank = yield from fetch_one(_Account, _ACCOUNT, "bank", "", currency)
    assert bank is not None  # made by _ensure_system_accounts
    delta = amount if kind == "deposit" else -amount
    if balance + delta < 0:
        # Checked before the insert so that a refused withdrawal records nothing.
        stored = yield one(_STORED_MONEY, ADMIN_CLIENT, reference)
        if stored is None:
            raise Conflict(f"insufficient balance: {balance} units, withdrawal of {amount}")
    if balance + delta > LEDGER_LIMIT:
        raise Conflict("the balance would exceed the ledger limit")
    debit, credit = (bank.account_id, account_id) if delta > 0 else (account_id, bank.account_id)
    inserted = yield value(
        _INSERT_MONEY,
        ADMIN_CLIENT,
        reference,
        kind,
        kind,
        amount,
        account_id,
        reason,
        debit,
        credit,
        amount,
        balance + delta,
        now,
    )
    if inserted is None:
        stored = yield one(_STORED_MONEY, ADMIN_CLIENT, reference)
        if tuple(stored) != (kind, amount, account_id):
            raise Conflict(f"reference {reference!r} was already used for another operation")
        return {
            "player_id": player_id,
            "currency": currency,
            "balance": balance,
            "reference": reference,
            "replayed": True,
        }
    # The journal row moved the money (trigger of migration aggregator:2).
    yield from _audit(
        actor,
        f"money.{kind}",
        player_id,
        {"balance": balance, "currency": currency},
        {"balance": balance + delta, "currency": currency, "reference": reference},
        reason,
        now,
    )
    return {
        "player_id": player_id,
        "currency": currency,
        "balance": balance + delta,
        "reference": reference,
        "replayed": False,
    }


def open_session(
    session_id: str,
    client_id: str,
    player_id: str,
    currency: str,
    game_id: str,
    *,
    expires_at: int,
    actor: str,
    reason: str,
    now: int,
) -> Flow[dict[str, Any]]:
    """Open a wallet session for one client, player, currency and game (B8)."""
    if (yield value(_CLIENT, client_id)) is None:
        raise NotFound(f"unknown client {client_id!r}")
    if (yield value(_PLAYER, player_id)) is None:
        raise NotFound(f"unknown player {player_id!r}")
    yield from _ensure_system_accounts(currency, now)
    account_id, _ = yield from ensure_account("player", player_id, currency, now)
    yield run(
        _INSERT_SESSION,
        session_id,
        client_id,
        player_id,
        currency,
        game_id,
        account_id,
        now,
        expires_at,
    )
    after = {
        "client_id": client_id,
        "player_id": player_id,
        "currency": currency,
        "game_id": game_id,
        "expires_at": expires_at,
    }
    yield from _audit(actor, "session.open", session_id, None, after, reason, now)
    return {"session_id": session_id, **after}


def close_session(session_id: str, *, actor: str, reason: str, now: int) -> Flow[dict[str, Any]]:
    """Close a session: no more bets; wins and refunds still land (B8)."""
    row = yield from fetch_one(_SessionRow, _SESSION, session_id)
    if row is None:
        raise NotFound(f"unknown session {session_id!r}")
    if row.status != "closed":
        yield run(_CLOSE_SESSION, now, session_id)
        yield from _audit(
            actor,
            "session.close",
            session_id,
            {"status": row.status},
            {"status": "closed"},
            reason,
            now,
        )
    return {"session_id": session_id, "status": "closed"}


def note(actor: str, action: str, subject: str, after: Any, reason: str, *, now: int) -> Flow[None]:
    """An audit row for a change made through the protocol at the provider (a freespin
    campaign created or cancelled from the back office)."""
    yield from _audit(actor, action, subject, None, after, reason, now)
