"""A fault-injecting wallet stand-in: forwards to a real wallet, or misbehaves on cue.

``FaultProxy`` sits between a provider and a real wallet (e.g. the reelbridge
aggregator). ``POST /wallet/{client_id}`` is forwarded unchanged (the same bytes, the
same ``X-Sign``) and the wallet's answer returned, unless a programmed fault matches.
Every request is recorded, so a test can check that a resend carried the same bytes::

    proxy = FaultProxy(wallet_base_url)
    with serve_in_thread(proxy.app) as url:   # the provider's wallet_url: f"{url}/wallet/{id}"
        proxy.add(action="win", times=2, kind=http_status(500))
        ...                                   # proxy.requests(action="win"): every attempt
        proxy.release()                       # ends any hang before the server stops

What the real wallet sees / what the provider gets, for each fault:

- ``delay(s)``: the request after ``s`` seconds / its answer (a slow request);
  ``delay(s, forward="before")``: the request at once / its answer after ``s`` seconds;
  ``delay(s, forward="never")``: nothing / HTTP 504 after ``s`` seconds (a lost request);
- ``reply(code, message)``, ``http_status(500)``, ``not_json()``: nothing / that
  protocol error (HTTP 200), that HTTP status, an HTML page;
- ``forward_then_fail(s)``: the request at once / HTTP 502 after ``s`` s (a lost answer);
- ``hang_until(event)``: the request once ``event`` is set / its answer then;
- ``duplicate(n)``: the request ``n`` times at once / the first copy's answer;
- ``cut()``: the request at once / the connection closed mid-answer (a reset);
  ``cut(forward="never")``: nothing / the same.

Besides rules (``add``), a ``chooser`` may pick a fault for any request no rule matched
(e.g. from a seeded RNG, for chaos runs). What the real wallet answered to each request
it got is kept too (``answers``), so a test knows which calls were acknowledged.

Faults are programmed from the test's thread while the app serves in another (one lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from reelbridge.protocol import SIGN_HEADER

Forward = Literal["before", "after", "never"]  # when the real wallet gets the request


@dataclass(frozen=True, slots=True)
class Fault:
    """What the proxy does instead of a plain forward (build one with the helpers below):
    forward the request to the real wallet ``before`` or ``after`` waiting ``seconds``
    and/or for ``event`` (or ``never``); then pass the wallet's answer on, or (if ``body``
    is not None) answer ``status``, ``body`` and ``media_type`` instead."""

    name: str
    forward: Forward = "never"
    seconds: float = 0.0  # float ok: seconds
    event: threading.Event | None = None
    status: int = 200
    body: bytes | None = None
    media_type: str = "application/json"
    copies: int = 1  # how many times the request is forwarded (at once)
    cut: bool = False  # close the connection mid-answer instead of answering


def delay(seconds: float, *, forward: Forward = "after") -> Fault:  # float ok: seconds
    """Delay the request (``"after"``) or its answer (``"before"``), or lose it (``"never"``)."""
    if forward == "never":
        return Fault("delay-drop", seconds=seconds, status=504, body=b"gateway timeout")
    return Fault(f"delay ({forward})", forward=forward, seconds=seconds)


def reply(code: str, message: str = "") -> Fault:
    """Answer a protocol error body (HTTP 200) without forwarding."""
    body = json.dumps({"status": False, "code": code, "message": message or code}).encode()
    return Fault(f"reply {code}", body=body)


def http_status(status: int, body: bytes = b'{"error": "injected"}') -> Fault:
    """Answer ``status`` with a body that is not a protocol answer, without forwarding."""
    return Fault(f"http {status}", status=status, body=body, media_type="text/plain")


def not_json() -> Fault:
    """Answer HTTP 200 with an HTML page, without forwarding."""
    return Fault("not json", body=b"<html><body>Bad Gateway</body></html>", media_type="text/html")


def forward_then_fail(seconds: float = 0.0) -> Fault:  # float ok: seconds
    """Forward (the wallet applies it), then answer 502 after ``seconds`` (a lost answer)."""
    return Fault("forward-then-fail", forward="before", seconds=seconds, status=502, body=b"lost")


def hang_until(event: threading.Event, *, forward: Forward = "after") -> Fault:
    """Hold the request until ``event`` is set, forwarding it then (``"after"``), at once
    (``"before"``, then answer 504) or not at all (``"never"``, answer 504)."""
    return Fault(f"hang ({forward})", forward=forward, event=event, status=504, body=b"hung")


def duplicate(copies: int = 2) -> Fault:
    """Forward the request ``copies`` times at once; pass the first copy's answer on."""
    if copies < 2:
        raise ValueError("a duplicate needs at least two copies")
    return Fault(f"duplicate x{copies}", forward="before", copies=copies)


