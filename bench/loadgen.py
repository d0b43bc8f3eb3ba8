"""The wallet benchmark's measurement: windows, CPU meters and the HTTP load generators.

``HttpLoad`` is closed-loop (each virtual client sends its next request when the last
one is answered: the peak); ``OpenLoad`` is open-loop (requests leave on a fixed
schedule whatever the answers, and latency counts from the scheduled time, so a slow
server cannot hide its queue: the latency at a given offered load).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bench_profile
from _common import machine_busy, proc_cpu
from _load import run_async

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
CLIENT_ID = "bench"
GAME_ID = "bench-game"
CURRENCY = "EUR"
FUNDING = "1000000.00"
WALLET_POOL_SIZE = 16  # PostgresEngine's default max_size
READY_TIMEOUT = 30.0
STOP_GRACE = 10.0
DISTURBED = 15.0  # % of a core used by other processes above which a figure is suspect
_TICK = os.sysconf("SC_CLK_TCK")


# -- measurement -----------------------------------------------------------------------


@dataclass
class Result:
    name: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)
    error_kinds: Counter[str] = field(default_factory=Counter)
    unfinished: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    skipped: str = ""
    baseline: str = ""
    target: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))] * 1000.0


class Window:
    """The shared clock of one run: warm-up, then the measured window, then stop."""

    def __init__(self) -> None:
        self.start = float("inf")
        self.end = float("inf")
        self.stop = False

    def inside(self, t: float) -> bool:
        return self.start <= t < self.end


def _proc_written(pid: int) -> int:
    """Bytes a process has caused to be written to storage (/proc/PID/io), or 0."""
    try:
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                if line.startswith("write_bytes:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _postgres_cpu(database: str | None) -> float:
    """CPU seconds of this PostgreSQL's processes that work for us.

    Counts the server's own processes (postmaster, WAL writer, checkpointer, …) and the
    backends connected to ``database``; backends of other databases (someone else's
    tests on the same server) are left out and show up as "other".
    """
    total = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                raw = f.read()
            if b"(postgres)" not in raw:
                continue
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                title = f.read()
        except OSError:
            continue
        is_backend = b"(" in title.split(b"\0")[0] or b"[local]" in title
        if is_backend and (database is None or database.encode() not in title):
            continue
        fields = raw.rsplit(b")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


class CpuMeter:
    """CPU used by each component during the measured window, in % of one core."""

    def __init__(self, server_pid: int | None, postgres: bool, database: str | None = None):
        self.server_pid = server_pid
        self.postgres = postgres
        self.database = database
        self._start: dict[str, float] = {}
        self._busy: tuple[float, float] = (0.0, 0.0)
        self._t = 0.0
        self._written = 0
        self.written = 0  # bytes the server wrote to storage during the window

    def _sample(self) -> dict[str, float]:
        times = os.times()
        sample = {"loadgen": times.user + times.system}
        if self.server_pid is not None:
            sample["server"] = proc_cpu(self.server_pid)
        if self.postgres:
            sample["postgres"] = _postgres_cpu(self.database)
        return sample

    def begin(self) -> None:
        self._start = self._sample()
        self._busy = machine_busy()
        self._written = _proc_written(self.server_pid) if self.server_pid else 0
        self._t = time.perf_counter()

    def end(self) -> dict[str, float]:
        elapsed = time.perf_counter() - self._t
        now = self._sample()
        busy, total = machine_busy()
        if self.server_pid:
            self.written = _proc_written(self.server_pid) - self._written
        usage = {k: 100.0 * (now[k] - self._start[k]) / elapsed for k in now}
        cores = os.cpu_count() or 1
        machine = 100.0 * cores * (busy - self._busy[0]) / max(1, total - self._busy[1])
        usage["other"] = max(0.0, machine - sum(usage.values()))
        usage["machine"] = machine
        return usage


# -- the HTTP load generator -----------------------------------------------------------


@dataclass
class Player:
    session_id: str


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: one request at a time, replies with a length."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[bytes, bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # uvloop's transports do not subclass asyncio's

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionResetError("connection lost"))

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        end = buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        head = bytes(buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            self._fail(ValueError("reply without content-length"))
            return
        stop = head.find(b"\r\n", at + 2)
        try:
            total = end + 4 + int(head[at + 17 : stop if stop > 0 else len(head)])
        except ValueError as exc:
            self._fail(exc)
            return
        if len(buffer) < total:
            return
        body = bytes(buffer[end + 4 : total])
        del buffer[:total]
        waiter, self.waiter = self.waiter, None
        if not waiter.done():
            waiter.set_result((head[9:12], body))

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def send(self, request: bytes) -> asyncio.Future[tuple[bytes, bytes]]:
        """Write a request; the future is the reply's (status code, body)."""
        if self.transport is None:
            raise ConnectionResetError("not connected")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class HttpLoad:
    """``concurrency`` keep-alive connections, each playing bet+win rounds on its session."""

    def __init__(
        self,
        host: str,
        port: int,
        token: str,
        players: list[Player],
        result: Result,
        *,
        bet: str,
        win: str,
    ) -> None:
        self.host = host
        self.port = port
        self.key = token.encode()
        self.players = players
        self.result = result
        self.bet = bet
        self.win = win
        self.tag = secrets.token_hex(3)
        self.result_window = Window()
        self.head = (
            f"POST /wallet/{CLIENT_ID} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/json\r\nX-Sign: "
        ).encode()

    def _request(self, action: str, session: str, amount: str, tx: str, rnd: str) -> bytes:
        body = (
            f'{{"action":"{action}","type":"{action}","session_id":"{session}",'
            f'"amount":{amount},"transaction_id":"{tx}","round_id":"{rnd}",'
            f'"game_id":"{GAME_ID}"}}'
        ).encode()
        sign = hmac.new(self.key, body, hashlib.sha256).hexdigest().encode()
        return b"%s%s\r\nContent-Length: %d\r\n\r\n%s" % (self.head, sign, len(body), body)

    def _record(self, t0: float, t1: float, error: str | None) -> None:
        if not self.result_window.inside(t1):
            return
        self.result.requests += 1
        self.result.latencies.append(t1 - t0)
        if error is not None:
            self.result.errors += 1
            self.result.error_kinds[error] += 1

    async def client(self, index: int, window: Window) -> None:
        player = self.players[index]
        prefix = f"{self.tag}-{index}"
        loop = asyncio.get_running_loop()
        conn: _Connection | None = None
        n = 0
        try:
            while not window.stop:
                if conn is None:
                    try:
                        _, conn = await loop.create_connection(_Connection, self.host, self.port)
                    except OSError as exc:
                        self.result.error_kinds[f"connect: {exc.__class__.__name__}"] += 1
                        await asyncio.sleep(0.1)
                        continue
                n += 1
                rnd = f"r-{prefix}-{n}"
                for action, amount, tx in (
                    ("bet", self.bet, f"b-{prefix}-{n}"),
                    ("win", self.win, f"w-{prefix}-{n}"),
                ):
                    request = self._request(action, player.session_id, amount, tx, rnd)
                    t0 = time.perf_counter()
                    try:
                        status, body = await conn.send(request)
                    except (OSError, ValueError) as exc:
                        self._record(t0, time.perf_counter(), f"io: {exc.__class__.__name__}")
                        conn.close()
                        conn = None
                        break
                    t1 = time.perf_counter()
                    if status != b"200":
                        self._record(t0, t1, f"http {status.decode(errors='replace')}")
                    elif b'"status":true' not in body:
                        self._record(t0, t1, f"{action} {error_code(body)}")
                        self.result.extra.setdefault("error_sample", body.decode(errors="replace"))
                    else:
                        self._record(t0, t1, None)
        finally:
            if conn is not None:
                conn.close()

    async def run(self, window: Window, concurrency: int) -> list[asyncio.Task[None]]:
        self.result_window = window
        return [asyncio.create_task(self.client(i, window)) for i in range(concurrency)]


