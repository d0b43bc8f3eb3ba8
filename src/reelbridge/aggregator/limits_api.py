"""The admin API of responsible gambling (docs/PROTOCOL-part-b.md B19–B22):

- ``GET /admin/players/{player_id}/limits``: every account of the player, its limits in
  force, pending changes, and what the current periods used;
- ``POST /admin/players/{player_id}/limits``: change money and session limits of one
  account (``{"currency": "EUR", "loss_day": "50.00", "wager_week": null,
  "session_minutes": 60, "reason": "…"}``; a field left out is left alone, ``null``
  removes the limit);
- ``POST /admin/players/{player_id}/exclusion``: ``{"until": "2026-03-01" | "indefinite" |
  null, "reason": "…"}`` (a date: excluded up to 00:00 UTC of that day; null ends it);
- ``POST /admin/players/{player_id}/block``: ``{"blocked": true, "reason": "…"}``.

Every change needs a reason (the audit log's); a looser setting answers with the
moment it applies (``applies_at``, µs since the epoch). Amounts are written as the
wire writes them (``"50.0"``), with ``*_display`` beside them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType
from starlette.requests import Request
from starlette.routing import Route

from reelbridge.aggregator import limit_flows
from reelbridge.aggregator.limit_flows import AccountLimits
from reelbridge.ledger.limits import (
    INDEFINITE,
    MAX_SESSION_MINUTES,
    MONEY_LIMITS,
    PERIODS,
    Period,
    start_of,
)
from reelbridge.protocol import LEDGER_LIMIT, amount_from_raw, display_amount, format_amount
from reelbridge.storage import Engine
from reelbridge.web import BadRequest, json_body, json_endpoint

Currency = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
Reason = Annotated[str, msgspec.Meta(max_length=1000, pattern="^[^\\x00]*$")]
Minutes = Annotated[int, msgspec.Meta(ge=1, le=MAX_SESSION_MINUTES)]
Amount = msgspec.Raw | UnsetType
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class LimitsIn(msgspec.Struct, forbid_unknown_fields=True):
    currency: Currency
    reason: Reason
    loss_day: Amount = UNSET
    loss_week: Amount = UNSET
    loss_month: Amount = UNSET
    wager_day: Amount = UNSET
    wager_week: Amount = UNSET
    wager_month: Amount = UNSET
    session_minutes: Minutes | UnsetType | None = UNSET


class ExclusionIn(msgspec.Struct, forbid_unknown_fields=True):
    until: str | None
    reason: Reason


class BlockIn(msgspec.Struct, forbid_unknown_fields=True):
    blocked: bool
    reason: Reason


def limit_amount(raw: msgspec.Raw, name: str) -> int | None:
    """A limit from its raw JSON: ``null`` (no limit) or an amount above zero.

    Raises:
        BadRequest: not an exact amount, zero or less, or past the ledger's limit.
    """
    if bytes(raw).strip() == b"null":
        return None
    units = amount_from_raw(raw, name)
    if not 0 < units <= LEDGER_LIMIT:
        raise BadRequest(f"{name} must be more than zero (null removes the limit)")
    return units


def exclusion_end(text: str | None) -> int | None:
    """The end of a self-exclusion: a date (00:00 UTC of that day, µs), ``indefinite``,
    or None (end it).

    Raises:
        BadRequest: anything else.
    """
    if text is None:
        return None
    if text == "indefinite":
        return INDEFINITE
    try:
        if not _DAY.fullmatch(text):
            raise ValueError
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise BadRequest('until must be a date like 2026-03-01, "indefinite" or null') from None
    return (day - datetime.date(1970, 1, 1)).days * 86_400_000_000


def _money(units: int | None, currency: str, field: str) -> dict[str, Any]:
    shown = None if units is None else display_amount(units, currency)
    return {field: None if units is None else format_amount(units), f"{field}_display": shown}


def describe(account: AccountLimits, now: int) -> dict[str, Any]:
    """An account's responsible-gambling state as the admin API answers it."""
    state, currency = account.state, account.currency
    limits: dict[str, Any] = {}
    for name in MONEY_LIMITS:
        setting = state.setting(name).settled(now)
        kind, period = name.split("_")
        wagered, lost = state.totals.current(Period(period), now)
        limits[name] = {
            **_money(setting.value, currency, "limit"),
            **_money(lost if kind == "loss" else wagered, currency, "used"),
            "pending": setting.next_at is not None,
            **_money(setting.next, currency, "pending_limit"),
            "applies_at": setting.next_at,
        }
    session = state.setting("session_minutes").settled(now)
    exclusion = state.setting("excluded_until").settled(now)
    until = exclusion.value if exclusion.value is not None and exclusion.value > now else None
    return {
        "player_id": account.player_id,
        "currency": currency,
        **_money(account.balance, currency, "balance"),
        "blocked": state.blocked,
        "excluded_until": until,
        "excluded_indefinitely": until == INDEFINITE,
        "exclusion_pending": exclusion.next_at is not None,
        "exclusion_pending_until": exclusion.next,
        "exclusion_applies_at": exclusion.next_at,
        "session_minutes": session.value,
        "session_minutes_pending": session.next_at is not None,
        "session_minutes_pending_value": session.next,
        "session_minutes_applies_at": session.next_at,
        "limits": limits,
        "periods_start": {p.value: start_of(p, now) for p in PERIODS},
    }