def cut(*, forward: Forward = "before") -> Fault:
    """Close the connection mid-answer (the client sees a reset), after forwarding the
    request (``"before"``: the wallet applies it) or without (``"never"``)."""
    if forward == "after":
        raise ValueError("a cut connection forwards before or never")
    return Fault(f"cut ({forward})", forward=forward, cut=True)


Chooser = Callable[[str | None, str | None], Fault | None]
"""Picks a fault (or None) for a request of ``(action, transaction id)``."""


class ConnectionCut(Exception):
    """Raised inside the proxy's app to make the server drop the connection."""


class _Cut(Response):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Headers and part of the body, then an exception: an ASGI server closes the
        # connection of a response it cannot finish.
        headers = [(b"content-type", b"application/json"), (b"content-length", b"64")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"status":', "more_body": True})
        raise ConnectionCut("the proxy cut the connection")


class _QuietCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionCut))


@dataclass(frozen=True, slots=True)
class Answered:
    """What the real wallet answered to one request it got (``status``: HTTP, 502 when
    unreachable; ``body``: the exact bytes)."""

    action: str | None
    tx: str | None
    status: int
    body: bytes

    @property
    def acknowledged(self) -> bool:
        """Whether the wallet said yes (HTTP 200 and ``"status": true``)."""
        if self.status != 200:
            return False
        try:
            data: Any = json.loads(self.body)
        except (ValueError, RecursionError):
            return False
        return isinstance(data, dict) and data.get("status") is True


@dataclass(frozen=True, slots=True)
class Recorded:
    """One request received: its ``action`` and ``tx`` (transaction id; None if unreadable),
    the exact ``body`` bytes and ``signature``, ``at`` (``time.monotonic()`` on arrival)
    and the name of the ``fault`` applied (None for a plain forward)."""

    action: str | None
    tx: str | None
    body: bytes
    signature: str | None
    at: float  # float ok: monotonic seconds
    fault: str | None


@dataclass
class _Rule:
    kind: Fault
    action: str | None
    tx: str | None
    remaining: int | None


def _fields(body: bytes) -> tuple[str | None, str | None]:
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    get = data.get if isinstance(data, dict) else lambda key: None
    action, tx = get("action"), get("transaction_id")
    return (action if isinstance(action, str) else None, tx if isinstance(tx, str) else None)


