"""The aggregator's client of a provider: the five calls of Part A and the catalogue
extension (``/api/games``), signed.

The lobby, the demo and the conformance kit use it to launch games and manage
freespin campaigns. Answers are decoded strictly; a provider error comes back as
``ErrorReply`` and anything unreadable raises ``ProviderCallError``.
"""

from __future__ import annotations

from typing import TypeVar

import httpx

from reelbridge.protocol import (
    SIGN_HEADER,
    CancelFreespins,
    CreateFreespins,
    DemoUrlRequest,
    ErrorReply,
    FreespinsCreated,
    GamesReply,
    GamesRequest,
    GameUrlRequest,
    JackpotsReply,
    JackpotsRequest,
    OkReply,
    ProviderRequest,
    UrlReply,
    WrongInput,
    decode_provider_reply,
    encode_provider_request,
    sign,
)

_T = TypeVar("_T")

PATHS: dict[type[ProviderRequest], str] = {
    DemoUrlRequest: "/api/demo-url",
    GameUrlRequest: "/api/game-url",
    JackpotsRequest: "/api/jackpots",
    CreateFreespins: "/api/freespins/create",
    CancelFreespins: "/api/freespins/cancel",
    GamesRequest: "/api/games",
}


class ProviderCallError(Exception):
    """The provider could not be reached or answered something unreadable."""


class ProviderClient:
    """Signed calls to one provider for one client id."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,  # float ok: seconds
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._own = http is None

    async def aclose(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._own:
            await self._http.aclose()

    async def call(self, request: ProviderRequest, reply: type[_T]) -> _T | ErrorReply:
        """Send one request; decode the answer as ``reply`` (or the error sent instead)."""
        body = encode_provider_request(request)
        try:
            response = await self._http.post(
                self.base_url + PATHS[type(request)],
                content=body,
                headers={"Content-Type": "application/json", SIGN_HEADER: sign(body, self._token)},
            )
            return decode_provider_reply(response.content, reply)
        except httpx.HTTPError as exc:
            raise ProviderCallError(f"provider unreachable: {exc}") from None
        except WrongInput as exc:
            raise ProviderCallError(f"unreadable provider answer: {exc.message}") from None

    async def game_url(self, request: GameUrlRequest) -> UrlReply | ErrorReply:
        """Launch a real-money game."""
        return await self.call(request, UrlReply)

    async def demo_url(self, request: DemoUrlRequest) -> UrlReply | ErrorReply:
        """Launch a demo game."""
        return await self.call(request, UrlReply)

    async def jackpots(self, request: JackpotsRequest) -> JackpotsReply | ErrorReply:
        """Live jackpot amounts."""
        return await self.call(request, JackpotsReply)

    async def games(self, request: GamesRequest) -> GamesReply | ErrorReply:
        """The provider's game catalogue (a reelbridge extension of Part A)."""
        return await self.call(request, GamesReply)

    async def create_freespins(self, request: CreateFreespins) -> FreespinsCreated | ErrorReply:
        """Create a freespin campaign."""
        return await self.call(request, FreespinsCreated)

    async def cancel_freespins(self, request: CancelFreespins) -> OkReply | ErrorReply:
        """Cancel a freespin campaign."""
        return await self.call(request, OkReply)
