"""The composition root: the one place that builds engines, clocks and apps."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reelbridge.aggregator.admin_api import AdminApi
from reelbridge.aggregator.wallet import ClientTokens, WalletEndpoint
from reelbridge.config import AggregatorSettings, ProviderSettings
from reelbridge.games import (
    JackpotError,
    JackpotPlan,
    Rng,
    SecretsRng,
    SlotGame,
    all_games,
    check_fair,
    rtp_by_stake,
)
from reelbridge.provider import jackpots, rounds
from reelbridge.provider.catalog import Catalog
from reelbridge.provider.clients import ClientDirectory
from reelbridge.provider.launch import LaunchService
from reelbridge.provider.outbox import Deliverer, Relay
from reelbridge.provider.spins import RoundIds, SpinService, random_round_ids
from reelbridge.provider.wallet_client import WalletClient, WalletTransport
from reelbridge.provider.wallet_http import Http11Transport
from reelbridge.provider.web.admin_api import ProviderAdminApi
from reelbridge.provider.web.endpoints import ProviderEndpoints
from reelbridge.provider.web.game_api import GameApi
from reelbridge.storage import AGGREGATOR, PROVIDER, Engine, engine_from_url, migrate

log = logging.getLogger("reelbridge.bootstrap")


def system_clock() -> int:
    """Microseconds since the Unix epoch (the unit of every stored timestamp)."""
    return time.time_ns() // 1000


def build_aggregator(
    settings: AggregatorSettings,
    *,
    engine: Engine | None = None,
    clock: Callable[[], int] = system_clock,
) -> Starlette:
    """The aggregator ASGI app: wallet endpoint, admin API, health.

    The engine starts (and migrations apply) in the app's lifespan.
    """
    if not settings.admin_token:
        raise ValueError("the aggregator needs an admin token")
    db = engine if engine is not None else engine_from_url(settings.database_url)
    tokens = ClientTokens(engine=db, ttl_seconds=settings.token_cache_seconds)
    wallet = WalletEndpoint(engine=db, tokens=tokens, clock=clock)
    admin = AdminApi(
        engine=db,
        admin_token=settings.admin_token,
        tokens=tokens,
        clock=clock,
        session_ttl_seconds=settings.session_ttl_seconds,
    )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "engine": db.dialect})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.start()
        try:
            await migrate(db, AGGREGATOR)
            yield
        finally:
            await db.close()

    routes = [
        Route("/wallet/{client_id}", wallet.handle, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        *admin.routes(),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.engine = db
    return app


def aggregator_app_from_env() -> Starlette:
    """App factory for multi-worker servers (settings from ``REELBRIDGE_*``)."""
    return build_aggregator(AggregatorSettings.from_env())


@dataclass(frozen=True)
class ProviderServices:
    """The provider's services, wired: what the HTTP layer (or a unit test) drives."""

    engine: Engine
    catalog: Catalog
    clients: ClientDirectory
    spins: SpinService
    launches: LaunchService
    relay: Relay
    transport: WalletTransport
    clock: Callable[[], int]

    async def start(self, *, relay: bool = True) -> None:
        """Connect, migrate, open the jackpot pools, and start the relay (if asked)."""
        await self.engine.start()
        await migrate(self.engine, PROVIDER)
        now, plan, currencies = self.clock(), self.catalog.jackpots, self.catalog.currencies
        await self.engine.run(lambda: jackpots.open_pools(plan, currencies, now=now))
        if relay:
            self.relay.start()

    async def stop(self) -> None:
        """Stop the relay, close the wallet connections and the database."""
        try:
            await self.relay.stop()
            if isinstance(self.transport, Http11Transport):
                await self.transport.aclose()
        finally:
            await self.engine.close()


def offered_games(
    installed: tuple[SlotGame, ...], plan: JackpotPlan | None
) -> tuple[dict[str, SlotGame], dict[str, str]]:
    """The games a provider may offer with this jackpot plan, and why any other is not.

    Raises:
        JackpotError: the plan can't serve a game's stakes (a hit chance past 1): the
            operator's configuration is wrong, and the provider must not start.
    """
    offered: dict[str, SlotGame] = {}
    excluded: dict[str, str] = {}
    for game in installed:
        if plan is not None:
            plan.validate_for(game.total_stake(b) for b in game.stake_levels)
        try:
            check_fair(rtp_by_stake(game, plan))  # PROTOCOL.md B18: the same, below 100 %
        except JackpotError as error:
            log.error("game %s is not offered: %s", game.game_id, error)
            excluded[game.game_id] = str(error)
            continue
        offered[game.game_id] = game
    return offered, excluded


