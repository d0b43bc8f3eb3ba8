"""The provider's admin API (JSON, ``Authorization: Bearer <token>``).

``POST /admin/clients`` ``{"client_id", "tokens": [..], "wallet_url"}`` creates or
updates an integration (first token signs our wallet calls; all verify incoming calls).
Listings: clients, sessions, rounds (``/admin/rounds/{id}`` recalls one, replayed from
its stored draw), campaigns, jackpots, outbox (``?stuck_seconds=N``: entries not yet
delivered after N seconds, with their last error), audit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from starlette.requests import Request
from starlette.routing import Route

from reelbridge.observability import ProviderMetrics
from reelbridge.protocol import Id, format_amount
from reelbridge.provider import (
    call_log,
    campaigns,
    clients,
    jackpots,
    outbox,
    rounds,
    sessions,
)
from reelbridge.provider.catalog import Catalog, rtp_figures
from reelbridge.provider.clients import ClientDirectory
from reelbridge.provider.errors import UnknownRound
from reelbridge.provider.recall import recall
from reelbridge.provider.web.errors import translate
from reelbridge.provider.web.metrics import metrics_endpoint
from reelbridge.storage import Engine
from reelbridge.storage.listing import Listing, audit_listing
from reelbridge.web import BadRequest, json_body, json_endpoint, list_handler
from reelbridge.web.http import Handler, list_page

Token = Annotated[str, msgspec.Meta(min_length=8, max_length=512)]
Url = Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s]+$", max_length=2048)]
Reason = Annotated[str, msgspec.Meta(max_length=1000, pattern="^[^\\x00]*$")]


class ClientIn(msgspec.Struct, forbid_unknown_fields=True):
    client_id: Id
    tokens: Annotated[list[Token], msgspec.Meta(min_length=1, max_length=4)]
    wallet_url: Url
    reason: Reason = ""


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Token
    primary: bool = False
    reason: Reason = ""


class RetireIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Token | None = None
    fingerprint: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    reason: Reason = ""


LISTINGS: dict[str, Listing] = {
    "calls": call_log.LISTING,
    "clients": clients.LISTING,
    "sessions": sessions.LISTING,
    "rounds": rounds.LISTING,
    "campaigns": campaigns.LISTING,
    "jackpots": jackpots.LISTING,
    "audit": audit_listing("provider_audit_log"),
}


class ProviderAdminApi:
    """Admin routes of the provider."""

    def __init__(
        self,
        *,
        engine: Engine,
        admin_token: str,
        clients: ClientDirectory,
        catalog: Catalog,
        clock: Callable[[], int],
        metrics: ProviderMetrics,
        fingerprint_key: bytes,
        unsettled_alert_seconds: int = 300,
    ) -> None:
        self._key = fingerprint_key
        self._engine = engine
        self._metrics = metrics
        self._alert_seconds = unsettled_alert_seconds
        self._token = admin_token.encode()
        self._clients = clients
        self._catalog = catalog
        self._clock = clock

    def routes(self) -> list[Route]:
        """POST clients; GET listings, round recall, outbox, games, metrics."""

        def admin(handler: Handler) -> Any:
            return json_endpoint(handler, bearer=self._token, translate=translate)

        routes = [
            Route("/admin/clients", admin(self.upsert_client), methods=["POST"]),
            Route("/admin/clients/{client_id}/tokens", admin(self.add_token), methods=["POST"]),
            Route(
                "/admin/clients/{client_id}/tokens/retire",
                admin(self.retire_token),
                methods=["POST"],
            ),
            Route("/admin/rounds/{round_id}", admin(self.recall), methods=["GET"]),
            Route("/admin/outbox", admin(self.outbox), methods=["GET"]),
            Route("/admin/games", admin(self.games), methods=["GET"]),
            Route(
                "/metrics",
                admin(
                    metrics_endpoint(
                        self._engine,
                        self._clock,
                        self._metrics,
                        alert_seconds=self._alert_seconds,
                    )
                ),
                methods=["GET"],
            ),
        ]
        for name, spec in LISTINGS.items():
            routes.append(
                Route(
                    f"/admin/{name}",
                    admin(list_handler(self._engine, spec, key=self._key)),
                    methods=["GET"],
                )
            )
        return routes

    async def upsert_client(self, request: Request) -> Any:
        """Create or update an aggregator integration."""
        data = await json_body(request, ClientIn)
        now = self._clock()
        actor = request.headers.get("x-actor", "admin")[:64] or "admin"
        result = await self._engine.run(
            lambda: clients.upsert_client(
                data.client_id,
                data.tokens,
                data.wallet_url,
                actor=actor,
                reason=data.reason,
                now=now,
                key=self._key,
            )
        )
        self._clients.forget(data.client_id)
        return result

    async def add_token(self, request: Request) -> Any:
        """Add a token to a client (``primary``: it signs our wallet calls from now on)."""
        data = await json_body(request, TokenIn)
        return await self._change(request, data.reason, add=data.token, primary=data.primary)

    async def retire_token(self, request: Request) -> Any:
        """Retire one of a client's tokens, named by value or fingerprint."""
        data = await json_body(request, RetireIn)
        return await self._change(request, data.reason, retire=data.token,
                                  retire_fp=data.fingerprint)  # fmt: skip

    async def _change(self, request: Request, reason: str, **change: Any) -> Any:
        client_id, now = request.path_params["client_id"], self._clock()
        actor = request.headers.get("x-actor", "admin")[:64] or "admin"
        result = await self._engine.run(
            lambda: clients.change_tokens(
                client_id, actor=actor, reason=reason, now=now, key=self._key, **change
            )
        )
        self._clients.forget(client_id)
        return result

    async def recall(self, request: Request) -> Any:
        """A round replayed from its stored draw."""
        round_id = request.path_params["round_id"]
        found = await self._engine.run(lambda: rounds.find(round_id))
        if found is None:
            raise UnknownRound(f"unknown round {round_id!r}")
        return recall(self._catalog.games.get(found.game_id), self._catalog.jackpots, found)

    async def outbox(self, request: Request) -> Any:
        """The outbox; ``stuck_seconds=N`` keeps entries undelivered for over N seconds."""
        params = dict(request.query_params)
        stuck = params.pop("stuck_seconds", None)
        if stuck is not None:
            if not (stuck.isascii() and stuck.isdigit()) or int(stuck) > 100 * 366 * 86400:
                raise BadRequest("stuck_seconds must be an integer from 0 to 100 years")
            params["created_before"] = str(self._clock() - int(stuck) * 1_000_000)
        elif "created_before" in params:
            raise BadRequest("use stuck_seconds")
        return await list_page(self._engine, outbox.LISTING, params)

    async def games(self, request: Request) -> Any:
        """The games offered, with their source, stakes and RTP per stake."""
        return {
            "games": [
                {
                    "game_id": g.game_id,
                    "name": g.name,
                    "source": self._catalog.sources.get(g.game_id, "built-in"),
                    "stake_levels": list(g.stake_levels),
                    "stakes": [
                        {
                            "bet_per_line": format_amount(b),
                            "stake": format_amount(g.total_stake(b)),
                            "rtp": rtp_figures(g, self._catalog.jackpots, b),
                        }
                        for b in g.stake_levels
                    ],
                }
                for g in self._catalog.games.values()
            ],
            "excluded": dict(self._catalog.excluded),
            "currencies": sorted(self._catalog.currencies),
            "languages": list(self._catalog.languages),
        }
