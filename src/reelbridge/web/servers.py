"""Running ASGI apps: ``run_server`` for ``serve`` (one process or several workers) and
``serve_in_thread`` for tests, the demo and the kit. Both use the production HTTP stack:
uvloop and httptools behind the guarded edge (``web/edge.py``) when installed."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from reelbridge.config import AggregatorSettings, ProviderSettings, settings_for_workers
from reelbridge.observability import MULTIPROCESS_ENV, logging_config
from reelbridge.web.edge import PROTOCOL_PATH


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http_stack() -> dict[str, Any]:
    """uvicorn's event loop and HTTP protocol: uvloop and the guarded httptools protocol
    when installed (the ``speed`` extra), else asyncio and h11 (h11 refuses an oversized
    head with 400 through ``h11_max_incomplete_event_size``; it has no stall guard)."""
    fast = importlib.util.find_spec("httptools") is not None
    loop = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
    return {"loop": loop, "http": PROTOCOL_PATH if fast else "h11"}


def run_server(
    app: Callable[[], ASGIApp],
    *,
    factory_path: str,
    settings: AggregatorSettings | ProviderSettings,
) -> None:
    """Serve one app in this process, or ``settings.http.workers`` processes, each built
    by ``factory_path`` from exactly these settings (uvicorn needs an import string to
    start workers; the settings travel in one variable, ``settings_for_workers``).

    SIGTERM or SIGINT: stop accepting, let requests in flight finish (at most
    ``graceful_shutdown_seconds``), run the apps' shutdown (the relay stops between two
    deliveries, the database closes), exit.
    """
    http = settings.http
    options: dict[str, Any] = {
        **http_stack(),
        "host": http.host,
        "port": http.port,
        "log_level": settings.log.level,
        "log_config": logging_config(settings.log.level, settings.log.format),
        "access_log": False,  # ours have the request id (observability.RequestContext)
        "timeout_keep_alive": http.keepalive_seconds,
        "timeout_graceful_shutdown": http.graceful_shutdown_seconds,
        "forwarded_allow_ips": list(http.forwarded_allow_ips),
        "proxy_headers": True,
        "h11_max_incomplete_event_size": http.max_header_bytes,
        "lifespan": "on",
    }
    if http.workers == 1:
        uvicorn.run(app(), **options)
        return
    os.environ.update(settings_for_workers(settings))
    own_dir = not os.environ.get(MULTIPROCESS_ENV)
    if own_dir:  # prometheus-client's multi-process mode: one scrape adds up every worker
        os.environ[MULTIPROCESS_ENV] = tempfile.mkdtemp(prefix="reelbridge-metrics-")
    try:
        uvicorn.run(factory_path, factory=True, workers=http.workers, **options)
    finally:
        if own_dir:
            shutil.rmtree(os.environ.pop(MULTIPROCESS_ENV), ignore_errors=True)


@contextlib.contextmanager
def serve_in_thread(
    app: ASGIApp, *, port: int | None = None, host: str = "127.0.0.1"
) -> Iterator[str]:
    """Serve ``app`` (lifespan included) on ``host`` (loopback unless told otherwise);
    yield its base URL (on 127.0.0.1 when ``host`` is ``0.0.0.0``).

    Returns only once the server accepts connections; stops it on exit.
    """
    config = uvicorn.Config(
        app, host=host, port=port or free_port(), log_level="warning", lifespan="on",
        **http_stack(),
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    started = threading.Event()

    def wait() -> None:
        while not server.started and thread.is_alive():
            started.wait(0.01)

    wait()
    if not server.started:
        thread.join()
        raise RuntimeError("the server did not start (see its log above)")
    try:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 (a comparison)
        yield f"http://{shown}:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