class OpenLoad(HttpLoad):
    """Open loop: ``rate`` requests per second on a fixed schedule, whatever the answers.

    Request ``k`` is due at ``start + k / rate``; it is a bet (``k`` even) or the win of
    that round (``k`` odd), on session ``(k // 2) % players``, sent on any idle one of
    ``connections`` keep-alive connections (waiting in a queue when all are busy). Its
    latency counts from the time it was due, so a server that falls behind shows its
    queue in the figures (no coordinated omission). Requests due in the same
    millisecond leave together (the event loop's timer resolution).
    """

    def __init__(self, *args: Any, rate: float, connections: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rate = rate
        self.connections = connections
        self.queue: asyncio.Queue[tuple[float, int]] = asyncio.Queue()
        self.late = 0  # requests that waited for a free connection

    async def run(self, window: Window, concurrency: int) -> list[asyncio.Task[None]]:
        self.result_window = window
        self.queue = asyncio.Queue()
        workers = [asyncio.create_task(self._worker(window)) for _ in range(self.connections)]
        return [asyncio.create_task(self._schedule(window)), *workers]

    async def _schedule(self, window: Window) -> None:
        start = time.perf_counter()
        k = 0
        while not window.stop:
            now = time.perf_counter()
            due = start + k / self.rate
            while due <= now:
                if self.queue.qsize() >= self.connections:
                    self.late += 1
                self.queue.put_nowait((due, k))
                k += 1
                due = start + k / self.rate
            # At least a millisecond (the loop's timer resolution): everything due by
            # then leaves together on the next turn, and the scheduler never spins.
            await asyncio.sleep(max(0.001, due - time.perf_counter()))
        for _ in range(self.connections):
            self.queue.put_nowait((0.0, -1))

    async def _worker(self, window: Window) -> None:
        loop = asyncio.get_running_loop()
        conn: _Connection | None = None
        try:
            while True:
                due, k = await self.queue.get()
                if k < 0 or window.stop:
                    return
                if conn is None:
                    try:
                        _, conn = await loop.create_connection(_Connection, self.host, self.port)
                    except OSError as exc:
                        self._record(due, time.perf_counter(), f"connect: {type(exc).__name__}")
                        continue
                pair = k // 2
                session = self.players[pair % len(self.players)].session_id
                action, amount = ("bet", self.bet) if k % 2 == 0 else ("win", self.win)
                tx = f"{action[0]}-{self.tag}-{pair}"
                request = self._request(action, session, amount, tx, f"r-{self.tag}-{pair}")
                try:
                    status, body = await conn.send(request)
                except (OSError, ValueError) as exc:
                    self._record(due, time.perf_counter(), f"io: {type(exc).__name__}")
                    conn.close()
                    conn = None
                    continue
                t1 = time.perf_counter()
                if status != b"200":
                    self._record(due, t1, f"http {status.decode(errors='replace')}")
                elif b'"status":true' not in body:
                    self._record(due, t1, f"{action} {error_code(body)}")
                else:
                    self._record(due, t1, None)
        finally:
            if conn is not None:
                conn.close()


class AdminReader:
    """Admin reads in a loop on one keep-alive connection: the ledger check, two
    listings and ``/metrics``, then a pause; latency of each read by path."""

    PATHS = (
        "/admin/ledger",
        "/admin/transactions?limit=50",
        "/admin/players?limit=50",
        "/metrics",
    )

    def __init__(self, host: str, port: int, admin_token: str, pause: float) -> None:
        self.host = host
        self.port = port
        self.pause = pause
        self.auth = f"Authorization: Bearer {admin_token}\r\n".encode()
        self.latencies: dict[str, list[float]] = {p.split("?")[0]: [] for p in self.PATHS}
        self.errors: Counter[str] = Counter()

    async def run(self, window: Window) -> None:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(_Connection, self.host, self.port)
        try:
            while not window.stop:
                for path in self.PATHS:
                    request = (
                        f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n".encode()
                        + self.auth
                        + b"\r\n"
                    )
                    t0 = time.perf_counter()
                    status, _ = await conn.send(request)
                    t1 = time.perf_counter()
                    if window.inside(t1):
                        self.latencies[path.split("?")[0]].append(t1 - t0)
                        if status != b"200":
                            self.errors[f"{path} http {status.decode(errors='replace')}"] += 1
                await asyncio.sleep(self.pause)
        finally:
            conn.close()

    def summary(self) -> dict[str, Any]:
        """Reads done in the window and their latency (ms) by path."""
        out: dict[str, Any] = {}
        for path, values in self.latencies.items():
            ordered = sorted(values)
            out[path] = {
                "reads": len(ordered),
                "p50_ms": round(1000 * ordered[len(ordered) // 2], 2) if ordered else None,
                "max_ms": round(1000 * ordered[-1], 2) if ordered else None,
            }
        if self.errors:
            out["errors"] = dict(self.errors)
        return out


def error_code(body: bytes) -> str:
    try:
        return str(json.loads(body).get("code", "?"))
    except (ValueError, AttributeError):
        return "not-json"


async def _stats(host: str, port: int) -> dict[str, Any] | None:
    """GET /_bench/stats (bench/wallet_server.py), or None."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return None
    try:
        writer.write(
            f"GET /_bench/stats HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        )
        raw = await asyncio.wait_for(reader.read(), 5)
        head, _, body = raw.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            return None
        data: dict[str, Any] = json.loads(body)
        return data
    except (OSError, ValueError, TimeoutError):
        return None
    finally:
        writer.close()


async def drive(
    start: Any,
    window: Window,
    result: Result,
    meter: CpuMeter,
    *,
    warmup: float,
    seconds: float,
    stats_at: tuple[str, int] | None,
    profile_to: Path | None = None,
) -> None:
    """Start the clients, run warm-up and the window, stop them (bounded)."""
    tasks: list[asyncio.Task[None]] = await start(window)
    try:
        await asyncio.sleep(warmup)
        before = await _stats(*stats_at) if stats_at else None
        sampler = None
        if profile_to is not None and meter.server_pid is not None:
            sampler = bench_profile.Sampler(meter.server_pid, profile_to, seconds)
            sampler.start()
        meter.begin()
        window.start = time.perf_counter()
        await asyncio.sleep(seconds)
        window.end = time.perf_counter()
        result.cpu = meter.end()
        if sampler is not None and await asyncio.to_thread(sampler.wait):
            result.extra["profile"] = str(profile_to)
        if meter.written:
            result.extra["server_disk_writes_mb"] = round(meter.written / 1e6, 1)
        result.seconds = window.end - window.start
        window.stop = True
        after = await _stats(*stats_at) if stats_at else None
        if before and after and after.get("batches") is not None:
            batches = after["batches"] - before["batches"]
            flows = after["flows"] - before["flows"]
            result.extra["sqlite_batches"] = batches
            result.extra["sqlite_flows"] = flows
            result.extra["sqlite_flows_per_batch"] = flows / batches if batches else 0.0
        if after:
            result.extra["server_loop"] = after.get("loop")
            result.extra["server_http"] = ",".join(after.get("http", []))
        _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE)
        result.unfinished = len(pending)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def run_http_load(
    load: HttpLoad, args: argparse.Namespace, meter: CpuMeter, stats_at: tuple[str, int] | None
) -> None:
    profile_to = None
    if args.profile is not None and meter.server_pid is not None:
        slug = load.result.name.replace(" ", "_")
        profile_to = Path(args.profile) / f"{slug}-{secrets.token_hex(2)}.raw"
    window = Window()

    async def start(w: Window) -> list[asyncio.Task[None]]:
        return await load.run(w, args.concurrency)

    run_async(
        drive(
            start,
            window,
            load.result,
            meter,
            warmup=args.warmup,
            seconds=args.seconds,
            stats_at=stats_at,
            profile_to=profile_to,
        )
    )
