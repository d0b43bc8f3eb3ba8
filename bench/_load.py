"""The load generator of the provider, scale-out and soak benchmarks.

``Conn`` is one keep-alive HTTP/1.1 connection per virtual client (requests built by
hand, replies read by ``Content-Length``); ``spin_client`` plays spins at the provider
and ``wallet_client`` signed bet + win pairs at the wallet, each in a loop until its
``Recorder`` stops; ``measure`` runs them through a warm-up and a measured window.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from _common import CLIENT_ID, CLIENT_TOKEN, GAME, Meter


class Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionResetError("connection lost"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        head = bytes(self.buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        stop = head.find(b"\r\n", at + 2)
        total = end + 4 + int(head[at + 17 : stop if stop > 0 else len(head)])
        if len(self.buffer) < total:
            return
        body = bytes(self.buffer[end + 4 : total])
        del self.buffer[:total]
        waiter, self.waiter = self.waiter, None
        if not waiter.done():
            waiter.set_result((int(head[9:12]), body))

    async def post(self, request: bytes) -> tuple[int, bytes]:
        """Send a whole request; the reply's status and body."""
        if self.transport is None:
            raise ConnectionResetError("not connected")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter

    def close(self) -> None:
        """Close the connection."""
        if self.transport is not None:
            self.transport.close()


def request(host: str, port: int, path: str, body: bytes, headers: str = "") -> bytes:
    """The bytes of a POST."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"{headers}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


@dataclass
class Recorder:
    """Completed calls inside the measured window (latency in seconds)."""

    start: float = float("inf")
    end: float = float("inf")
    stop: bool = False
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    on_done: Callable[[float, float, str | None], None] | None = None

    def record(self, t0: float, t1: float, error: str | None) -> None:
        """Count one call that ended at ``t1``."""
        if self.on_done is not None:
            self.on_done(t0, t1, error)
        if not self.start <= t1 < self.end:
            return
        self.latencies.append(t1 - t0)
        if error is not None:
            self.errors[error] += 1

    @property
    def count(self) -> int:
        """Calls counted."""
        return len(self.latencies)

    @property
    def ok(self) -> int:
        """Calls counted that succeeded."""
        return len(self.latencies) - sum(self.errors.values())


async def _connect(host: str, port: int) -> Conn:
    _, conn = await asyncio.get_running_loop().create_connection(Conn, host, port)
    return conn


async def spin_client(
    url: str, token: str, rec: Recorder, *, pace: Callable[[], Any] | None = None
) -> None:
    """Spin on one game session until ``rec.stop``; a spin is ok when it ends settled
    (bet, draw, win through the outbox to the wallet). ``pace``: awaited before each
    spin, returns the scheduled start (an open loop) or None (as fast as possible)."""
    host, port = url.removeprefix("http://").split(":")
    data = request(host, int(port), f"/game/api/{token}/spin", b'{"bet_id":0}')
    conn = await _connect(host, int(port))
    try:
        while not rec.stop:
            scheduled = await pace() if pace is not None else None
            if rec.stop:
                break
            t0 = time.perf_counter() if scheduled is None else scheduled
            status, body = await conn.post(data)
            error = None
            if status != 200:
                error = f"http {status}"
            else:
                shown = json.loads(body).get("status")
                error = None if shown == "settled" else f"spin {shown}"
            rec.record(t0, time.perf_counter(), error)
    finally:
        conn.close()


async def wallet_client(url: str, session: str, rec: Recorder, tag: str) -> None:
    """Signed bet (0.20) + win (0.10) rounds on one wallet session until ``rec.stop``;
    one *round* (both calls) is recorded per loop."""
    host, port = url.removeprefix("http://").split(":")
    key = CLIENT_TOKEN.encode()
    conn = await _connect(host, int(port))
    n = 0
    try:
        while not rec.stop:
            n += 1
            t0, error = time.perf_counter(), None
            for action, amount in (("bet", "0.2"), ("win", "0.1")):
                body = (
                    f'{{"action":"{action}","type":"{action}","session_id":"{session}",'
                    f'"amount":{amount},"transaction_id":"{tag}-{n}-{action}",'
                    f'"round_id":"{tag}-{n}","game_id":"{GAME}"}}'
                ).encode()
                sig = hmac.new(key, body, hashlib.sha256).hexdigest()
                status, reply = await conn.post(
                    request(host, int(port), f"/wallet/{CLIENT_ID}", body, f"X-Sign: {sig}\r\n")
                )
                if status != 200 or b'"status":true' not in reply:
                    error = f"{action} {status} {reply[:60]!r}"
                    break
            rec.record(t0, time.perf_counter(), error)
    finally:
        conn.close()


async def measure(
    clients: list[Any],
    rec: Recorder,
    meter: Meter,
    *,
    warmup: float,
    seconds: float,
    marks: tuple[Callable[[], None], Callable[[], None]] | None = None,
) -> dict[str, float]:  # float ok: seconds
    """Run the client coroutines: warm-up, the measured window, stop; CPU of the window.
    ``marks``: called as the window opens and closes (e.g. to signal a profiler)."""
    tasks = [asyncio.create_task(c) for c in clients]
    try:
        await asyncio.sleep(warmup)
        if marks:
            marks[0]()
        meter.begin()
        rec.start = time.perf_counter()
        await asyncio.sleep(seconds)
        rec.end = time.perf_counter()
        cpu = meter.end()
        if marks:
            marks[1]()
        rec.stop = True
        await asyncio.wait(tasks, timeout=15)
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise RuntimeError(f"a client failed: {task.exception()!r}")
        return cpu
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def run_async(coro: Any) -> Any:
    """Run ``coro`` on uvloop (the load generator's loop)."""
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)
