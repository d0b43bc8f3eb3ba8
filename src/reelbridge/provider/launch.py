"""Units of work for clients, game sessions and freespin campaigns (provider side)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reelbridge.protocol import CreateFreespins, ErrorCode, ProtocolError
from reelbridge.storage import Flow, Sql, one, run, value
from reelbridge.storage.audit import audit, fingerprint

_CLIENT = Sql.of("SELECT tokens, wallet_url FROM provider_clients WHERE client_id = ?")
_UPSERT_CLIENT = Sql.of(
    """INSERT INTO provider_clients (client_id, tokens, wallet_url, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET tokens = excluded.tokens,
              wallet_url = excluded.wallet_url, updated_at = excluded.updated_at"""
)
_INSERT_SESSION = Sql.of(
    """INSERT INTO game_sessions (launch_token, client_id, session_id, player_id, currency,
              game_id, language, return_url, demo, balance, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
)
_INSERT_CAMPAIGN = Sql.of(
    """INSERT INTO campaigns (new_campaign_id, client_id, campaign_id, player_id, currency,
              game_id, quantity, remaining, bet_id, bet_per_line, valid_from, valid_until,
              status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)
       ON CONFLICT (client_id, campaign_id) DO NOTHING"""
)
_CAMPAIGN = Sql.of(
    """SELECT new_campaign_id, player_id, currency, game_id, quantity, bet_id, valid_from,
              valid_until, status
         FROM campaigns WHERE client_id = ? AND campaign_id = ? {lock}"""
)
_CANCEL_CAMPAIGN = Sql.of(
    "UPDATE campaigns SET status = 'cancelled', cancelled_at = ? WHERE new_campaign_id = ?"
)


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """An aggregator integration: its tokens (first signs) and wallet URL."""

    client_id: str
    tokens: tuple[str, ...]
    wallet_url: str


def client(client_id: str) -> Flow[ClientRecord | None]:
    """The client's record, or None."""
    row = yield one(_CLIENT, client_id)
    if row is None:
        return None
    return ClientRecord(client_id, tuple(json.loads(row[0])), row[1])


def upsert_client(
    client_id: str, tokens: list[str], wallet_url: str, *, actor: str, reason: str, now: int
) -> Flow[dict[str, Any]]:
    """Create or update an aggregator integration."""
    before = yield from client(client_id)
    yield run(_UPSERT_CLIENT, client_id, json.dumps(tokens), wallet_url, now, now)
    yield from audit(
        "provider_audit_log",
        actor=actor,
        action="client.upsert",
        subject=client_id,
        before=None
        if before is None
        else {"tokens": [fingerprint(t) for t in before.tokens], "wallet_url": before.wallet_url},
        after={"tokens": [fingerprint(t) for t in tokens], "wallet_url": wallet_url},
        reason=reason,
        now=now,
    )
    return {
        "client_id": client_id,
        "tokens": len(tokens),
        "wallet_url": wallet_url,
        "created": before is None,
    }


@dataclass(frozen=True, slots=True)
class NewSession:
    """What a launch creates."""

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
    expires_at: int


def create_session(session: NewSession, *, now: int) -> Flow[None]:
    """Store a launched game session."""
    s = session
    yield run(
        _INSERT_SESSION,
        s.launch_token,
        s.client_id,
        s.session_id,
        s.player_id,
        s.currency,
        s.game_id,
        s.language,
        s.return_url,
        int(s.demo),
        s.balance,
        now,
        s.expires_at,
    )


def create_campaign(
    request: CreateFreespins, *, new_campaign_id: str, bet_per_line: int, now: int
) -> Flow[str]:
    """Create a campaign, idempotent on (client, campaign_id) (B17).

    Returns the campaign's ``new_campaign_id`` (the first one for a repeat).

    Raises:
        ProtocolError: WRONG_INPUT_PARAMETERS if the id was used with other parameters.
    """
    r = request
    yield run(
        _INSERT_CAMPAIGN,
        new_campaign_id,
        r.client_id,
        r.campaign_id,
        r.player_id,
        r.currency,
        r.game_id,
        r.quantity,
        r.quantity,
        r.bet_id,
        bet_per_line,
        r.valid_from * 1_000_000,
        r.valid_until * 1_000_000,
        now,
    )
    row = yield one(_CAMPAIGN, r.client_id, r.campaign_id)
    stored = tuple(row[1:8])
    wanted = (
        r.player_id,
        r.currency,
        r.game_id,
        r.quantity,
        r.bet_id,
        r.valid_from * 1_000_000,
        r.valid_until * 1_000_000,
    )
    if stored != wanted:
        raise ProtocolError(
            ErrorCode.WRONG_INPUT_PARAMETERS, "campaign_id already used with other parameters"
        )
    return str(row[0])


def cancel_campaign(client_id: str, campaign_id: str, *, now: int) -> Flow[None]:
    """Cancel a campaign: its unplayed spins are void; twice is success (B17).

    Raises:
        ProtocolError: WRONG_INPUT_PARAMETERS for an unknown campaign.
    """
    row = yield one(_CAMPAIGN, client_id, campaign_id)
    if row is None:
        raise ProtocolError(ErrorCode.WRONG_INPUT_PARAMETERS, "Unknown campaign")
    if row[8] != "cancelled":
        yield run(_CANCEL_CAMPAIGN, now, row[0])


def campaign_count(client_id: str) -> Flow[int]:
    """Number of campaigns of a client (for tests and listings)."""
    n = yield value(Sql.of("SELECT count(*) FROM campaigns WHERE client_id = ?"), client_id)
    return int(n)
