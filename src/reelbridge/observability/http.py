"""Request ids, access lines and quiet disconnects for the Starlette part of each app, and
the unauthenticated probes ``GET /healthz`` and ``GET /readyz``."""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelbridge.observability.access import AccessLog
from reelbridge.observability.logs import REQUEST_ID_HEADER, accepted_request_id, set_request_id
from reelbridge.observability.metrics import Metrics
from reelbridge.storage import Engine, Migration, pending_migrations

log = logging.getLogger("reelbridge.http")
_HEADER = REQUEST_ID_HEADER.encode()
READY_TIMEOUT_SECONDS = 2.0  # float ok: seconds


def request_id_of(scope: Scope) -> str:
    """The request's id: its ``X-Request-Id`` if usable, else a fresh one."""
    for name, value in scope["headers"]:
        if name == _HEADER:
            return accepted_request_id(value)
    return accepted_request_id(None)


class RequestContext:
    """ASGI middleware: a request id for every HTTP request (taken from ``X-Request-Id``
    or made up, answered back, on every log record of the request), one access line per
    request (``access=True``), and a client that went away mid-request is counted and
    logged at debug level: it is not an error, and nothing answers it."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, access: AccessLog) -> None:
        self.app = app
        self._metrics = metrics
        self._access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        set_request_id(request_id)
        started = time.perf_counter()
        status = 0
        gone = False

        async def receive_noting() -> Message:
            nonlocal gone
            message = await receive()
            if message["type"] == "http.disconnect":
                gone = True
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive_noting, send_with_id)
        except ClientDisconnect:
            gone = True
        except Exception:
            if not gone:
                raise
        if gone and not status:
            self._metrics.client_disconnects.inc()
            log.debug("client went away mid-request", extra={"path": scope["path"]})
        if self._access.enabled:
            client = scope.get("client")
            self._access.write(
                f"{scope['method']} {scope['path']} {status or '-'}",
                {
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status or None,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "client": client[0] if client else None,
                },
            )


def health_routes(
    engine: Engine,
    migrations: tuple[Migration, ...],
    *,
    side: str,
) -> list[Route]:
    """``GET /healthz`` (the process answers), ``GET /readyz`` (the database answers and
    every migration is applied: 503 with the reason otherwise), and the older
    ``GET /health``. None needs a token: load balancers and orchestrators probe them."""

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "side": side})

    async def readyz(request: Request) -> JSONResponse:
        try:
            async with asyncio.timeout(READY_TIMEOUT_SECONDS):
                pending = await engine.read(lambda: pending_migrations(migrations))
        except Exception as exc:  # the database is down, locked or not set up
            reason = f"database unavailable: {type(exc).__name__}"
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        if pending:
            reason = f"migrations not applied: {', '.join(pending)}"
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        return JSONResponse({"status": "ready", "side": side, "engine": engine.dialect})

    async def health(request: Request) -> JSONResponse:
        body = {"status": "ok", "engine": engine.dialect}
        return JSONResponse(body if side == "aggregator" else {**body, "side": side})

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
    ]
