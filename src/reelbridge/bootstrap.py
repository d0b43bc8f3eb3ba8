"""The composition root: the one place that builds engines, clocks and apps."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware

from reelbridge.aggregator.admin_api import AdminApi
from reelbridge.aggregator.site import site_routes
from reelbridge.aggregator.wallet import AggregatorApp, ClientTokens, WalletEndpoint
from reelbridge.config import AggregatorSettings, ProviderSettings, settings_from_workers
from reelbridge.games import (
    JackpotError,
    JackpotPlan,
    Rng,
    SecretsRng,
    SlotGame,
    check_fair,
    installed_games,
    rtp_by_stake,
)
from reelbridge.observability import (
    AccessLog,
    AggregatorMetrics,
    ProviderMetrics,
    RequestContext,
    health_routes,
    observing,
)
from reelbridge.provider import jackpots, rounds
from reelbridge.provider.call_log import CallLog
from reelbridge.provider.catalog import Catalog
from reelbridge.provider.clients import ClientDirectory
from reelbridge.provider.launch import LaunchService
from reelbridge.provider.outbox import Deliverer, Relay
from reelbridge.provider.remote_games import RemoteGames
from reelbridge.provider.remote_service import RemoteRounds
from reelbridge.provider.spins import RoundIds, SpinService, random_round_ids
from reelbridge.provider.wallet_client import WalletClient, WalletTransport
from reelbridge.provider.wallet_http import Http11Transport
from reelbridge.provider.web.admin_api import ProviderAdminApi
from reelbridge.provider.web.console import console_routes
from reelbridge.provider.web.endpoints import ProviderEndpoints
from reelbridge.provider.web.engine_admin import EngineAdmin
from reelbridge.provider.web.engine_api import EngineApi
from reelbridge.provider.web.game_api import GameApi
from reelbridge.storage import AGGREGATOR, PROVIDER, Engine, engine_from_url, migrate
from reelbridge.storage.audit import fingerprint_key
from reelbridge.web.edge import edge_limits
from reelbridge.web.limits import ClientLimits

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
    db = (
        engine
        if engine is not None
        else engine_from_url(settings.database_url, read_url=settings.read_database_url)
    )
    metrics = AggregatorMetrics()
    access = AccessLog(enabled=settings.log.access, fmt=settings.log.format)
    tokens = ClientTokens(engine=db, ttl_seconds=settings.token_cache_seconds)
    wallet = WalletEndpoint(
        engine=db,
        tokens=tokens,
        clock=clock,
        metrics=metrics,
        access=access,
        limits=ClientLimits(settings.limits),
    )
    admin = AdminApi(
        engine=db,
        admin_token=settings.admin_token,
        tokens=tokens,
        clock=clock,
        session_ttl_seconds=settings.session_ttl_seconds,
        metrics=metrics,
        fingerprint_key=fingerprint_key(settings.fingerprint_key, settings.admin_token),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await db.start()
        try:
            await migrate(db, AGGREGATOR)
            async with observing(metrics, db, edge=edge_limits(settings.http)) as state:
                yield state
        finally:
            access.flush()
            await db.close()

    # POST /wallet/{client_id} is served by ``wallet`` itself, ahead of these routes.
    routes = [
        *health_routes(db, AGGREGATOR, side="aggregator"),
        *admin.routes(),
        *site_routes(settings, engine=db, clock=clock),  # lobby, back office
    ]
    app = AggregatorApp(
        wallet=wallet,
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(RequestContext, metrics=metrics, access=access)],
    )
    app.state.engine = db
    app.state.metrics = metrics
    app.state.settings = settings
    return app


def aggregator_app_from_env() -> Starlette:
    """App factory of a server's workers: the settings its parent resolved."""
    return freeze_startup(build_aggregator(settings_from_workers(AggregatorSettings, os.environ)))


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
    remote: RemoteGames
    engine_rounds: RemoteRounds
    metrics: ProviderMetrics
    call_log: CallLog

    async def start(self, *, relay: bool = True) -> None:
        """Connect, migrate, open the jackpot pools, install the remote engines' games,
        and start the relay (if asked)."""
        await self.engine.start()
        await migrate(self.engine, PROVIDER)
        now, plan, currencies = self.clock(), self.catalog.jackpots, self.catalog.currencies
        await self.engine.run(lambda: jackpots.open_pools(plan, currencies, now=now))
        await self.remote.sync(force=True)
        if relay:
            self.relay.start()
        self.call_log.start()

    async def stop(self, *, grace_seconds: float = 0.0) -> None:  # float ok: seconds
        """Stop the relay (between two deliveries, waiting up to ``grace_seconds`` for the
        pass under way), write the call log, close the wallet connections and the
        database."""
        try:
            await self.relay.stop(grace_seconds=grace_seconds)
            await self.call_log.stop()
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
    metrics: ProviderMetrics | None = None,
) -> ProviderServices:
    """Build the provider's services from settings and ports (nothing starts here)."""
    counters = metrics if metrics is not None else ProviderMetrics()
    db = engine if engine is not None else engine_from_url(settings.database_url)
    http = (
        transport
        if transport is not None
        else Http11Transport(timeout_seconds=settings.wallet_timeout_seconds)
    )
    randomness = rng if rng is not None else SecretsRng()
    call_log = CallLog(engine=db, clock=clock, days=settings.call_log_days)
    wallet = WalletClient(transport=http, metrics=counters, recorder=call_log)
    clients = ClientDirectory(engine=db, ttl_seconds=settings.token_cache_seconds)
    plan = settings.jackpots
    installed = installed_games()
    games, excluded = offered_games(tuple(entry.game for entry in installed.games), plan)
    catalog = Catalog(
        games=games,
        currencies=frozenset(settings.currencies),
        languages=settings.languages,
        jackpots=plan,
        sources={entry.game_id: str(entry.source) for entry in installed.games},
        excluded=excluded,
    )
    remote = RemoteGames(
        engine=db,
        catalog=catalog,
        ttl_seconds=settings.token_cache_seconds,
        fingerprint_key=fingerprint_key(settings.fingerprint_key, settings.admin_token),
    )
    lease_us = settings.spin_lease_seconds * 1_000_000
    ids = round_ids if round_ids is not None else random_round_ids(clock)
    deliverer = Deliverer(
        engine=db,
        wallet=wallet,
        clients=clients,
        clock=clock,
        jitter=randomness,
        on_delivered=rounds.delivered,
        metrics=counters,
    )
    spins = SpinService(
        engine=db,
        wallet=wallet,
        clients=clients,
        deliverer=deliverer,
        catalog=catalog,
        rng=randomness,
        clock=clock,
        round_ids=ids,
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
        launch_url_of=remote.launch_url,
        refresh=remote.sync,
    )
    engine_rounds = RemoteRounds(
        engine=db,
        spins=spins,
        games=remote,
        deliverer=deliverer,
        clock=clock,
        round_ids=ids,
        lease_us=lease_us,
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
        remote=remote,
        engine_rounds=engine_rounds,
        metrics=counters,
        call_log=call_log,
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
    """The provider ASGI app: aggregator-facing API, game API and page, engine API,
    admin API.

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
    metrics = services.metrics
    key = fingerprint_key(settings.fingerprint_key, settings.admin_token)
    access = AccessLog(enabled=settings.log.access, fmt=settings.log.format)
    endpoints = ProviderEndpoints(
        clients=clients,
        launches=services.launches,
        metrics=metrics,
        limits=ClientLimits(settings.limits),
    )
    game_api = GameApi(engine=db, spins=services.spins, catalog=catalog, clock=clock)
    admin = ProviderAdminApi(
        engine=db,
        admin_token=settings.admin_token,
        clients=clients,
        catalog=catalog,
        clock=clock,
        metrics=metrics,
        fingerprint_key=key,
        unsettled_alert_seconds=settings.engine_unsettled_alert_seconds,
    )
    engine_api = EngineApi(rounds=services.engine_rounds, games=services.remote)
    engine_admin = EngineAdmin(admin_token=settings.admin_token, games=services.remote, clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        try:
            await services.start(relay=relay)
            async with observing(metrics, db, edge=edge_limits(settings.http)) as state:
                yield state
        finally:
            access.flush()
            await services.stop(grace_seconds=settings.wallet_timeout_seconds + 1)

    routes = [
        *health_routes(db, PROVIDER, side="provider"),
        *endpoints.routes(),
        *game_api.routes(),
        *engine_api.routes(),
        *engine_admin.routes(),
        *admin.routes(),
        *console_routes(
            engine=db,
            catalog=catalog,
            admin_token=settings.admin_token,
            clock=clock,
            fingerprint_key=key,
        ),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(RequestContext, metrics=metrics, access=access)],
    )
    app.state.engine = db
    app.state.metrics = metrics
    app.state.settings = settings
    app.state.relay = outbox_relay
    return app


def provider_app_from_env() -> Starlette:
    """App factory of a server's workers: the settings its parent resolved."""
    return build_provider(settings_from_workers(ProviderSettings, os.environ))
