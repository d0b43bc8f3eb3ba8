"""The kit's wallet: a real wallet that records every call and misbehaves on cue.

A provider under certification (and a studio's provider in the sandbox) is pointed at
``POST {url}/wallet/{client_id}``. Behind it runs reelbridge's own aggregator wallet, in
process, on a database of the kit's (so every answer follows PROTOCOL.md exactly); in
front of it every call is recorded with its exact bytes, the signature's verdict and
why, the answer sent back and the latency, and the next calls may get a fault instead
(the ``Fault`` kinds of ``reelbridge.testing.faults``, plus ``garbage``).

The aggregator's admin API is mounted at ``{url}/aggregator/admin/…`` (bearer
``admin_token``): the kit opens players and sessions through it. Faults are queued
from any thread while the app serves in another (one lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from reelbridge.bootstrap import build_aggregator
from reelbridge.config import AggregatorSettings, generate_token
from reelbridge.protocol import SIGN_HEADER, ProtocolError
from reelbridge.testing import serve_in_thread
from reelbridge.testing.certify.signature import diagnose
from reelbridge.testing.faults import Fault
from reelbridge.web import read_body


def garbage() -> Fault:
    """Answer HTTP 200 with a JSON content type and a body that is not JSON."""
    return Fault("garbage", body=b'{"status":tru\x00e,"bal', media_type="application/json")


@dataclass(frozen=True)
class Call:
    """One wallet call as the kit saw it (a snapshot; ``done`` once answered).

    ``fields`` holds the request's top-level JSON fields as text (empty if unreadable);
    ``answer`` is exactly what the provider was sent back, ``status`` its HTTP status.
    """

    seq: int
    at: float  # float ok: wall-clock seconds (display)
    client_id: str
    body: bytes
    signature: str | None
    sign_ok: bool
    sign_reason: str
    fields: dict[str, str]
    fault: str | None = None
    status: int | None = None
    answer: bytes = b""
    latency_ms: float = 0.0  # float ok: statistics
    done: bool = False

    @property
    def action(self) -> str | None:
        """The request's ``action``."""
        return self.fields.get("action")

    @property
    def accepted(self) -> bool:
        """Whether the provider got a well-formed success answer."""
        if self.status != 200:
            return False
        try:
            data = json.loads(self.answer)
        except ValueError:
            return False
        return isinstance(data, dict) and data.get("status") is True


def _fields(body: bytes) -> dict[str, str]:
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}


@dataclass
class Rule:
    """A queued fault: applied to the next ``remaining`` calls (None: until removed) of
    ``action`` from ``client_id`` (None matches any)."""

    id: int
    fault: Fault
    action: str | None
    client_id: str | None
    remaining: int | None


