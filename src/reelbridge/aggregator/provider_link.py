"""The lobby's and back office's link to the provider: signed protocol calls (games,
launches, jackpots, freespin campaigns) and, where configured, its admin API (round
recall, campaigns' spins left, rounds for reconciliation).

The game list comes from the provider's signed catalogue call (``POST /api/games``),
kept for ``catalogue_seconds``: the lobby never lists a game typed in by hand. The
client's token is read from the ``clients`` table (its first token signs), so rotating
it needs no restart.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from reelbridge.aggregator import admin_flows
from reelbridge.aggregator.provider_client import ProviderCallError, ProviderClient
from reelbridge.config import LobbySettings
from reelbridge.protocol import (
    CancelFreespins,
    CatalogueGame,
    CreateFreespins,
    DemoUrlRequest,
    ErrorReply,
    GamesRequest,
    GameUrlRequest,
    Jackpot,
    JackpotsRequest,
)
from reelbridge.storage import Engine

_T = TypeVar("_T")


class ProviderProblem(Exception):
    """The provider is not configured, unreachable, or refused; ``message`` says which."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL ('' when it has none)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class ProviderLink:
    """Signed calls to the configured provider for the configured client."""

    def __init__(
        self,
        *,
        engine: Engine,
        settings: LobbySettings,
        catalogue_seconds: float = 30.0,  # float ok: seconds
        timeout_seconds: float = 30.0,  # float ok: seconds (a first catalogue call is slow)
    ) -> None:
        self._engine = engine
        self.settings = settings
        self._catalogue_seconds = catalogue_seconds
        self._timeout = timeout_seconds
        self._catalogue: tuple[float, tuple[CatalogueGame, ...]] | None = None  # float ok

    @property
    def configured(self) -> bool:
        """Whether a provider URL and client id are set."""
        return bool(self.settings.provider_url and self.settings.client_id)

    @property
    def admin_configured(self) -> bool:
        """Whether the provider's admin API is known (recall, reconciliation)."""
        return bool(self.settings.provider_admin_url and self.settings.provider_admin_token)

    @property
    def client_id(self) -> str:
        """Our client id at the provider."""
        return self.settings.client_id

    @property
    def origin(self) -> str:
        """The provider's origin (its thumbnails and game pages come from there)."""
        return origin(self.settings.provider_url)

    async def _signed(self, call: Callable[[ProviderClient], Awaitable[_T | ErrorReply]]) -> _T:
        if not self.configured:
            raise ProviderProblem(
                "no provider is configured: start the aggregator with --provider-url and "
                "--provider-client (or run reelbridge demo)"
            )
        client_id = self.settings.client_id
        tokens = await self._engine.run(lambda: admin_flows.client_tokens(client_id))
        if not tokens:
            raise ProviderProblem(
                f"client {client_id!r} has no token here: register it with "
                "reelbridge aggregator clients set"
            )
        async with httpx.AsyncClient(timeout=self._timeout) as http:
            client = ProviderClient(self.settings.provider_url, tokens[0], http=http)
            try:
                reply = await call(client)
            except ProviderCallError as exc:
                raise ProviderProblem(f"the provider could not be reached: {exc}") from None
        if isinstance(reply, ErrorReply):
            raise ProviderProblem(f"the provider refused: {reply.code}: {reply.message}")
        return reply

    async def catalogue(self) -> tuple[CatalogueGame, ...]:
        """The provider's games (cached ``catalogue_seconds``; a failure is not cached).

        Raises:
            ProviderProblem: not configured, unreachable, or refused.
        """
        cached = self._catalogue
        if cached is not None and time.monotonic() - cached[0] < self._catalogue_seconds:
            return cached[1]
        request = GamesRequest(client_id=self.client_id)
        reply = await self._signed(lambda c: c.games(request))
        self._catalogue = (time.monotonic(), reply.games)
        return reply.games

    async def game_url(self, request: GameUrlRequest) -> str:
        """Launch a real-money game (the wallet session is opened by the caller)."""
        return (await self._signed(lambda c: c.game_url(request))).url

    async def demo_url(self, request: DemoUrlRequest) -> str:
        """Launch a demo game."""
        return (await self._signed(lambda c: c.demo_url(request))).url

    async def jackpots(self) -> tuple[Jackpot, ...]:
        """The live jackpot pools (the protocol's jackpots call)."""
        request = JackpotsRequest(client_id=self.client_id)
        return (await self._signed(lambda c: c.jackpots(request))).jackpots

    async def create_freespins(self, request: CreateFreespins) -> str:
        """Create a campaign; the provider's ``new_campaign_id``."""
        return (await self._signed(lambda c: c.create_freespins(request))).new_campaign_id

    async def cancel_freespins(self, campaign_id: str) -> None:
        """Cancel a campaign (twice is success)."""
        request = CancelFreespins(client_id=self.client_id, campaign_id=campaign_id)
        await self._signed(lambda c: c.cancel_freespins(request))

    async def admin(self, path: str, **params: Any) -> Any:
        """GET the provider's admin API; None for a 404.

        Raises:
            ProviderProblem: not configured, unreachable, or another refusal.
        """
        if not self.admin_configured:
            raise ProviderProblem("the provider's admin API is not configured")
        url = self.settings.provider_admin_url.rstrip("/") + path
        headers = {"Authorization": f"Bearer {self.settings.provider_admin_token}"}
        async with httpx.AsyncClient(timeout=self._timeout) as http:
            try:
                response = await http.get(url, params=params, headers=headers)
                data = response.json()
            except httpx.HTTPError as exc:
                raise ProviderProblem(f"the provider's admin API is unreachable: {exc}") from None
            except ValueError:
                raise ProviderProblem(
                    f"the provider's admin API answered HTTP {response.status_code}"
                ) from None
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            raise ProviderProblem(
                f"the provider's admin API refused: {error.get('message') or response.status_code}"
            )
        return data
