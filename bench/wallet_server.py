"""``reelbridge …`` (the real CLI) plus one read-only route for the benchmark.

    python bench/wallet_server.py aggregator serve --database-url URL --host H --port P

Exactly ``python -m reelbridge aggregator serve …`` — same code path, same uvicorn
settings — except that the app built by ``build_aggregator`` gets one more route,
``GET /_bench/stats``, appended *after* all others (so routing of the wallet is
unchanged). It reports the SQLite engine's group-commit counters (``batches``,
``flows``) and which event loop and HTTP parser the server really runs.
``bench_wallet.py --exact-cli`` skips this wrapper.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import reelbridge.bootstrap as bootstrap

_build = bootstrap.build_aggregator


def _build_with_stats(*args: Any, **kwargs: Any) -> Any:
    app = _build(*args, **kwargs)

    async def stats(request: Request) -> JSONResponse:
        engine = app.state.engine
        return JSONResponse(
            {
                "engine": engine.dialect,
                "batches": getattr(engine, "batches", None),
                "flows": getattr(engine, "flows", None),
                "loop": type(asyncio.get_running_loop()).__module__,
                "http": sorted(
                    name.rsplit(".", 1)[-1]
                    for name in sys.modules
                    if name.startswith("uvicorn.protocols.http.") and name.endswith("_impl")
                ),
            }
        )

    app.router.routes.append(Route("/_bench/stats", stats, methods=["GET"]))
    return app


bootstrap.build_aggregator = _build_with_stats  # cli/aggregator.py imports it at call time

if __name__ == "__main__":
    from reelbridge.cli import main

    sys.argv[0] = "reelbridge"
    main()