class FaultProxy:
    """A wallet stand-in that forwards to ``upstream`` (a base URL) and injects faults."""

    def __init__(self, upstream: str, *, max_hang_seconds: float = 60.0) -> None:  # float ok
        self._upstream = upstream.rstrip("/")
        self._max_hang = max_hang_seconds
        self._lock = threading.Condition()
        self._rules: list[_Rule] = []
        self._records: list[Recorded] = []
        self._answers: list[Answered] = []
        self._chooser: Chooser | None = None
        self._released = threading.Event()
        self._busy = 0
        self._http: httpx.AsyncClient | None = None
        route = Route("/wallet/{client_id}", self._handle, methods=["POST"])
        self.app = Starlette(routes=[route], lifespan=self._lifespan)

    def add(self, *, kind: Fault, action: str | None = None, tx: str | None = None,
            times: int | None = 1) -> None:  # fmt: skip
        """Apply ``kind`` to the next ``times`` requests (None: until ``clear``) of this
        ``action`` and transaction id ``tx`` (None matches any); rules match in order."""
        with self._lock:
            self._rules.append(_Rule(kind, action, tx, times))

    def choose(self, chooser: Chooser | None) -> None:
        """Ask ``chooser`` for a fault for every request no rule matches (None: stop)."""
        with self._lock:
            self._chooser = chooser

    def clear(self) -> None:
        """Remove every rule not yet used up (requests already held are not released)."""
        with self._lock:
            self._rules.clear()

    def release(self) -> None:
        """End every hang now and from now on (call before stopping the server)."""
        self._released.set()

    def requests(self, action: str | None = None, tx: str | None = None) -> list[Recorded]:
        """The requests received so far, oldest first, filtered by action and transaction id."""
        with self._lock:
            return [r for r in self._records if action in (None, r.action) and tx in (None, r.tx)]

    def answers(self, action: str | None = None, tx: str | None = None) -> list[Answered]:
        """What the real wallet answered so far, oldest first, filtered like ``requests``."""
        with self._lock:
            return [a for a in self._answers if action in (None, a.action) and tx in (None, a.tx)]

    def wait_for(self, action: str | None = None, *, count: int = 1,
                 timeout: float = 10.0) -> list[Recorded]:  # fmt: skip  # float ok: seconds
        """Block until ``count`` requests of ``action`` arrived (else ``TimeoutError``)."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.requests(action)) >= count, timeout):
                raise TimeoutError(f"fewer than {count} {action or ''} requests arrived")
            return self.requests(action)

    def wait_idle(self, timeout: float = 10.0) -> None:  # float ok: seconds
        """Block until no request is being held or forwarded (else ``TimeoutError``)."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._busy == 0, timeout):
                raise TimeoutError(f"{self._busy} requests still in the proxy")

    def _take(self, action: str | None, tx: str | None) -> Fault | None:
        for rule in self._rules:
            if rule.action in (None, action) and rule.tx in (None, tx):
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                return rule.kind
        return None if self._chooser is None else self._chooser(action, tx)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        quiet = _QuietCuts()
        logging.getLogger("uvicorn.error").addFilter(quiet)
        try:
            async with httpx.AsyncClient(timeout=30.0) as http:
                self._http = http
                yield
        finally:
            logging.getLogger("uvicorn.error").removeFilter(quiet)

    async def _forward(self, request: Request, body: bytes) -> Response:
        assert self._http is not None, "the proxy serves only with its lifespan"
        passed = ("content-type", SIGN_HEADER.lower(), "x-request-id")
        headers = {k: v for k, v in request.headers.items() if k in passed}
        url = f"{self._upstream}/wallet/{request.path_params['client_id']}"
        action, tx = _fields(body)
        try:
            answer = await self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            with self._lock:
                self._answers.append(Answered(action, tx, 502, b""))
            return Response(f"upstream unreachable: {exc}".encode(), status_code=502)
        with self._lock:
            self._answers.append(Answered(action, tx, answer.status_code, answer.content))
        media = answer.headers.get("content-type", "application/json")
        return Response(answer.content, status_code=answer.status_code, media_type=media)

    def _hold(self, event: threading.Event) -> None:
        deadline = time.monotonic() + self._max_hang
        while not (event.wait(0.01) or self._released.is_set() or time.monotonic() > deadline):
            pass

    async def _handle(self, request: Request) -> Response:
        with self._lock:
            self._busy += 1
        try:
            return await self._respond(request)
        except ClientDisconnect:  # the caller died mid-request (a killed provider)
            return Response(b"", status_code=499)
        finally:
            with self._lock:
                self._busy -= 1
                self._lock.notify_all()

    async def _respond(self, request: Request) -> Response:
        body = await request.body()
        action, tx = _fields(body)
        signature, now = request.headers.get(SIGN_HEADER), time.monotonic()
        with self._lock:
            fault = self._take(action, tx)
            name = None if fault is None else fault.name
            self._records.append(Recorded(action, tx, body, signature, now, name))
            self._lock.notify_all()
        if fault is None:
            return await self._forward(request, body)
        answer = None
        if fault.forward == "before":
            copies = [self._forward(request, body) for _ in range(fault.copies)]
            answer = (await asyncio.gather(*copies))[0]
        if fault.seconds:  # cut short by release()
            await asyncio.to_thread(self._released.wait, fault.seconds)
        if fault.event is not None:
            await asyncio.to_thread(self._hold, fault.event)
        if fault.forward == "after":
            return await self._forward(request, body)
        if fault.cut:
            return _Cut()
        if fault.body is None and answer is not None:
            return answer
        return Response(fault.body or b"", status_code=fault.status, media_type=fault.media_type)