class FaultWallet:
    """A recording, fault-injecting wallet over reelbridge's aggregator wallet."""

    def __init__(self, *, database_url: str, admin_token: str | None = None,
                 max_hold_seconds: float = 120.0) -> None:  # fmt: skip  # float ok: seconds
        self.admin_token = admin_token or generate_token()
        self.aggregator = build_aggregator(
            AggregatorSettings(database_url=database_url, admin_token=self.admin_token)
        )
        self._max_hold = max_hold_seconds
        self._lock = threading.Condition()
        self._rules: list[Rule] = []
        self._calls: list[Call] = []
        self._tokens: dict[str, tuple[str, ...]] = {}
        self._released = threading.Event()
        self._ids = itertools.count(1)
        self.upstream: httpx.AsyncClient | None = None
        self.app = Starlette(routes=self.routes(), lifespan=self.lifespan)

    def routes(self) -> list[BaseRoute]:
        """The wallet endpoint and the mounted admin API (to compose a larger app)."""
        return [
            Route("/wallet/{client_id}", self._handle, methods=["POST"]),
            Mount("/aggregator", app=self.aggregator),
        ]

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """Start the in-process aggregator (its database) and the client that reaches it."""
        async with self.aggregator.router.lifespan_context(self.aggregator):
            transport = httpx.ASGITransport(app=self.aggregator)
            async with httpx.AsyncClient(transport=transport, base_url="http://aggregator") as up:
                self.upstream = up
                try:
                    yield
                finally:
                    self.release()
                    self.upstream = None

    @contextlib.contextmanager
    def serve(self, *, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
        """Serve in a background thread; yield the base URL. Holds end before it stops."""
        with serve_in_thread(self.app, host=host, port=port) as url:
            try:
                yield url
            finally:
                self.release()

    # -- programming it (any thread) ----------------------------------------------------

    def remember_tokens(self, client_id: str, tokens: Sequence[str]) -> None:
        """Tell the signature diagnosis a client's tokens (the wallet itself learns them
        through its admin API)."""
        with self._lock:
            self._tokens[client_id] = tuple(tokens)

    def add(self, fault: Fault, *, action: str | None = None, client_id: str | None = None,
            times: int | None = 1) -> Rule:  # fmt: skip
        """Queue ``fault`` for the next ``times`` matching calls; rules match in order."""
        with self._lock:
            rule = Rule(next(self._ids), fault, action, client_id, times)
            self._rules.append(rule)
            return replace(rule)

    def rules(self) -> list[Rule]:
        """The queued faults, in order (copies)."""
        with self._lock:
            return [replace(r) for r in self._rules]

    def remove(self, rule_id: int) -> bool:
        """Drop a queued fault; False if it is gone already."""
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) < before

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._rules.clear()

    def release(self) -> None:
        """End every held answer now and from now on (before the server stops)."""
        self._released.set()

    def calls(self, *, since: int = 0, action: str | None = None) -> list[Call]:
        """Calls with ``seq`` > ``since``, oldest first, optionally of one action."""
        with self._lock:
            return [c for c in self._calls if c.seq > since and action in (None, c.action)]

    @property
    def last_seq(self) -> int:
        """The sequence number of the latest call (0 before any)."""
        with self._lock:
            return self._calls[-1].seq if self._calls else 0

    # -- serving --------------------------------------------------------------------------

    def _take(self, action: str | None, client_id: str) -> Fault | None:
        for rule in self._rules:
            if rule.action in (None, action) and rule.client_id in (None, client_id):
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                return rule.fault
        return None

    async def _handle(self, request: Request) -> Response:
        started = time.perf_counter()
        client_id = request.path_params["client_id"]
        try:
            body = await read_body(request)
        except ProtocolError:  # over 64 KiB: forwarded empty, the wallet refuses it
            body = b""
        signature = request.headers.get(SIGN_HEADER)
        with self._lock:
            others = {k: v for k, v in self._tokens.items() if k != client_id}
            check = diagnose(body, signature, self._tokens.get(client_id, ()), others=others)
            fields = _fields(body)
            fault = self._take(fields.get("action"), client_id)
            seq = len(self._calls) + 1
            name = None if fault is None else fault.name
            call = Call(
                seq, time.time(), client_id, body, signature, check.ok, check.reason, fields, name
            )
            self._calls.append(call)
            self._lock.notify_all()
        response = await self._respond(client_id, body, signature, fault)
        with self._lock:
            self._calls[seq - 1] = replace(
                self._calls[seq - 1],
                status=response.status_code,
                answer=bytes(response.body),
                latency_ms=(time.perf_counter() - started) * 1000,
                done=True,
            )
            self._lock.notify_all()
        return response

    async def _forward(self, client_id: str, body: bytes, signature: str | None) -> Response:
        assert self.upstream is not None, "the wallet serves only inside its lifespan"
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[SIGN_HEADER] = signature
        answer = await self.upstream.post(f"/wallet/{client_id}", content=body, headers=headers)
        return Response(
            answer.content, status_code=answer.status_code, media_type="application/json"
        )

    async def _hold(self, seconds: float, event: threading.Event | None) -> None:  # float ok
        # Polled rather than parked in a thread: any number of calls may be held at once.
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._released.is_set():
            if event is not None and event.is_set():
                return
            await asyncio.sleep(min(0.02, max(0.0, deadline - time.monotonic())))

    async def _respond(self, client_id: str, body: bytes, signature: str | None,
                       fault: Fault | None) -> Response:  # fmt: skip
        if fault is None:
            return await self._forward(client_id, body, signature)
        answer = (
            await self._forward(client_id, body, signature) if fault.forward == "before" else None
        )
        if fault.seconds:  # cut short by release()
            await self._hold(min(fault.seconds, self._max_hold), None)
        if fault.event is not None:
            await self._hold(self._max_hold, fault.event)
        if fault.forward == "after":
            return await self._forward(client_id, body, signature)
        if fault.body is None and answer is not None:
            return answer
        return Response(fault.body or b"", status_code=fault.status, media_type=fault.media_type)
