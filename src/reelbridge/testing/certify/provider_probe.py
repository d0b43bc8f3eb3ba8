"""How the provider kit plays the aggregator: signed calls to the provider's endpoints.

Answers are read strictly: HTTP 200 and a JSON object (B4); an error answer has a
boolean ``status`` of false and a known code (Part A).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from reelbridge.protocol import SIGN_HEADER, ErrorCode, sign
from reelbridge.testing.certify.report import Exchange, clip
from reelbridge.testing.certify.wallet_probe import SIGNED, Number

ENDPOINTS: dict[str, str] = {
    "demo-url": "/api/demo-url",
    "game-url": "/api/game-url",
    "jackpots": "/api/jackpots",
    "freespins-create": "/api/freespins/create",
    "freespins-cancel": "/api/freespins/cancel",
}
"""The provider's endpoints and where reelbridge's provider serves them."""
REQUIRED = ("demo-url", "game-url")


@dataclass(frozen=True)
class ProviderTarget:
    """The provider under test and how the kit reaches and configures it.

    Attributes:
        url: the provider's base URL (endpoint paths are relative to it).
        client_id: the client the kit plays; the provider must know it with ``token``.
        token: that client's token (signs the kit's calls and the provider's).
        endpoints: endpoint name → path or URL; absent optional ones are not tested.
        admin_url: the provider's admin API (``POST /admin/clients``), or None: the
            engineer points the provider at the kit's wallet by hand.
        admin_token: its bearer token.
        game_id, currency, language: what the kit launches.
        wallet_timeout: the provider's wallet time budget (the protocol's is 5 s).
        wallet_host, wallet_port: where the kit's wallet listens (0: any free port).
        wallet_url: the kit wallet's base URL as the provider reaches it (default the
            listening address).
        manual: a person plays the rounds in a browser instead of the headless player.
        manual_timeout: seconds to wait for each round played by hand.
        settle_timeout: seconds to wait for a round's wins or refund to land.
        quiet_seconds: how long "nothing more arrives" is watched for.
        failures: how many times each failing win or refund is refused before success.
        database_url: storage of the kit's wallet (default: a temporary SQLite file).
        timeout: seconds an endpoint call may take.
    """

    url: str
    client_id: str
    token: str
    endpoints: Mapping[str, str] = field(default_factory=lambda: dict(ENDPOINTS))
    admin_url: str | None = None
    admin_token: str | None = None
    game_id: str = "book-of-reels"
    currency: str = "EUR"
    language: str = "en"
    wallet_timeout: float = 5.0  # float ok: seconds
    wallet_host: str = "127.0.0.1"
    wallet_port: int = 0
    wallet_url: str | None = None
    manual: bool = False
    manual_timeout: float = 300.0  # float ok: seconds
    settle_timeout: float = 90.0  # float ok: seconds
    quiet_seconds: float = 3.0  # float ok: seconds
    failures: int = 2
    database_url: str | None = None
    timeout: float = 30.0  # float ok: seconds

    def endpoint_url(self, name: str) -> str | None:
        """The full URL of an endpoint, or None when the provider does not offer it."""
        where = self.endpoints.get(name)
        if where is None:
            return None
        return where if "://" in where else self.url.rstrip("/") + "/" + where.lstrip("/")


@dataclass(frozen=True)
class Reply:
    """A provider's answer: the exchange, the decoded object, or why it is invalid."""

    exchange: Exchange
    data: dict[str, Any] | None = None
    problem: str | None = None

    @property
    def error(self) -> str | None:
        """The error code of a valid error answer."""
        if self.data is not None and self.data.get("status") is False:
            return str(self.data.get("code"))
        return None

    def describe(self) -> str:
        """What the answer said, in a few words."""
        if self.problem is not None:
            return self.problem
        if self.error is not None:
            return f"{self.error}: {self.data.get('message') if self.data else ''}"
        return self.exchange.response


def read_reply(status: int | None, content: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """``(data, problem)`` of a provider's raw answer (B4, Part A)."""
    if status is None:
        return None, "no answer"
    if status != 200:
        return None, f"HTTP {status}: every protocol answer is HTTP 200 (B4)"
    try:
        data: Any = json.loads(content, parse_float=Number, parse_int=Number)
    except (ValueError, RecursionError):
        return None, "the answer is not JSON (B4)"
    if not isinstance(data, dict):
        return None, "the answer is not a JSON object (B4)"
    if data.get("status") is False and data.get("code") not in set(ErrorCode):
        return data, f"error code {data.get('code')!r} is not one of the protocol's twelve"
    return data, None


class ProviderHttp:
    """Signed POSTs of exact bytes to the provider's endpoints."""

    def __init__(self, target: ProviderTarget, http: httpx.AsyncClient) -> None:
        self.target = target
        self._http = http

    async def post(
        self, name: str, body: bytes, *, signature: object = SIGNED, note: str = ""
    ) -> Reply:
        """POST ``body`` to the endpoint ``name`` (it must be offered)."""
        url = self.target.endpoint_url(name)
        assert url is not None, f"{name} is not offered"
        headers = {"Content-Type": "application/json"}
        if signature is SIGNED:
            headers[SIGN_HEADER] = sign(body, self.target.token)
        elif isinstance(signature, str):
            headers[SIGN_HEADER] = signature
        started = time.perf_counter()
        status: int | None = None
        try:
            response = await self._http.post(url, content=body, headers=headers)
            status, content, text = response.status_code, response.content, clip(response.content)
        except httpx.HTTPError as exc:
            content, text = b"", f"{type(exc).__name__}: {exc}"
        exchange = Exchange(
            method="POST",
            url=url,
            request=clip(body),
            headers={k: v for k, v in headers.items() if k == SIGN_HEADER},
            status=status,
            response=text,
            latency_ms=(time.perf_counter() - started) * 1000,
            note=note,
        )
        data, problem = read_reply(status, content)
        return Reply(exchange, data, problem if status is not None else f"no answer: {text}")

    async def call(self, name: str, /, **fields: Any) -> Reply:
        """POST the compact JSON of ``fields``, signed."""
        body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()
        return await self.post(name, body)
