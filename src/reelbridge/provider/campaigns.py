"""The ``campaigns`` table: freespin campaigns created by an aggregator (PROTOCOL.md B17).

A campaign gives one player ``quantity`` rounds of one game, in one currency, at the
stake ``bet_id`` selects, playable between ``valid_from`` and ``valid_until``. Create is
idempotent on the aggregator's ``campaign_id`` (the same request returns the same
``new_campaign_id``; other parameters are refused); cancel voids the unplayed spins and
is success twice; a round that is rejected or refunded gives its spin back.
"""

from __future__ import annotations

import enum

import msgspec

from reelbridge.protocol import CreateFreespins
from reelbridge.provider.errors import CampaignConflict, UnknownCampaign
from reelbridge.storage import Flow, Sql, run
from reelbridge.storage.listing import Listing, eq
from reelbridge.storage.rows import columns, fetch_one

US_PER_SECOND = 1_000_000


class CampaignStatus(enum.StrEnum):
    """A campaign is active until cancelled (spent or expired campaigns stay active)."""

    ACTIVE = "active"
    CANCELLED = "cancelled"


class Campaign(msgspec.Struct, frozen=True, array_like=True):
    """A stored campaign (times in microseconds since the epoch)."""

    new_campaign_id: str
    client_id: str
    campaign_id: str
    player_id: str
    currency: str
    game_id: str
    quantity: int
    remaining: int
    bet_id: int
    bet_per_line: int
    valid_from: int
    valid_until: int
    status: CampaignStatus
    created_at: int
    cancelled_at: int | None


_SELECT = f"SELECT {columns(Campaign)} FROM campaigns"
_BY_ID = Sql.of(_SELECT + " WHERE client_id = ? AND campaign_id = ? {lock}")
_PLAYABLE = (
    _SELECT
    + """ WHERE client_id = ? AND player_id = ? AND game_id = ? AND currency = ?
            AND status = 'active' AND remaining > 0 AND valid_from <= ? AND valid_until > ?
          ORDER BY valid_until, new_campaign_id LIMIT 1"""
)
_PLAYABLE_READ = Sql.of(_PLAYABLE)
_PLAYABLE_LOCKED = Sql.of(_PLAYABLE + " {lock}")
_INSERT = Sql.of(
    """INSERT INTO campaigns (new_campaign_id, client_id, campaign_id, player_id, currency,
              game_id, quantity, remaining, bet_id, bet_per_line, valid_from, valid_until,
              status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)
       ON CONFLICT (client_id, campaign_id) DO NOTHING"""
)
_CANCEL = Sql.of(
    "UPDATE campaigns SET status = 'cancelled', cancelled_at = ? WHERE new_campaign_id = ?"
)
_TAKE = Sql.of("UPDATE campaigns SET remaining = remaining - 1 WHERE new_campaign_id = ?")
_GIVE_BACK = Sql.of("UPDATE campaigns SET remaining = remaining + 1 WHERE new_campaign_id = ?")

LISTING = Listing(
    _SELECT,
    Campaign.__struct_fields__,
    {"client_id": eq("client_id"), "player_id": eq("player_id"), "status": eq("status")},
    "created_at DESC",
    money=frozenset({"bet_per_line"}),
)


def create(
    request: CreateFreespins, *, new_campaign_id: str, bet_per_line: int, now: int
) -> Flow[str]:
    """Create a campaign, idempotent on (client, campaign_id); its ``new_campaign_id``.

    Raises:
        CampaignConflict: the ``campaign_id`` was used with other parameters.
    """
    r = request
    valid_from, valid_until = r.valid_from * US_PER_SECOND, r.valid_until * US_PER_SECOND
    yield run(
        _INSERT,
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
        valid_from,
        valid_until,
        now,
    )
    stored = yield from fetch_one(Campaign, _BY_ID, r.client_id, r.campaign_id)
    assert stored is not None  # inserted above, or there already
    wanted = (r.player_id, r.currency, r.game_id, r.quantity, r.bet_id, valid_from, valid_until)
    found = (
        stored.player_id,
        stored.currency,
        stored.game_id,
        stored.quantity,
        stored.bet_id,
        stored.valid_from,
        stored.valid_until,
    )
    if found != wanted:
        raise CampaignConflict("campaign_id already used with other parameters")
    return stored.new_campaign_id


def cancel(client_id: str, campaign_id: str, *, now: int) -> Flow[None]:
    """Cancel a campaign: its unplayed spins are void; twice is success.

    Raises:
        UnknownCampaign: no such campaign for this client.
    """
    stored = yield from fetch_one(Campaign, _BY_ID, client_id, campaign_id)
    if stored is None:
        raise UnknownCampaign("Unknown campaign")
    if stored.status is not CampaignStatus.CANCELLED:
        yield run(_CANCEL, now, stored.new_campaign_id)


def playable(
    client_id: str, player_id: str, game_id: str, currency: str, *, now: int, lock: bool = False
) -> Flow[Campaign | None]:
    """The campaign whose spins this player plays next on this game (soonest to end)."""
    sql = _PLAYABLE_LOCKED if lock else _PLAYABLE_READ
    return (yield from fetch_one(Campaign, sql, client_id, player_id, game_id, currency, now, now))


def take_spin(new_campaign_id: str) -> Flow[None]:
    """One spin of the campaign is being played."""
    yield run(_TAKE, new_campaign_id)


def give_back_spin(new_campaign_id: str) -> Flow[None]:
    """A spin whose round was rejected or refunded is playable again."""
    yield run(_GIVE_BACK, new_campaign_id)
