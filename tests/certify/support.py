"""Helpers of the certify suite: fast kit settings for our provider, and deliberately
broken implementations for the kit to catch.

Each is a small proxy in front of reelbridge's own (correct) implementation that
introduces exactly one defect, so the scenario that targets that defect must fail:

wallets (in front of the aggregator's wallet; the kit calls the proxy)
  ``double_debit``      a repeated bet is debited again
  ``reserialising``     verifies X-Sign over re-serialised JSON instead of the bytes
  ``forgetful_refund``  forgets a refund of an unseen bet, so the late bet is debited
  ``refund_after_win``  honours a refund after the round's win (credits the stake)

providers (between reelbridge's provider and the kit's wallet)
  ``never_refunds``     refunds are swallowed: the provider "never refunds on timeout"
  ``rerolls``           a resent win carries a newly drawn amount
  ``changes_body``      a resent call is re-serialised (other bytes, new signature)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelbridge.protocol import SIGN_HEADER, sign, verify
from reelbridge.testing.certify import ProviderTarget

PROVIDER_ADMIN = "provider-admin-token-of-the-certify-suite"
BUDGET = 0.5
"""The provider's wallet budget in these tests (seconds; the protocol's is 5)."""
FAST_KIT = {"wallet_timeout": BUDGET, "settle_timeout": 8.0, "quiet_seconds": 0.6, "timeout": 10.0}
"""Kit settings matching the fast provider: short waits, failures found quickly."""


def provider_target(url: str, client_id: str, **changes: Any) -> ProviderTarget:
    """A kit target for our provider, with the fast settings."""
    options: dict[str, Any] = {**FAST_KIT, **changes}
    return ProviderTarget(url=url, client_id=client_id, token=f"{client_id}-token", **options)


WALLET_DEFECTS = ("double_debit", "reserialising", "forgetful_refund", "refund_after_win")
PROVIDER_DEFECTS = ("never_refunds", "rerolls", "changes_body")


class BrokenProxy:
    """A wallet-protocol proxy with one defect: ``POST /wallet/{client_id}`` is forwarded
    to ``upstream`` (a base URL) re-signed with ``token`` after the defect had its say."""

    def __init__(self, upstream: str, token: str, defect: str) -> None:
        assert defect in WALLET_DEFECTS + PROVIDER_DEFECTS, defect
        self.upstream = upstream.rstrip("/")
        self.token = token
        self.defect = defect
        self.seen: dict[str, dict[str, Any]] = {}  # transaction id → first request
        self.won_rounds: set[str] = set()
        self.count = 0
        self._http: httpx.AsyncClient | None = None
        route = Route("/wallet/{client_id}", self.handle, methods=["POST"])
        self.app = Starlette(routes=[route], lifespan=self._lifespan)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=30) as http:
            self._http = http
            yield

    async def forward(self, client_id: str, body: bytes) -> Response:
        assert self._http is not None
        answer = await self._http.post(
            f"{self.upstream}/wallet/{client_id}",
            content=body,
            headers={"Content-Type": "application/json", SIGN_HEADER: sign(body, self.token)},
        )
        return Response(answer.content, answer.status_code, media_type="application/json")

    async def handle(self, request: Request) -> Response:
        client_id = request.path_params["client_id"]
        body = await request.body()
        signature = request.headers.get(SIGN_HEADER)
        try:
            data = json.loads(body, parse_float=Decimal)  # amounts stay exact
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return await self._passthrough(client_id, body, signature)
        return await getattr(self, self.defect)(client_id, body, signature, data)

    async def _passthrough(self, client_id: str, body: bytes, signature: str | None) -> Response:
        if not verify(body, signature, [self.token]):
            return _error("INVALID_SIGN")
        return await self.forward(client_id, body)

    # -- wallet defects (the proxy is the wallet under test) -------------------------

    async def double_debit(
        self, client_id: str, body: bytes, sig: str | None, data: dict
    ) -> Response:
        if not verify(body, sig, [self.token]):
            return _error("INVALID_SIGN")
        tx = data.get("transaction_id")
        if data.get("action") == "bet" and isinstance(tx, str):
            if tx in self.seen and self.seen[tx] == data:
                self.count += 1
                body = _dumps({**data, "transaction_id": f"{tx}-again-{self.count}"})
            self.seen.setdefault(tx, data)
        return await self.forward(client_id, body)

    async def reserialising(
        self, client_id: str, body: bytes, sig: str | None, data: dict
    ) -> Response:
        canonical = json.dumps(json.loads(body), separators=(",", ":")).encode()
        if not verify(canonical, sig, [self.token]):
            return _error("INVALID_SIGN")
        return await self.forward(client_id, body)

    async def forgetful_refund(
        self, client_id: str, body: bytes, sig: str | None, data: dict
    ) -> Response:
        if not verify(body, sig, [self.token]):
            return _error("INVALID_SIGN")
        tx = data.get("transaction_id")
        if data.get("action") == "bet" and isinstance(tx, str):
            self.seen[tx] = data
        if data.get("action") == "refund" and tx not in self.seen:
            balance = {"action": "balance", "session_id": data.get("session_id")}
            return await self.forward(client_id, _dumps(balance))  # "done", nothing remembered
        return await self.forward(client_id, body)

    async def refund_after_win(
        self, client_id: str, body: bytes, sig: str | None, data: dict
    ) -> Response:
        if not verify(body, sig, [self.token]):
            return _error("INVALID_SIGN")
        tx, action = data.get("transaction_id"), data.get("action")
        if action == "bet" and isinstance(tx, str):
            self.seen[tx] = data
        if action == "win":
            self.won_rounds.add(str(data.get("round_id")))
        bet = self.seen.get(str(tx))
        if action == "refund" and bet is not None and str(bet.get("round_id")) in self.won_rounds:
            credit = {**bet, "action": "win", "type": "win", "transaction_id": f"{tx}-refund"}
            return await self.forward(client_id, _dumps(credit))
        return await self.forward(client_id, body)

    # -- provider defects (the proxy is part of the provider under test) -------------

    async def never_refunds(
        self, client_id: str, body: bytes, sig: str | None, data: dict
    ) -> Response:
        if data.get("action") == "refund":  # "sent", as far as the provider knows
            return Response(b'{"status":true,"balance":0.0}', media_type="application/json")
        return await self.forward(client_id, body)

    async def rerolls(self, client_id: str, body: bytes, sig: str | None, data: dict) -> Response:
        tx = str(data.get("transaction_id"))
        if data.get("action") == "win" and tx in self.seen:
            self.count += 1
            body = _dumps(
                {**data, "amount": Decimal(data["amount"]) + Decimal("0.01") * self.count}
            )
        self.seen.setdefault(tx, data)
        return await self.forward(client_id, body)

    async def changes_body(
        self, client_id: str, body: bytes, sig: str | None, data: dict
    ) -> Response:
        tx = str(data.get("transaction_id"))
        if tx in self.seen:
            body = json.dumps(data, indent=1, default=str).encode()
        self.seen.setdefault(tx, data)
        return await self.forward(client_id, body)


def _error(code: str) -> Response:
    body = json.dumps({"status": False, "code": code, "message": code}).encode()
    return Response(body, media_type="application/json")


def _dumps(data: dict[str, Any]) -> bytes:
    """Compact JSON; Decimal amounts are written as exact decimal strings (B5)."""
    return json.dumps(data, separators=(",", ":"), default=str).encode()
