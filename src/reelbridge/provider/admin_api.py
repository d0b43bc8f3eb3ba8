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

from reelbridge.protocol import Id
from reelbridge.provider import launch
from reelbridge.provider.directory import ClientDirectory
from reelbridge.provider.game_api import recall
from reelbridge.provider.metrics import metrics_endpoint
from reelbridge.provider.spins import Catalog
from reelbridge.storage import Engine, Flow, Sql, one
from reelbridge.storage.listing import Listing, eq, int_filter
from reelbridge.web import BadRequest, NotFound, json_body, json_endpoint, list_handler
from reelbridge.web.http import list_page

Token = Annotated[str, msgspec.Meta(min_length=8, max_length=512)]
Url = Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s]+$", max_length=2048)]
Reason = Annotated[str, msgspec.Meta(max_length=1000, pattern="^[^\\x00]*$")]


class ClientIn(msgspec.Struct, forbid_unknown_fields=True):
    client_id: Id
    tokens: Annotated[list[Token], msgspec.Meta(min_length=1, max_length=4)]
    wallet_url: Url
    reason: Reason = ""


_MONEY = frozenset(
    {
        "bet_per_line",
        "stake",
        "win",
        "jackpot_win",
        "balance_after",
        "amount",
        "seed",
        "contributed",
        "paid",
        "balance",
    }
)

LISTINGS: dict[str, Listing] = {
    "clients": Listing(
        "SELECT client_id, tokens, wallet_url, created_at, updated_at FROM provider_clients",
        ("client_id", "tokens", "wallet_url", "created_at", "updated_at"),
        {"client_id": eq("client_id")},
        "client_id",
        secrets=frozenset({"tokens"}),
    ),
    "sessions": Listing(
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
        money=_MONEY,
    ),
    "rounds": Listing(
        """SELECT round_id, client_id, player_id, currency, game_id, kind, campaign_id,
                  bet_per_line, stake, status, error_code, error_message, win, jackpot_level,
                  jackpot_win, balance_after, created_at, updated_at FROM rounds""",
        (
            "round_id",
            "client_id",
            "player_id",
            "currency",
            "game_id",
            "kind",
            "campaign_id",
            "bet_per_line",
            "stake",
            "status",
            "error_code",
            "error_message",
            "win",
            "jackpot_level",
            "jackpot_win",
            "balance_after",
            "created_at",
            "updated_at",
        ),
        {
            "client_id": eq("client_id"),
            "player_id": eq("player_id"),
            "status": eq("status"),
            "game_id": eq("game_id"),
            "kind": eq("kind"),
        },
        "created_at DESC, round_id",
        money=_MONEY,
    ),
    "campaigns": Listing(
        """SELECT new_campaign_id, client_id, campaign_id, player_id, currency, game_id,
                  quantity, remaining, bet_id, bet_per_line, valid_from, valid_until, status,
                  created_at, cancelled_at FROM campaigns""",
        (
            "new_campaign_id",
            "client_id",
            "campaign_id",
            "player_id",
            "currency",
            "game_id",
            "quantity",
            "remaining",
            "bet_id",
            "bet_per_line",
            "valid_from",
            "valid_until",
            "status",
            "created_at",
            "cancelled_at",
        ),
        {"client_id": eq("client_id"), "player_id": eq("player_id"), "status": eq("status")},
        "created_at DESC",
        money=_MONEY,
    ),
    "jackpots": Listing(
        "SELECT level, currency, amount, seed, contributed, paid, hits, updated_at FROM "
        "jackpot_pools",
        ("level", "currency", "amount", "seed", "contributed", "paid", "hits", "updated_at"),
        {"currency": eq("currency"), "level": eq("level")},
        "currency, seed",
        money=_MONEY,
    ),
    "outbox": Listing(
        """SELECT id, client_id, round_id, kind, transaction_id, status, attempts,
                  next_attempt_at, last_error, reply, created_at, delivered_at, body
             FROM outbox""",
        (
            "id",
            "client_id",
            "round_id",
            "kind",
            "transaction_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "reply",
            "created_at",
            "delivered_at",
            "body",
        ),
        {
            "client_id": eq("client_id"),
            "status": eq("status"),
            "kind": eq("kind"),
            "round_id": eq("round_id"),
            # set by the handler from ?stuck_seconds=N: undelivered and created before now-N
            "created_before": int_filter("status IN ('pending', 'sending') AND created_at < ?"),
        },
        "id",
    ),
    "audit": Listing(
        """SELECT id, actor, action, subject, before, after, reason, created_at
             FROM provider_audit_log""",
        ("id", "actor", "action", "subject", "before", "after", "reason", "created_at"),
        {"action": eq("action"), "subject": eq("subject")},
        "id DESC",
    ),
}

_ROUND = Sql.of(
    """SELECT round_id, game_id, kind, bet_per_line, stake, status, error_code, error_message,
              draw, outcome, win, jackpot_level, jackpot_win, balance_after, created_at,
              launch_token, client_id, player_id FROM rounds WHERE round_id = ?"""
)


def _round(round_id: str) -> Flow[tuple[Any, ...] | None]:
    row = yield one(_ROUND, round_id)
    return None if row is None else tuple(row)


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
    ) -> None:
        self._engine = engine
        self._token = admin_token.encode()
        self._clients = clients
        self._catalog = catalog
        self._clock = clock

    def routes(self) -> list[Route]:
        """POST clients; GET listings and round recall."""
        guard = self._token
        routes = [
            Route(
                "/admin/clients", json_endpoint(self.upsert_client, bearer=guard), methods=["POST"]
            ),
            Route(
                "/admin/rounds/{round_id}",
                json_endpoint(self.recall, bearer=guard),
                methods=["GET"],
            ),
            Route("/admin/outbox", json_endpoint(self.outbox, bearer=guard), methods=["GET"]),
            Route("/admin/games", json_endpoint(self.games, bearer=guard), methods=["GET"]),
            Route(
                "/metrics",
                json_endpoint(metrics_endpoint(self._engine, self._clock), bearer=guard),
                methods=["GET"],
            ),
        ]
        for name, spec in LISTINGS.items():
            if name != "outbox":
                handler = json_endpoint(list_handler(self._engine, spec), bearer=guard)
                routes.append(Route(f"/admin/{name}", handler, methods=["GET"]))
        return routes

    async def upsert_client(self, request: Request) -> Any:
        data = await json_body(request, ClientIn)
        now = self._clock()
        actor = request.headers.get("x-actor", "admin")[:64] or "admin"
        result = await self._engine.run(
            lambda: launch.upsert_client(
                data.client_id,
                data.tokens,
                data.wallet_url,
                actor=actor,
                reason=data.reason,
                now=now,
            )
        )
        self._clients.forget(data.client_id)
        return result

    async def recall(self, request: Request) -> Any:
        round_id = request.path_params["round_id"]
        row = await self._engine.run(lambda: _round(round_id))
        if row is None:
            raise NotFound(f"unknown round {round_id!r}")
        return recall(self._catalog.game(row[1]), row)

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
        return await list_page(self._engine, LISTINGS["outbox"], params)

    async def games(self, request: Request) -> Any:
        """The games offered, with their stakes."""
        return {
            "games": [
                {"game_id": g.game_id, "name": g.name, "stake_levels": list(g.stake_levels)}
                for g in self._catalog.games.values()
            ],
            "currencies": sorted(self._catalog.currencies),
            "languages": list(self._catalog.languages),
        }
