"""The admin API (JSON, ``Authorization: Bearer <token>``): the surface used by the
lobby, the CLI and the conformance kit. Errors are ``{"error": {"code", "message"}}``
with a 4xx status; a refused request changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.routing import Route

from reelbridge.aggregator import admin_flows
from reelbridge.aggregator.limits_api import LimitsApi
from reelbridge.aggregator.listings import LISTINGS, ledger_check
from reelbridge.aggregator.metrics import metrics_handler
from reelbridge.aggregator.wallet import ClientTokens
from reelbridge.observability import AggregatorMetrics
from reelbridge.protocol import LEDGER_LIMIT, Id, amount_from_raw, display_amount, format_amount
from reelbridge.storage import Engine
from reelbridge.web import BadRequest, json_body, json_endpoint, list_handler

_T = TypeVar("_T")
Currency = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
Token = Annotated[str, msgspec.Meta(min_length=8, max_length=512)]
Reason = Annotated[str, msgspec.Meta(max_length=1000, pattern="^[^\\x00]*$")]


class ClientIn(msgspec.Struct, forbid_unknown_fields=True):
    client_id: Id
    tokens: Annotated[list[Token], msgspec.Meta(min_length=1, max_length=4)]
    reason: Reason = ""


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Token
    primary: bool = False
    reason: Reason = ""


class RetireIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Token | None = None
    fingerprint: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    reason: Reason = ""


class PlayerIn(msgspec.Struct, forbid_unknown_fields=True):
    player_id: Id
    currency: Currency
    reason: Reason = ""


class MoneyIn(msgspec.Struct, forbid_unknown_fields=True):
    player_id: Id
    currency: Currency
    amount: msgspec.Raw
    reference: Id
    reason: Reason = ""


class SessionIn(msgspec.Struct, forbid_unknown_fields=True):
    client_id: Id
    player_id: Id
    currency: Currency
    game_id: Id
    ttl_seconds: Annotated[int, msgspec.Meta(ge=1, le=30 * 86400)] | None = None
    reason: Reason = ""


class CloseIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason = ""


Handler = Callable[[Request], Awaitable[Any]]


class AdminApi:
    """Builds the admin routes over an engine."""

    def __init__(
        self,
        *,
        engine: Engine,
        admin_token: str,
        tokens: ClientTokens,
        clock: Callable[[], int],
        session_ttl_seconds: int,
        metrics: AggregatorMetrics,
        fingerprint_key: bytes,
    ) -> None:
        self._engine = engine
        self._metrics = metrics
        self._key = fingerprint_key
        self._admin_token = admin_token.encode()
        self._tokens = tokens
        self._clock = clock
        self._session_ttl = session_ttl_seconds

    def routes(self) -> list[Route]:
        """The Starlette routes of the admin API."""
        post = [
            ("/admin/clients", self.upsert_client),
            ("/admin/clients/{client_id}/tokens", self.add_token),
            ("/admin/clients/{client_id}/tokens/retire", self.retire_token),
            ("/admin/players", self.create_player),
            ("/admin/deposits", self.deposit),
            ("/admin/withdrawals", self.withdraw),
            ("/admin/sessions", self.open_session),
            ("/admin/sessions/{session_id}/close", self.close_session),
        ]
        get = [
            (f"/admin/{name}", self._lister(name))
            for name in ("clients", "players", "sessions", "transactions", "audit", "anomalies")
        ]
        get.append(("/admin/ledger", self.ledger))
        get.append(("/admin/openapi.json", self.openapi))
        get.append(("/metrics", metrics_handler(self._engine, self._metrics)))
        token = self._admin_token
        limits = LimitsApi(engine=self._engine, clock=self._clock)
        return [
            *(Route(p, json_endpoint(h, bearer=token), methods=["POST"]) for p, h in post),
            *(Route(p, json_endpoint(h, bearer=token), methods=["GET"]) for p, h in get),
            *limits.routes(token),
        ]

    @staticmethod
    def _actor(request: Request) -> str:
        return request.headers.get("x-actor", "admin")[:64] or "admin"

    async def upsert_client(self, request: Request) -> Any:
        data = await json_body(request, ClientIn)
        now = self._clock()
        result = await self._engine.run(
            lambda: admin_flows.upsert_client(
                data.client_id,
                data.tokens,
                actor=self._actor(request),
                reason=data.reason,
                now=now,
                key=self._key,
            )
        )
        self._tokens.forget(data.client_id)
        return result

    async def add_token(self, request: Request) -> Any:
        """Add a token to a client (``primary``: it signs from now on)."""
        data, client_id, now = (
            await json_body(request, TokenIn),
            request.path_params["client_id"],
            self._clock(),
        )
        result = await self._engine.run(
            lambda: admin_flows.add_token(
                client_id, data.token, primary=data.primary, actor=self._actor(request),
                reason=data.reason, now=now, key=self._key,
            )
        )  # fmt: skip
        self._tokens.forget(client_id)
        return result

    async def retire_token(self, request: Request) -> Any:
        """Retire a client's token, named by value or fingerprint."""
        data, client_id, now = (
            await json_body(request, RetireIn),
            request.path_params["client_id"],
            self._clock(),
        )
        result = await self._engine.run(
            lambda: admin_flows.retire_token(
                client_id, token=data.token, fp=data.fingerprint, actor=self._actor(request),
                reason=data.reason, now=now, key=self._key,
            )
        )  # fmt: skip
        self._tokens.forget(client_id)
        return result

    async def create_player(self, request: Request) -> Any:
        data = await json_body(request, PlayerIn)
        now = self._clock()
        result = await self._engine.run(
            lambda: admin_flows.create_player(
                data.player_id,
                data.currency,
                actor=self._actor(request),
                reason=data.reason,
                now=now,
            )
        )
        return _with_display(result)

    async def deposit(self, request: Request) -> Any:
        return await self._money(request, "deposit")

    async def withdraw(self, request: Request) -> Any:
        return await self._money(request, "withdrawal")

    async def _money(self, request: Request, kind: str) -> Any:
        data = await json_body(request, MoneyIn)
        amount = amount_from_raw(data.amount)
        if amount <= 0:
            raise BadRequest("amount must be positive")
        if amount > LEDGER_LIMIT:
            raise BadRequest("amount exceeds the ledger limit")
        now = self._clock()
        result = await self._engine.run(
            lambda: admin_flows.move_money(
                kind,
                data.player_id,
                data.currency,
                amount,
                data.reference,
                actor=self._actor(request),
                reason=data.reason,
                now=now,
            )
        )
        return _with_display(result)

    async def open_session(self, request: Request) -> Any:
        data = await json_body(request, SessionIn)
        now = self._clock()
        ttl = data.ttl_seconds or self._session_ttl
        session_id = secrets.token_urlsafe(24)
        return await self._engine.run(
            lambda: admin_flows.open_session(
                session_id,
                data.client_id,
                data.player_id,
                data.currency,
                data.game_id,
                expires_at=now + ttl * 1_000_000,
                actor=self._actor(request),
                reason=data.reason,
                now=now,
            )
        )

    async def close_session(self, request: Request) -> Any:
        data = await json_body(request, CloseIn, optional=True)
        session_id = request.path_params["session_id"]
        now = self._clock()
        return await self._engine.run(
            lambda: admin_flows.close_session(
                session_id, actor=self._actor(request), reason=data.reason, now=now
            )
        )

    def _lister(self, name: str) -> Handler:
        return list_handler(self._engine, LISTINGS[name], read_path=True, key=self._key)

    async def openapi(self, request: Request) -> Any:
        """This API described as OpenAPI 3.1 (generated from its request types)."""
        from reelbridge.aggregator.openapi import admin_openapi  # it imports this module

        return admin_openapi()

    async def ledger(self, request: Request) -> Any:
        return await self._engine.read(ledger_check)


def _with_display(result: dict[str, Any]) -> dict[str, Any]:
    """A balance as the wire writes it, and as people read it (``balance_display``)."""
    units = result["balance"]
    return {
        **result,
        "balance": format_amount(units),
        "balance_display": display_amount(units, result["currency"]),
    }
