"""The back office's operations with the provider and its records: freespin campaigns
(created and cancelled through the protocol; spins left from the provider's admin API),
live jackpot pools (the protocol's jackpots call), anomalies and the audit log."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelbridge.aggregator import admin_flows, reports
from reelbridge.aggregator.backoffice import P, actor
from reelbridge.aggregator.listings import LISTINGS
from reelbridge.aggregator.provider_link import ProviderLink, ProviderProblem
from reelbridge.ledger.limits import INDEFINITE
from reelbridge.pages import Form, FormError, Login, LoginArea, money, when
from reelbridge.protocol import CreateFreespins, Jackpot
from reelbridge.storage import Engine
from reelbridge.web.http import list_page

ANOMALY_KINDS = {
    "refund requested after the round's win": (
        "A refund named a bet whose round was already paid: refused (B12). Check the "
        "provider's round: a provider that refunds after paying has a bug."
    ),
    "win over ledger limit": (
        "A win would have pushed a balance past the 64-bit ledger: refused. The provider "
        "will resend it; it cannot land until the amount is corrected."
    ),
}


class OpsPages:
    """Campaigns, jackpots, anomalies, audit log."""

    def __init__(
        self, *, engine: Engine, area: LoginArea, link: ProviderLink, clock: Callable[[], int]
    ) -> None:
        self._engine = engine
        self._area = area
        self._link = link
        self._clock = clock

    def routes(self) -> list[Route]:
        """Pages and forms."""
        page, action = self._area.page, self._area.action
        return [
            Route(f"{P}/campaigns", page(self.campaigns), methods=["GET"]),
            Route(f"{P}/campaigns", action(self.create, self.campaigns), methods=["POST"]),
            Route(f"{P}/campaigns/cancel", action(self.cancel, self.campaigns), methods=["POST"]),
            Route(f"{P}/jackpots", page(self.jackpots), methods=["GET"]),
            Route(f"{P}/anomalies", page(self.anomalies), methods=["GET"]),
            Route(f"{P}/audit", page(self.audit), methods=["GET"]),
        ]

    def _render(self, request: Request, login: Login, name: str, **context: Any) -> Response:
        return self._area.pages.render(request, name, login=login, **context)

    # -- freespin campaigns -------------------------------------------------------

    async def campaigns(self, request: Request, login: Login, error: str | None) -> Response:
        """Campaigns at the provider for our client, and the form to create one."""
        problem, campaigns = None, []
        try:
            games = await self._link.catalogue()
        except ProviderProblem as exc:
            games, problem = (), exc.message
        if self._link.admin_configured:
            try:
                page = await self._link.admin(
                    "/admin/campaigns", client_id=self._link.client_id, limit=100
                )
                campaigns = list((page or {}).get("items", []))
            except ProviderProblem as exc:
                problem = exc.message
        created = await list_page(
            self._engine, LISTINGS["audit"], {"action": "campaign.create", "limit": "100"}
        )
        return self._render(
            request,
            login,
            "bo_campaigns.html",
            error=error,
            problem=problem,
            games=games,
            accounts=await self._engine.run(reports.accounts),
            campaigns=campaigns,
            created=[{**row, "after": _json(row["after"])} for row in created["items"]],
            admin=self._link.admin_configured,
            campaign_id=f"bo-{secrets.token_hex(5)}",
        )

    async def create(self, request: Request, form: Form, login: Login) -> tuple[str, str]:
        """Create a campaign through the protocol (idempotent on its campaign id)."""
        currency, _, player_id = form.required("account", "Player").partition(":")
        if await self._engine.run(lambda: reports.balance(player_id, currency)) is None:
            raise FormError("choose one of the players' accounts")
        games = {g.game_id: g for g in await self._link.catalogue()}
        game_id, _, level = form.get("stake").partition("|")
        game = games.get(game_id)
        if game is None or not level.isdigit() or int(level) >= len(game.stakes):
            raise FormError("choose one of the provider's games and stakes")
        bet_id = int(level)
        quantity = form.integer("quantity", "Spins", 1, 1000, 10)
        hours = form.integer("hours", "Valid for (hours)", 1, 24 * 90, 24)
        campaign_id = form.required("campaign_id", "Campaign id")
        reason = form.text("reason", "Reason")
        now = self._clock() // 1_000_000
        request_ = CreateFreespins(
            client_id=self._link.client_id, game_id=game.game_id, player_id=player_id,
            campaign_id=campaign_id, currency=currency, quantity=quantity,
            valid_from=now - 60, valid_until=now + hours * 3600, bet_id=bet_id,
        )  # fmt: skip
        new_id = await self._link.create_freespins(request_)
        after = {
            "new_campaign_id": new_id, "player_id": player_id, "currency": currency,
            "game_id": game.game_id, "quantity": quantity, "bet_id": bet_id,
            "stake": game.stakes[bet_id], "valid_until": request_.valid_until,
        }  # fmt: skip
        at = self._clock()
        await self._engine.run(
            lambda: admin_flows.note(
                actor(login), "campaign.create", campaign_id, after, reason, now=at
            )
        )
        return (
            f"{P}/campaigns",
            f"campaign {campaign_id}: {quantity} free spins of {game.name} for {player_id}",
        )

    async def cancel(self, request: Request, form: Form, login: Login) -> tuple[str, str]:
        """Cancel a campaign through the protocol: its unplayed spins are void."""
        campaign_id = form.required("campaign_id", "Campaign id")
        reason = form.text("reason", "Reason")
        await self._link.cancel_freespins(campaign_id)
        at = self._clock()
        await self._engine.run(
            lambda: admin_flows.note(
                actor(login), "campaign.cancel", campaign_id, {"cancelled": True}, reason, now=at
            )
        )
        return f"{P}/campaigns", f"campaign {campaign_id} cancelled: its unplayed spins are void"

    # -- jackpots, anomalies, audit -------------------------------------------------

    async def jackpots(self, request: Request, login: Login, error: str | None) -> Response:
        """The provider's live pools (protocol call) and the jackpots our wallet paid."""
        problem: str | None = None
        pools: tuple[Jackpot, ...] = ()
        try:
            pools = await self._link.jackpots()
        except ProviderProblem as exc:
            problem = exc.message
        paid = await list_page(
            self._engine, LISTINGS["transactions"], {"type": "jackpot", "limit": "50"}
        )
        held = set(await self._engine.run(reports.currencies))
        by_currency: dict[str, list[Any]] = {}
        for pool in pools:
            by_currency.setdefault(pool.currency, []).append(pool)
        return self._render(
            request,
            login,
            "bo_jackpots.html",
            error=error,
            problem=problem,
            pools={c: p for c, p in by_currency.items() if c in held},
            others={c: p for c, p in by_currency.items() if c not in held},
            rows=paid["items"],
        )

    async def anomalies(self, request: Request, login: Login, error: str | None) -> Response:
        """What the wallet refused and logged for reconciliation."""
        params = {k: v for k, v in request.query_params.items() if k in ("kind", "offset") and v}
        page = await list_page(self._engine, LISTINGS["anomalies"], {"limit": "100", **params})
        return self._render(
            request, login, "bo_anomalies.html", error=error, page=page, kinds=ANOMALY_KINDS,
            kind=params.get("kind", ""),
        )  # fmt: skip

    async def audit(self, request: Request, login: Login, error: str | None) -> Response:
        """Every change: who, what, before, after, why."""
        keep = ("actor", "action", "subject", "offset")
        params = {k: v for k, v in request.query_params.items() if k in keep and v}
        page = await list_page(self._engine, LISTINGS["audit"], {"limit": "100", **params})
        rows = [{**row, "changes": changes(row["before"], row["after"])} for row in page["items"]]
        shown = {k: v for k, v in params.items() if k != "offset"}
        return self._render(
            request, login, "bo_audit.html", error=error, page=page, rows=rows, filters=shown,
            base=f"{P}/audit?" + urlencode(shown) + ("&" if shown else ""),
        )  # fmt: skip