def build_provider_services(
    settings: ProviderSettings,
    *,
    engine: Engine | None = None,
    clock: Callable[[], int] = system_clock,
    rng: Rng | None = None,
    transport: WalletTransport | None = None,
    round_ids: RoundIds | None = None,
) -> ProviderServices:
    """Build the provider's services from settings and ports (nothing starts here)."""
    db = engine if engine is not None else engine_from_url(settings.database_url)
    http = (
        transport
        if transport is not None
        else Http11Transport(timeout_seconds=settings.wallet_timeout_seconds)
    )
    randomness = rng if rng is not None else SecretsRng()
    wallet = WalletClient(transport=http)
    clients = ClientDirectory(engine=db, ttl_seconds=settings.token_cache_seconds)
    plan = settings.jackpots
    games, excluded = offered_games(all_games(), plan)
    catalog = Catalog(
        games=games,
        currencies=frozenset(settings.currencies),
        languages=settings.languages,
        jackpots=plan,
        excluded=excluded,
    )
    lease_us = settings.spin_lease_seconds * 1_000_000
    deliverer = Deliverer(
        engine=db,
        wallet=wallet,
        clients=clients,
        clock=clock,
        jitter=randomness,
        on_delivered=rounds.delivered,
    )
    spins = SpinService(
        engine=db,
        wallet=wallet,
        clients=clients,
        deliverer=deliverer,
        catalog=catalog,
        rng=randomness,
        clock=clock,
        round_ids=round_ids if round_ids is not None else random_round_ids(clock),
        lease_us=lease_us,
    )
    outbox_relay = Relay(
        engine=db,
        deliverer=deliverer,
        on_orphan=rounds.orphaned,
        clock=clock,
        lease_us=lease_us,
        batch=settings.relay_batch,
        interval_seconds=settings.relay_interval_seconds,
    )
    launches = LaunchService(
        engine=db,
        catalog=catalog,
        clock=clock,
        public_url=settings.public_url,
        session_ttl_seconds=settings.session_ttl_seconds,
        demo_balance=settings.demo_balance,
    )
    return ProviderServices(
        engine=db,
        catalog=catalog,
        clients=clients,
        spins=spins,
        launches=launches,
        relay=outbox_relay,
        transport=http,
        clock=clock,
    )


def build_provider(
    settings: ProviderSettings,
    *,
    engine: Engine | None = None,
    clock: Callable[[], int] = system_clock,
    rng: Rng | None = None,
    transport: WalletTransport | None = None,
    round_ids: RoundIds | None = None,
    relay: bool = True,
) -> Starlette:
    """The provider ASGI app: aggregator-facing API, game API and page, admin API.

    The outbox relay runs inside (``relay=False`` leaves it to the caller, e.g. tests
    that drive ``app.state.relay.run_once()`` step by step).
    """
    if not settings.admin_token:
        raise ValueError("the provider needs an admin token")
    services = build_provider_services(
        settings, engine=engine, clock=clock, rng=rng, transport=transport, round_ids=round_ids
    )
    db, catalog, clients = services.engine, services.catalog, services.clients
    outbox_relay = services.relay
    endpoints = ProviderEndpoints(clients=clients, launches=services.launches)
    game_api = GameApi(engine=db, spins=services.spins, catalog=catalog, clock=clock)
    admin = ProviderAdminApi(
        engine=db,
        admin_token=settings.admin_token,
        clients=clients,
        catalog=catalog,
        clock=clock,
    )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "engine": db.dialect, "side": "provider"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            await services.start(relay=relay)
            yield
        finally:
            await services.stop()

    routes = [
        Route("/health", health, methods=["GET"]),
        *endpoints.routes(),
        *game_api.routes(),
        *admin.routes(),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.engine = db
    app.state.relay = outbox_relay
    return app


def provider_app_from_env() -> Starlette:
    """App factory for multi-worker servers (settings from ``REELBRIDGE_PROVIDER_*``)."""
    return build_provider(ProviderSettings.from_env())
