"""The composition root: the one place that builds engines, clocks and apps."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reelbridge.aggregator.admin_api import AdminApi
from reelbridge.aggregator.wallet import ClientTokens, WalletEndpoint
from reelbridge.config import AggregatorSettings
from reelbridge.storage import AGGREGATOR, Engine, engine_from_url, migrate


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
