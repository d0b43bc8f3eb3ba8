"""What the sandbox's forms do: players and sessions in its wallet (through the wallet's
own admin API, in process) and signed launch calls to a provider."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx

from reelbridge.protocol import (
    SIGN_HEADER,
    DemoUrlRequest,
    GameUrlRequest,
    encode_provider_request,
    parse_amount_text,
    sign,
)
from reelbridge.sandbox.forms import FormError, LaunchOrder, SessionOrder
from reelbridge.testing.certify.report import clip


class Admin:
    """The in-process wallet's admin API (JSON, bearer token)."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self._http = http
        self._headers = {"Authorization": f"Bearer {token}", "X-Actor": "sandbox"}

    async def _check(self, response: httpx.Response) -> Any:
        try:
            data = response.json()
        except ValueError:
            raise FormError(f"the wallet answered HTTP {response.status_code}") from None
        if response.status_code >= 400:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            raise FormError(f"the wallet refused: {error.get('message') or response.status_code}")
        return data

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST to an admin path; a refusal becomes a ``FormError`` with its message."""
        return await self._check(await self._http.post(path, json=body, headers=self._headers))

    async def get(self, path: str, **params: str) -> Any:
        """GET an admin path."""
        return await self._check(await self._http.get(path, params=params, headers=self._headers))


@dataclass
class OpenSession:
    """A wallet session opened from the page."""

    session_id: str
    player_id: str
    currency: str
    game_id: str
    closed: bool = False
    balance: str = "?"


async def open_session(admin: Admin, client_id: str, order: SessionOrder) -> OpenSession:
    """Create the player (idempotent), deposit, open a session."""
    await admin.post("/admin/players", {"player_id": order.player_id, "currency": order.currency})
    if parse_amount_text(order.deposit) > 0:
        await admin.post(
            "/admin/deposits",
            {
                "player_id": order.player_id,
                "currency": order.currency,
                "amount": order.deposit,
                "reference": f"sandbox-{secrets.token_hex(6)}",
                "reason": "sandbox",
            },
        )
    opened = await admin.post(
        "/admin/sessions",
        {"client_id": client_id, "player_id": order.player_id,
         "currency": order.currency, "game_id": order.game_id},
    )  # fmt: skip
    return OpenSession(str(opened["session_id"]), order.player_id, order.currency, order.game_id)


async def refresh_balances(admin: Admin, sessions: list[OpenSession]) -> None:
    """Read each session's player balance from the wallet."""
    for session in sessions:
        page = await admin.get(
            "/admin/players", player_id=session.player_id, currency=session.currency
        )
        items = page.get("items") or []
        session.balance = str(items[0]["balance"]) if items else "?"


@dataclass(frozen=True)
class Launch:
    """The outcome of a launch call: the URL, or why there is none, and the exchange."""

    at: float  # float ok: wall-clock seconds (display)
    mode: str
    target: str
    request: str
    status: int | None
    response: str
    url: str | None
    error: str | None


async def launch(
    http: httpx.AsyncClient,
    order: LaunchOrder,
    *,
    client_id: str,
    token: str,
    session: OpenSession | None,
    return_url: str,
) -> Launch:
    """Send a signed game-url (with ``session``) or demo-url call; never raises."""
    if session is not None:
        request: GameUrlRequest | DemoUrlRequest = GameUrlRequest(
            client_id=client_id, game_id=session.game_id, currency=session.currency,
            language=order.language, session_id=session.session_id,
            player_id=session.player_id, return_url=return_url,
        )  # fmt: skip
    else:
        request = DemoUrlRequest(client_id=client_id, game_id=order.game_id,
                                 language=order.language, return_url=return_url)  # fmt: skip
    body = encode_provider_request(request)
    target = order.provider_url + order.path
    mode = "real money" if session is not None else "demo"
    headers = {"Content-Type": "application/json", SIGN_HEADER: sign(body, token)}
    try:
        response = await http.post(target, content=body, headers=headers)
    except httpx.HTTPError as exc:
        problem = f"the provider did not answer: {type(exc).__name__}: {exc}"
        return Launch(time.time(), mode, target, clip(body), None, "", None, problem)
    url, error = _url_of(response)
    return Launch(
        time.time(),
        mode,
        target,
        clip(body),
        response.status_code,
        clip(response.content),
        url,
        error,
    )


def _url_of(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        data = response.json()
    except ValueError:
        return None, f"HTTP {response.status_code}: the answer is not JSON"
    url = data.get("url") if isinstance(data, dict) else None
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return url, None
    if isinstance(data, dict) and data.get("status") is False:
        return None, f"{data.get('code')}: {data.get('message')}"
    return None, f"HTTP {response.status_code}: no launch URL in the answer"
