"""The ``provider_clients`` table: each aggregator integration's tokens and wallet URL.

The first token signs this provider's wallet calls; every token verifies the
aggregator's calls (B2: two may be live during a rotation). Records are cached briefly
(``ClientDirectory``); a change made through this process applies at once.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from reelbridge._cache import TtlCache
from reelbridge.storage import Engine, Flow, Sql, run
from reelbridge.storage.audit import audit, fingerprint
from reelbridge.storage.listing import Listing, eq
from reelbridge.storage.rows import columns, fetch_one
from reelbridge.tokens import TokenRefused, check_client_id, with_token, without_token


class ClientRow(msgspec.Struct, frozen=True, array_like=True):
    """A stored integration (``tokens`` is a JSON list)."""

    client_id: str
    tokens: str
    wallet_url: str
    created_at: int
    updated_at: int


class ClientRecord(msgspec.Struct, frozen=True):
    """An aggregator integration: its tokens (the first signs) and wallet URL."""

    client_id: str
    tokens: tuple[str, ...]
    wallet_url: str


_CLIENT = Sql.of(f"SELECT {columns(ClientRow)} FROM provider_clients WHERE client_id = ?")
_UPSERT = Sql.of(
    """INSERT INTO provider_clients (client_id, tokens, wallet_url, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET tokens = excluded.tokens,
              wallet_url = excluded.wallet_url, updated_at = excluded.updated_at"""
)

LISTING = Listing(
    f"SELECT {columns(ClientRow)} FROM provider_clients",
    ClientRow.__struct_fields__,
    {"client_id": eq("client_id")},
    "client_id",
    secrets=frozenset({"tokens"}),
)


def client(client_id: str) -> Flow[ClientRecord | None]:
    """The client's record, or None."""
    row = yield from fetch_one(ClientRow, _CLIENT, client_id)
    if row is None:
        return None
    return ClientRecord(row.client_id, tuple(json.loads(row.tokens)), row.wallet_url)


def upsert_client(
    client_id: str,
    tokens: list[str],
    wallet_url: str,
    *,
    actor: str,
    reason: str,
    now: int,
    key: bytes,
) -> Flow[dict[str, Any]]:
    """Create or update an aggregator integration (audited; tokens as fingerprints).

    Raises:
        TokenRefused: a reserved client id (``@…``).
    """
    check_client_id(client_id)
    before = yield from client(client_id)
    yield from _store(client_id, tuple(tokens), wallet_url, before, "client.upsert", actor,
                      reason, now, key)  # fmt: skip
    return {
        "client_id": client_id,
        "tokens": len(tokens),
        "wallet_url": wallet_url,
        "created": before is None,
    }


def change_tokens(
    client_id: str,
    *,
    add: str | None = None,
    primary: bool = False,
    retire: str | None = None,
    retire_fp: str | None = None,
    actor: str,
    reason: str,
    now: int,
    key: bytes,
) -> Flow[dict[str, Any]]:
    """Add a token (``add``, first with ``primary``) or retire one (by value ``retire`` or
    fingerprint ``retire_fp``); the rules are ``reelbridge.tokens``.

    Raises:
        TokenRefused: no such client or token, too many tokens, or the last one.
    """
    before = yield from client(client_id)
    if before is None:
        raise TokenRefused("not_found", f"unknown client {client_id}")
    if add is not None:
        after, action = with_token(before.tokens, add, primary=primary), "client.token_add"
    else:
        after = without_token(before.tokens, token=retire, fp=retire_fp, key=key)
        action = "client.token_retire"
    yield from _store(client_id, after, before.wallet_url, before, action, actor, reason, now, key)
    return {"client_id": client_id, "tokens": [fingerprint(t, key) for t in after]}


def _store(
    client_id: str,
    tokens: tuple[str, ...],
    wallet_url: str,
    before: ClientRecord | None,
    action: str,
    actor: str,
    reason: str,
    now: int,
    key: bytes,
) -> Flow[None]:
    yield run(_UPSERT, client_id, json.dumps(list(tokens)), wallet_url, now, now)
    yield from audit(
        "provider_audit_log",
        actor=actor,
        action=action,
        subject=client_id,
        before=None
        if before is None
        else {
            "tokens": [fingerprint(t, key) for t in before.tokens],
            "wallet_url": before.wallet_url,
        },
        after={"tokens": [fingerprint(t, key) for t in tokens], "wallet_url": wallet_url},
        reason=reason,
        now=now,
    )


class ClientDirectory(TtlCache[str, "ClientRecord | None"]):
    """Client records by id; ``forget`` after an update made through this process."""

    def __init__(self, *, engine: Engine, ttl_seconds: float = 2.0) -> None:  # float ok
        async def load(client_id: str) -> ClientRecord | None:
            return await engine.run(lambda: client(client_id))

        super().__init__(load, ttl_seconds=ttl_seconds)
