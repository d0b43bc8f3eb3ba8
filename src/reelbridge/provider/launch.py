"""What the aggregator asks of a provider (PROTOCOL.md Part A, "Aggregator → provider"):
launch a game (demo or real money), read the jackpots, create and cancel freespins.

The HTTP boundary (``web/endpoints.py``) verifies the caller and decodes its request;
this service decides and stores, and raises ``ProviderError``\\ s that carry their wire
code.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from reelbridge.protocol import CatalogueGame, CreateFreespins, DemoUrlRequest, GameUrlRequest
from reelbridge.provider import campaigns, jackpots, sessions
from reelbridge.provider.catalog import Catalog, Volatility, catalogue
from reelbridge.provider.clients import ClientRecord
from reelbridge.provider.errors import BadStake, GameNotOffered
from reelbridge.provider.jackpots import Pool
from reelbridge.provider.sessions import GameSession
from reelbridge.storage import Engine

DEMO_CURRENCY = "FUN"
US_PER_SECOND = 1_000_000


class LaunchService:
    """Launches, campaigns and jackpots for the aggregator-facing endpoints."""

    def __init__(
        self,
        *,
        engine: Engine,
        catalog: Catalog,
        clock: Callable[[], int],
        public_url: str,
        session_ttl_seconds: int,
        demo_balance: int,
        launch_url_of: Callable[[str, str], str | None] | None = None,
        refresh: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._engine = engine
        self._catalog = catalog
        self._clock = clock
        self._public_url = public_url.rstrip("/")
        self._ttl_us = session_ttl_seconds * US_PER_SECOND
        self._demo_balance = demo_balance
        self._launch_url_of = launch_url_of
        self._volatility = Volatility()
        self._refresh = refresh

    async def _fresh_catalog(self) -> None:
        # Remote games registered through another process become visible here
        # (``RemoteGames.sync``: a reload at most every few seconds).
        if self._refresh is not None:
            await self._refresh()

    def launch_url(self, game_id: str, token: str) -> str:
        """Where the player's browser goes: the built-in client, or a remote engine's."""
        if self._launch_url_of is not None:
            remote = self._launch_url_of(game_id, token)
            if remote is not None:
                return remote
        return f"{self._public_url}/game/{token}"

    async def _launch(self, session: GameSession) -> str:
        await self._engine.run(lambda: sessions.create(session))
        return self.launch_url(session.game_id, session.launch_token)

    def _new_session(
        self,
        client: ClientRecord,
        request: DemoUrlRequest | GameUrlRequest,
        *,
        session_id: str,
        player_id: str,
        currency: str,
        balance: int | None,
    ) -> GameSession:
        now = self._clock()
        self._catalog.game(request.game_id)
        return GameSession(
            launch_token=secrets.token_urlsafe(32),  # 256 bits: the launch URL's secret
            client_id=client.client_id,
            session_id=session_id,
            player_id=player_id,
            currency=currency,
            game_id=request.game_id,
            language=self._catalog.language(request.language),
            return_url=request.return_url,
            demo=isinstance(request, DemoUrlRequest),
            balance=balance,
            busy_round=None,
            busy_until=0,
            created_at=now,
            expires_at=now + self._ttl_us,
        )

    async def demo_url(self, request: DemoUrlRequest, client: ClientRecord) -> str:
        """A demo session with a virtual balance; it never calls the wallet."""
        await self._fresh_catalog()
        return await self._launch(
            self._new_session(
                client,
                request,
                session_id="",
                player_id="",
                currency=DEMO_CURRENCY,
                balance=self._demo_balance,
            )
        )

    async def game_url(self, request: GameUrlRequest, client: ClientRecord) -> str:
        """A real-money session bound to the aggregator's session (never shown)."""
        await self._fresh_catalog()
        return await self._launch(
            self._new_session(
                client,
                request,
                session_id=request.session_id,
                player_id=request.player_id,
                currency=self._catalog.currency(request.currency),
                balance=None,
            )
        )

    async def catalogue(self) -> tuple[CatalogueGame, ...]:
        """The games offered, as a lobby lists them (RTP, volatility, stakes, thumbnail)."""
        await self._fresh_catalog()
        return await catalogue(
            self._catalog,
            self._volatility,
            lambda game_id: f"{self._public_url}/game/thumbnail/{game_id}.svg",
        )

    async def pools(self) -> list[Pool]:
        """Every jackpot pool, live."""
        return await self._engine.run(lambda: jackpots.pools())

    async def create_freespins(self, request: CreateFreespins) -> str:
        """Create a campaign (idempotent on ``campaign_id``, B17); its new id."""
        await self._fresh_catalog()
        game = self._catalog.game(request.game_id)
        self._catalog.currency(request.currency)
        if not 0 <= request.bet_id < len(game.stake_levels):
            raise BadStake(f"No stake level with bet_id {request.bet_id}")
        if request.valid_until <= request.valid_from:
            raise GameNotOffered("valid_until must be after valid_from")
        now = self._clock()
        if request.valid_until * US_PER_SECOND <= now:
            raise GameNotOffered("The campaign has already ended")
        new_id = "fs-" + secrets.token_hex(12)
        line_bet = game.stake_levels[request.bet_id]
        return await self._engine.run(
            lambda: campaigns.create(
                request, new_campaign_id=new_id, bet_per_line=line_bet, now=now
            )
        )

    async def cancel_freespins(self, client_id: str, campaign_id: str) -> None:
        """Void a campaign's unplayed spins (twice is success; unknown is an error)."""
        now = self._clock()
        await self._engine.run(lambda: campaigns.cancel(client_id, campaign_id, now=now))