def changes(before: Any, after: Any) -> list[tuple[str, str | None, str]]:
    """An audit row's change as (field, before, after), as people read it: amounts in
    units get their currency's decimals, timestamps become dates."""
    old, new = _shown(_json(before)), _shown(_json(after))
    if not isinstance(new, dict) or not isinstance(old, dict | None):
        return [("", None if old is None else str(old), "" if new is None else str(new))]
    old = old or {}
    return [(k, old.get(k), new.get(k, "")) for k in sorted(set(old) | set(new))]


def _shown(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    currency = str(data.get("currency") or "")
    out = {}
    for key, value in data.items():
        if value is None:
            out[key] = "none"
        elif isinstance(value, bool) or not isinstance(value, int):
            out[key] = str(value)
        elif key in ("balance", "amount") or _is_limit_amount(key):
            out[key] = money(value, currency)
        elif key.startswith("excluded_until") and not key.endswith("_at"):
            out[key] = "indefinite" if value == INDEFINITE else when(value, "%Y-%m-%d %H:%M UTC")
        elif key.endswith("_at"):
            out[key] = when(value, "%Y-%m-%d %H:%M UTC")
        elif key in ("valid_from", "valid_until"):  # protocol fields: seconds
            out[key] = when(value * 1_000_000, "%Y-%m-%d %H:%M UTC")
        else:
            out[key] = str(value)
    return out


def _is_limit_amount(key: str) -> bool:
    """An audit field of a money limit (``loss_day``, ``wager_week_pending`` …)."""
    return key.startswith(("loss_", "wager_")) and not key.endswith("_at")


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
