"""The composition root: the one place that builds engines, clocks and apps."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reelbridge.aggregator.admin_api import AdminApi
from reelbridge.aggregator.wallet import AggregatorApp, ClientTokens, WalletEndpoint
from reelbridge.config import AggregatorSettings, ProviderSettings
from reelbridge.games import Rng, SecretsRng, all_games
from reelbridge.provider.admin_api import ProviderAdminApi
from reelbridge.provider.directory import ClientDirectory
from reelbridge.provider.endpoints import ProviderEndpoints
from reelbridge.provider.game_api import GameApi
from reelbridge.provider.relay import OutboxRelay
from reelbridge.provider.rounds import ensure_pools
from reelbridge.provider.spins import Catalog, Deliverer, SpinService
from reelbridge.provider.wallet_client import HttpxTransport, WalletClient, WalletTransport
from reelbridge.storage import AGGREGATOR, PROVIDER, Engine, engine_from_url, migrate


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
    db = (
        engine
        if engine is not None
        else engine_from_url(settings.database_url, read_url=settings.read_database_url)
    )
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

    # POST /wallet/{client_id} is served by ``wallet`` itself, ahead of these routes.
    routes = [Route("/health", health, methods=["GET"]), *admin.routes()]
    app = AggregatorApp(wallet=wallet, routes=routes, lifespan=lifespan)
    app.state.engine = db
    return app


def aggregator_app_from_env() -> Starlette:
    """App factory for multi-worker servers (settings from ``REELBRIDGE_*``)."""
    return freeze_startup(build_aggregator(AggregatorSettings.from_env()))


def freeze_startup(app: Starlette) -> Starlette:
    """For a server process: move everything alive after start-up (modules, the app) out
    of the garbage collector's reach, so that its full collections under load scan only
    what requests allocate (a full pass over start-up objects stalls the event loop),
    and collect the youngest generation every 50 000 allocations instead of 700 (each
    pass scans the objects of every request in flight; the profile of issue 10 put the
    collector at ≈ 5 % of a wallet call)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 10, 10)
    return app


def build_provider(
    settings: ProviderSettings,
    *,
    engine: Engine | None = None,
    clock: Callable[[], int] = system_clock,
    rng: Rng | None = None,
    transport: WalletTransport | None = None,
    relay: bool = True,
) -> Starlette:
    """The provider ASGI app: aggregator-facing API, game API and page, admin API.

    The outbox relay runs inside (``relay=False`` leaves it to the caller, e.g. tests
    that drive ``app.state.relay.run_once()`` step by step).
    """
    if not settings.admin_token:
        raise ValueError("the provider needs an admin token")
    db = engine if engine is not None else engine_from_url(settings.database_url)
    http = (
        transport
        if transport is not None
        else HttpxTransport(timeout_seconds=settings.wallet_timeout_seconds)
    )
    wallet = WalletClient(transport=http)
    clients = ClientDirectory(engine=db, ttl_seconds=settings.token_cache_seconds)
    catalog = Catalog(
        games={g.game_id: g for g in all_games()},
        currencies=frozenset(settings.currencies),
        languages=settings.languages,
    )
    lease_us = settings.spin_lease_seconds * 1_000_000
    deliverer = Deliverer(engine=db, wallet=wallet, clients=clients, clock=clock)
    spins = SpinService(
        engine=db,
        wallet=wallet,
        clients=clients,
        deliverer=deliverer,
        catalog=catalog,
        rng=rng if rng is not None else SecretsRng(),
        clock=clock,
        jackpots=settings.jackpots,
        lease_us=lease_us,
    )
    outbox_relay = OutboxRelay(
        engine=db,
        deliverer=deliverer,
        clock=clock,
        lease_us=lease_us,
        batch=settings.relay_batch,
        interval_seconds=settings.relay_interval_seconds,
    )
    endpoints = ProviderEndpoints(
        engine=db, clients=clients, catalog=catalog, settings=settings, clock=clock
    )
    game_api = GameApi(
        engine=db, spins=spins, catalog=catalog, clients=clients, wallet=wallet, clock=clock
    )
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
        await db.start()
        try:
            await migrate(db, PROVIDER)
            await db.run(lambda: ensure_pools(settings.jackpots, catalog.currencies, now=clock()))
            if relay:
                outbox_relay.start()
            yield
        finally:
            await outbox_relay.stop()
            if isinstance(http, HttpxTransport):
                await http.aclose()
            await db.close()

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