class LimitsApi:
    """The routes above, over an engine and a clock (mounted by ``AdminApi``)."""

    def __init__(self, *, engine: Engine, clock: Callable[[], int]) -> None:
        self._engine = engine
        self._clock = clock

    def routes(self, token: bytes) -> list[Route]:
        """The Starlette routes, behind the admin bearer ``token``."""
        base = "/admin/players/{player_id}"
        return [
            Route(f"{base}/limits", json_endpoint(self.show, bearer=token), methods=["GET"]),
            Route(f"{base}/limits", json_endpoint(self.set_limits, bearer=token), methods=["POST"]),
            Route(f"{base}/exclusion", json_endpoint(self.exclude, bearer=token), methods=["POST"]),
            Route(f"{base}/block", json_endpoint(self.block, bearer=token), methods=["POST"]),
        ]

    @staticmethod
    def _actor(request: Request) -> str:
        return request.headers.get("x-actor", "admin")[:64] or "admin"

    @staticmethod
    def _reason(text: str) -> str:
        if not text.strip():
            raise BadRequest("a reason is required (it goes to the audit log)")
        return text.strip()

    async def show(self, request: Request) -> Any:
        player_id = request.path_params["player_id"]
        accounts = await self._engine.read(lambda: limit_flows.player_limits(player_id))
        now = self._clock()
        return {"player_id": player_id, "accounts": [describe(a, now) for a in accounts]}

    async def set_limits(self, request: Request) -> Any:
        data = await json_body(request, LimitsIn)
        reason = self._reason(data.reason)
        changes: dict[str, int | None] = {}
        for name in MONEY_LIMITS:
            raw = getattr(data, name)
            if raw is not UNSET:
                changes[name] = limit_amount(raw, name)
        if data.session_minutes is not UNSET:
            changes["session_minutes"] = data.session_minutes
        if not changes:
            raise BadRequest(f"name a limit to change: {', '.join(MONEY_LIMITS)}, session_minutes")
        player_id, now = request.path_params["player_id"], self._clock()
        account, changed = await self._engine.run(
            lambda: limit_flows.set_limits(
                player_id, data.currency, changes, actor=self._actor(request), reason=reason,
                now=now,
            )
        )  # fmt: skip
        return {"changed": changed, "account": describe(account, now)}

    async def exclude(self, request: Request) -> Any:
        data = await json_body(request, ExclusionIn)
        reason = self._reason(data.reason)
        until = exclusion_end(data.until)
        player_id, now = request.path_params["player_id"], self._clock()
        accounts, changed = await self._engine.run(
            lambda: limit_flows.set_exclusion(
                player_id, until, actor=self._actor(request), reason=reason, now=now
            )
        )
        return {"changed": changed, "accounts": [describe(a, now) for a in accounts]}

    async def block(self, request: Request) -> Any:
        data = await json_body(request, BlockIn)
        reason = self._reason(data.reason)
        player_id, now = request.path_params["player_id"], self._clock()
        accounts, changed = await self._engine.run(
            lambda: limit_flows.set_blocked(
                player_id, data.blocked, actor=self._actor(request), reason=reason, now=now
            )
        )
        return {"changed": changed, "accounts": [describe(a, now) for a in accounts]}
