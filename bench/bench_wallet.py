#!/usr/bin/env python3
"""The wallet benchmark: bet+win pairs over HTTP, against a baseline measured in the same run.

    .venv/bin/python bench/bench_wallet.py --seconds 10 --concurrency 64 --engines sqlite,postgres

Targets, each measured for ``--seconds`` after ``--warmup`` seconds, by the same
``--concurrency`` virtual clients:

- ``bare``: a minimal uvicorn+Starlette endpoint (``bench/bare_server.py``) answering a
  fixed ``{"status":true,"balance":1.0}``; same server settings as the wallet.
- ``wallet sqlite``: ``reelbridge aggregator serve`` on a fresh SQLite file
  (WAL, synchronous=FULL: the default engine). Target: ≥ 0.5× bare.
- ``pg raw loop``: no HTTP, no reelbridge code: each virtual client runs asyncpg
  transactions ``UPDATE accounts … ; INSERT INTO transactions …`` (a bet, then a win)
  through a pool as large as the wallet's.
- ``wallet postgres``: the wallet on a fresh PostgreSQL database. Target: ≥ 0.8× raw.

Servers run as subprocesses on free loopback ports; the load generator runs in this
process (raw asyncio streams on uvloop, keep-alive HTTP/1.1, requests built and signed
by hand). Every reply must be HTTP 200 with ``"status":true``; anything else is
counted as an error and reported. A ratio below its target prints BELOW but does not
fail the process. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import hashlib
import hmac
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bench_profile

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


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


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


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user+system, all threads) of a process; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


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


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


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
            sample["server"] = _proc_cpu(self.server_pid)
        if self.postgres:
            sample["postgres"] = _postgres_cpu(self.database)
        return sample

    def begin(self) -> None:
        self._start = self._sample()
        self._busy = _machine_busy()
        self._written = _proc_written(self.server_pid) if self.server_pid else 0
        self._t = time.perf_counter()

    def end(self) -> dict[str, float]:
        elapsed = time.perf_counter() - self._t
        now = self._sample()
        busy, total = _machine_busy()
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
                        self._record(t0, t1, f"{action} {_error_code(body)}")
                        self.result.extra.setdefault("error_sample", body.decode(errors="replace"))
                    else:
                        self._record(t0, t1, None)
        finally:
            if conn is not None:
                conn.close()

    async def run(self, window: Window, concurrency: int) -> list[asyncio.Task[None]]:
        self.result_window = window
        return [asyncio.create_task(self.client(i, window)) for i in range(concurrency)]


def _error_code(body: bytes) -> str:
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


async def _drive(
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

    _run_async(
        _drive(
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


def _run_async(coro: Any) -> Any:
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


# -- servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the benchmark dies, so no server outlives it."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Server:
    """A server subprocess on a loopback port; its output goes to a log file."""

    def __init__(self, name: str, argv: list[str], port: int, log_dir: Path, env: dict[str, str]):
        self.name = name
        self.argv = argv
        self.port = port
        self.log_path = log_dir / f"{name.replace(' ', '_')}.log"
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def start(self) -> None:
        say(f"starting {self.name} on 127.0.0.1:{self.port}")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        deadline = time.monotonic() + READY_TIMEOUT
        url = f"http://127.0.0.1:{self.port}/health"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready after {READY_TIMEOUT:.0f} s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_GRACE)


def wallet_argv(args: argparse.Namespace, database_url: str, port: int) -> list[str]:
    entry = ["-m", "reelbridge"] if args.exact_cli else [str(HERE / "wallet_server.py")]
    return [
        sys.executable,
        *entry,
        "aggregator",
        "serve",
        "--database-url",
        database_url,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def set_up_players(port: int, admin_token: str, client_token: str, count: int) -> list[Player]:
    """One funded player and one open session per virtual client (admin API)."""
    from reelbridge.testing.clients import AdminClient

    players = []
    tag = secrets.token_hex(3)
    with AdminClient(f"http://127.0.0.1:{port}", admin_token) as admin:
        admin.upsert_client(CLIENT_ID, [client_token], "benchmark")
        for i in range(count):
            player_id = f"bench-{tag}-{i}"
            admin.create_player(player_id, CURRENCY, "benchmark")
            admin.deposit(player_id, CURRENCY, FUNDING, f"fund-{player_id}", "benchmark")
            session = admin.open_session(CLIENT_ID, player_id, CURRENCY, GAME_ID)
            players.append(Player(session_id=session))
    return players


# -- targets ---------------------------------------------------------------------------


def bench_bare(args: argparse.Namespace, log_dir: Path, env: dict[str, str]) -> Result:
    result = Result("bare starlette")
    port = free_port()
    server = Server(
        "bare",
        [sys.executable, str(HERE / "bare_server.py"), "--port", str(port)],
        port,
        log_dir,
        env,
    )
    try:
        server.start()
        players = [Player(session_id=f"bare-{i}") for i in range(args.concurrency)]
        load = HttpLoad(
            "127.0.0.1", port, "bare-token", players, result, bet=args.bet, win=args.win
        )
        run_http_load(load, args, CpuMeter(server.pid, False), None)
    finally:
        server.stop()
    return result


def bench_wallet(
    name: str,
    args: argparse.Namespace,
    database_url: str,
    log_dir: Path,
    env: dict[str, str],
    *,
    pg_database: str | None = None,
) -> Result:
    result = Result(name)
    port = free_port()
    server = Server(name, wallet_argv(args, database_url, port), port, log_dir, env)
    try:
        server.start()
        client_token = secrets.token_hex(16)
        say(f"{name}: setting up {args.concurrency} players and sessions")
        players = set_up_players(
            port, env["REELBRIDGE_ADMIN_TOKEN"], client_token, args.concurrency
        )
        load = HttpLoad(
            "127.0.0.1", port, client_token, players, result, bet=args.bet, win=args.win
        )
        say(f"{name}: {args.warmup:g} s warm-up + {args.seconds:g} s measured")
        stats_at = None if args.exact_cli else ("127.0.0.1", port)
        run_http_load(
            load, args, CpuMeter(server.pid, pg_database is not None, pg_database), stats_at
        )
        if server.proc is not None and server.proc.poll() is not None:
            result.extra["server_exit"] = server.proc.returncode
    finally:
        server.stop()
    tail = server.log().strip()
    if "Traceback" in tail or "ERROR" in tail:
        result.extra["server_log_tail"] = tail[-1500:]
    return result


_RAW_INSERT = """INSERT INTO transactions (client_id, transaction_id, is_refund, action, type,
    session_id, round_id, game_id, amount, account_id, outcome, message,
    debit_account, credit_account, moved, balance_after, created_at)
    VALUES ($1, $2, 0, $3, $3, $4, $5, $6, $7, $8, 'ok', '', $9, $10, $7, $11, $12)"""
_RAW_BET = (
    "UPDATE accounts SET balance = balance - $1 WHERE account_id = $2 AND balance >= $1 "
    "RETURNING balance"
)
_RAW_WIN = "UPDATE accounts SET balance = balance + $1 WHERE account_id = $2 RETURNING balance"


async def _no_reset(connection: Any) -> None:
    """Pool reset hook that sends nothing (see ``_raw_pg``)."""


def _units(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 10_000 + int(frac.ljust(4, "0")[:4])


async def _raw_pg(dsn: str, args: argparse.Namespace, result: Result, meter: CpuMeter) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT s.session_id, s.account_id FROM sessions s ORDER BY s.session_id LIMIT $1",
            args.concurrency,
        )
        house = await conn.fetchval(
            "SELECT account_id FROM accounts WHERE kind = 'house' AND owner = '' AND currency = $1",
            CURRENCY,
        )
    finally:
        await conn.close()
    if len(rows) < args.concurrency:
        raise RuntimeError(f"only {len(rows)} sessions in the database")
    # reset=…: skip asyncpg's reset query on release (RESET ALL, UNLISTEN *, …): this loop
    # sends exactly BEGIN, UPDATE, INSERT, COMMIT per transaction and leaves no state.
    pool = await asyncpg.create_pool(
        dsn, min_size=args.pg_pool, max_size=args.pg_pool, reset=_no_reset
    )
    bet, win = _units(args.bet), _units(args.win)
    tag = secrets.token_hex(3)

    async def client(index: int, window: Window) -> None:
        session_id, account = rows[index]
        prefix = f"raw-{tag}-{index}"
        n = 0
        while not window.stop:
            n += 1
            rnd = f"r-{prefix}-{n}"
            for action, sql, amount, debit, credit in (
                ("bet", _RAW_BET, bet, account, house),
                ("win", _RAW_WIN, win, house, account),
            ):
                t0 = time.perf_counter()
                error = None
                try:
                    async with pool.acquire() as c, c.transaction():
                        balance = await c.fetchval(sql, amount, account)
                        if balance is None:
                            error = f"{action} insufficient balance"
                        else:
                            await c.execute(
                                _RAW_INSERT,
                                CLIENT_ID,
                                f"{action[0]}-{prefix}-{n}",
                                action,
                                session_id,
                                rnd,
                                GAME_ID,
                                amount,
                                account,
                                debit,
                                credit,
                                balance,
                                time.time_ns() // 1000,
                            )
                except (OSError, asyncpg.PostgresError) as exc:
                    error = f"{action} {exc.__class__.__name__}"
                t1 = time.perf_counter()
                if window.inside(t1):
                    result.requests += 1
                    result.latencies.append(t1 - t0)
                    if error is not None:
                        result.errors += 1
                        result.error_kinds[error] += 1

    async def start(window: Window) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(client(i, window)) for i in range(args.concurrency)]

    try:
        await _drive(
            start,
            Window(),
            result,
            meter,
            warmup=args.warmup,
            seconds=args.seconds,
            stats_at=None,
        )
    finally:
        await asyncio.wait_for(pool.close(), STOP_GRACE)


async def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def bench_postgres(
    args: argparse.Namespace, log_dir: Path, env: dict[str, str]
) -> tuple[Result, Result]:
    raw = Result("pg raw asyncpg loop")
    wallet = Result("wallet postgres")
    database = f"rb_bench_{secrets.token_hex(4)}"
    try:
        _run_async(_pg_admin(args.pg_url, f"CREATE DATABASE {database}"))
    except Exception as exc:
        reason = f"PostgreSQL unreachable at {args.pg_url}: {exc.__class__.__name__}: {exc}"
        say(f"skipping PostgreSQL: {reason}")
        raw.skipped = wallet.skipped = reason
        return raw, wallet
    say(f"created database {database}")
    dsn = args.pg_url.rsplit("/", 1)[0] + "/" + database
    try:
        wallet = bench_wallet("wallet postgres", args, dsn, log_dir, env, pg_database=database)
        say(f"pg raw loop: {args.warmup:g} s warm-up + {args.seconds:g} s measured")
        _run_async(_raw_pg(dsn, args, raw, CpuMeter(None, True, database)))
        raw.extra["pool"] = args.pg_pool
    finally:
        try:
            _run_async(_pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            say(f"dropped database {database}")
        except Exception as exc:
            say(f"could not drop database {database}: {exc}")
    return raw, wallet


# -- report ----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        nproc = str(os.cpu_count())
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if "model name" in line), "")
    return {
        "nproc": int(nproc.strip()),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _fs_type(path: Path) -> str:
    best, kind = "", "?"
    with contextlib.suppress(OSError), open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            mount = parts[1]
            if str(path).startswith(mount) and len(mount) > len(best):
                best, kind = mount, parts[2]
    return kind


def as_json(results: list[Result], info: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for r in results:
        row: dict[str, Any] = {"target": r.name}
        if r.skipped:
            row["skipped"] = r.skipped
        else:
            row.update(
                requests=r.requests,
                seconds=round(r.seconds, 3),
                rps=round(r.rps, 1),
                p50_ms=round(r.percentile(0.50), 3),
                p99_ms=round(r.percentile(0.99), 3),
                errors=r.errors,
                error_kinds=dict(r.error_kinds),
                unfinished_clients=r.unfinished,
                cpu_percent={k: round(v, 1) for k, v in r.cpu.items()},
                cpu_us_per_request={
                    k: round(v * 1e4 * r.seconds / r.requests, 1)
                    for k, v in r.cpu.items()
                    if k not in ("other", "machine") and r.requests
                },
                **{k: v for k, v in r.extra.items() if k != "server_log_tail"},
            )
            if r.baseline:
                row.update(_ratio(r, results))
        rows.append(row)
    return {"machine": info["machine"], "run": info["run"], "results": rows}


def _ratio(r: Result, results: list[Result]) -> dict[str, Any]:
    base = next((b for b in results if b.name == r.baseline), None)
    if base is None or base.skipped or not base.rps:
        return {"ratio_to": r.baseline, "ratio": None, "target_ratio": r.target, "verdict": "n/a"}
    ratio = r.rps / base.rps
    verdict = "n/a" if r.target is None else ("PASS" if ratio >= r.target else "BELOW")
    disturbed = max(r.cpu.get("other", 0.0), base.cpu.get("other", 0.0)) > DISTURBED
    if disturbed and verdict != "n/a":
        verdict += "*"
    return {
        "ratio_to": r.baseline,
        "ratio": round(ratio, 3),
        "target_ratio": r.target,
        "verdict": verdict,
        "disturbed": disturbed,
    }


def print_table(results: list[Result], info: dict[str, Any]) -> None:
    m, run = info["machine"], info["run"]
    print()
    print(f"machine: nproc={m['nproc']} ({m['cpu']}), Python {m['python']}, {m['platform']}")
    print(
        f"run: {run['seconds']:g} s measured after {run['warmup']:g} s warm-up, "
        f"concurrency {run['concurrency']}, rounds of bet {run['bet']} + win {run['win']}, "
        f"SQLite on {run['sqlite_fs']} ({'exact CLI' if run['exact_cli'] else 'CLI + stats'})"
    )
    if run["sqlite_fs"] in ("tmpfs", "ramfs"):
        print("WARNING: the SQLite file is on a RAM file system: fsync costs nothing there")
    print()
    header = (
        f"{'target':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"  {'ratio':<20}{'target':>7}  {'verdict':<7}  cpu% (1 core = 100)"
    )
    print(header)
    print("-" * (len(header) + 28))
    for r in results:
        if r.skipped:
            print(f"{r.name:<22}  skipped: {r.skipped}")
            continue
        ratio = _ratio(r, results) if r.baseline else {}
        ratio_text = (
            f"{ratio['ratio']:.2f}x {ratio['ratio_to']}"
            if ratio.get("ratio") is not None
            else ("baseline" if not r.baseline else "n/a")
        )
        target = f">={r.target:.2f}" if r.target is not None else ""
        cpu = " ".join(f"{k} {v:.0f}" for k, v in r.cpu.items())
        print(
            f"{r.name:<22}{r.rps:>9.0f}{r.percentile(0.5):>9.2f}{r.percentile(0.99):>9.2f}"
            f"{r.errors:>8}  {ratio_text:<20}{target:>7}  {ratio.get('verdict', ''):<7}  {cpu}"
        )
    print()
    if any(_ratio(r, results).get("disturbed") for r in results if r.baseline and not r.skipped):
        print(
            "* other processes used the CPU while this row or its baseline was measured: "
            "the ratio is not meaningful (see the warnings below; try --repeat)"
        )
    for r in results:
        if r.skipped:
            continue
        if "sqlite_batches" in r.extra:
            print(
                f"{r.name}: group commit: {r.extra['sqlite_flows']} flows in "
                f"{r.extra['sqlite_batches']} batches "
                f"({r.extra['sqlite_flows_per_batch']:.1f} flows/commit) in the window"
            )
        if "server_disk_writes_mb" in r.extra and r.requests:
            mb = r.extra["server_disk_writes_mb"]
            print(
                f"{r.name}: server wrote {mb:.1f} MB to storage in the window "
                f"({mb * 1000 / r.requests:.1f} KB per request)"
            )
        if r.requests:
            per = ", ".join(
                f"{k} {v * 1e4 * r.seconds / r.requests:.0f}"
                for k, v in r.cpu.items()
                if k not in ("other", "machine")
            )
            print(f"{r.name}: CPU per request (us): {per}")
        if "server_loop" in r.extra:
            print(
                f"{r.name}: server runs loop={r.extra['server_loop']} http={r.extra['server_http']}"
            )
        if r.error_kinds:
            kinds = ", ".join(f"{k}: {v}" for k, v in r.error_kinds.most_common())
            print(f"{r.name}: ERRORS {kinds}")
            if "error_sample" in r.extra:
                print(f"  e.g. {r.extra['error_sample'][:200]}")
        if "profile" in r.extra:
            bench_profile.print_summary(r.name, Path(r.extra["profile"]))
        if r.unfinished:
            print(f"{r.name}: {r.unfinished} clients did not stop within {STOP_GRACE:g} s")
        if "server_log_tail" in r.extra:
            print(f"{r.name}: server log tail:\n{r.extra['server_log_tail']}")
        other = r.cpu.get("other", 0.0)
        if other > DISTURBED:
            print(
                f"{r.name}: WARNING other processes used {other:.0f}% of a core during the "
                "window: this figure is disturbed, run again on a quiet machine"
            )
        loadgen = r.cpu.get("loadgen", 0.0)
        if loadgen > 85:
            print(
                f"{r.name}: WARNING the load generator used {loadgen:.0f}% of a core: "
                "it may be the bottleneck"
            )


# -- main ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Wallet benchmark: bet+win pairs over HTTP vs a bare Starlette endpoint."
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up before the window")
    parser.add_argument("--concurrency", type=int, default=64, help="virtual clients")
    parser.add_argument(
        "--engines",
        default="sqlite,postgres",
        help="comma list of sqlite, postgres (none: the bare endpoint only)",
    )
    parser.add_argument("--bet", default="1.00", help="stake of each bet")
    parser.add_argument("--win", default="0.50", help="payout of each win")
    parser.add_argument(
        "--pg-url",
        default=PG_ADMIN_URL,
        help="a PostgreSQL database to connect to for CREATE/DROP DATABASE rb_bench_<random>",
    )
    parser.add_argument(
        "--pg-pool",
        type=int,
        default=WALLET_POOL_SIZE,
        help="connections of the raw asyncpg loop (default: the wallet engine's pool size)",
    )
    parser.add_argument(
        "--exact-cli",
        action="store_true",
        help="start the wallet as plain `python -m reelbridge` (no batch statistics)",
    )
    parser.add_argument("--tmpdir", default=None, help="folder for the SQLite file and logs")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs, db)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        default=None,
        help="sample each server with py-spy during the window; raw stacks and a "
        "where-the-time-goes table (figures are then disturbed by the sampler)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure every target N times; show the least disturbed round, list all",
    )
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip() not in ("", "none")]
    unknown = set(args.engines) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))}")
    if args.seconds <= 0 or args.warmup < 0 or not 1 <= args.concurrency <= 1000:
        parser.error("need --seconds > 0, --warmup >= 0, 1 <= --concurrency <= 1000")
    if not 1 <= args.repeat <= 20:
        parser.error("need 1 <= --repeat <= 20")
    if args.profile is not None:
        if not bench_profile.available():
            parser.error("--profile needs py-spy: `python3 dev.py bench` installs it")
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    return args


def run_round(
    args: argparse.Namespace, work: Path, env: dict[str, str], number: int
) -> list[Result]:
    """One measurement of every target, in order: bare, sqlite, postgres raw and wallet."""
    say(f"bare endpoint: {args.warmup:g} s warm-up + {args.seconds:g} s measured")
    results = [bench_bare(args, work, env)]
    if "sqlite" in args.engines:
        url = f"sqlite:///{work / f'wallet-{number}.db'}"
        r = bench_wallet("wallet sqlite", args, url, work, env)
        r.baseline, r.target = "bare starlette", 0.5
        results.append(r)
    if "postgres" in args.engines:
        raw, wallet = bench_postgres(args, work, env)
        raw.baseline = "bare starlette"
        wallet.baseline, wallet.target = raw.name, 1.0
        results += [raw, wallet]
    return results


def _disturbance(results: list[Result]) -> float:
    return max((r.cpu.get("other", 0.0) for r in results if not r.skipped), default=0.0)


def print_rounds(rounds: list[list[Result]], chosen: int) -> None:
    print(
        f"shown above: round {chosen + 1} of {len(rounds)} (the least disturbed by other processes)"
    )
    for index, name in enumerate(r.name for r in rounds[0]):
        rows = [rs[index] for rs in rounds]
        if rows[0].skipped:
            continue
        ratios = [
            _ratio(r, rs).get("ratio") if r.baseline else None
            for r, rs in zip(rows, rounds, strict=True)
        ]
        figures = " ".join(f"{r.rps:.0f}" for r in rows)
        line = f"  {name}: req/s per round {figures}"
        if all(x is not None for x in ratios):
            values = [float(x) for x in ratios if x is not None]
            median = sorted(values)[len(values) // 2]
            listed = " ".join(f"{x:.2f}" for x in values)
            line += f"; ratio {listed} (median {median:.2f})"
        others = " ".join(f"{r.cpu.get('other', 0.0):.0f}" for r in rows)
        line += f"; other cpu% {others}"
        print(line)


def _sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    work = Path(tempfile.mkdtemp(prefix="rb-bench-", dir=args.tmpdir))
    env = {
        **os.environ,
        "REELBRIDGE_ADMIN_TOKEN": secrets.token_urlsafe(24),
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    info = {
        "machine": machine(),
        "run": {
            "seconds": args.seconds,
            "warmup": args.warmup,
            "concurrency": args.concurrency,
            "bet": args.bet,
            "win": args.win,
            "engines": args.engines,
            "sqlite_fs": _fs_type(work),
            "exact_cli": args.exact_cli,
        },
    }
    rounds: list[list[Result]] = []
    try:
        for number in range(1, args.repeat + 1):
            if args.repeat > 1:
                say(f"round {number} of {args.repeat}")
            rounds.append(run_round(args, work, env, number))
    except KeyboardInterrupt:
        say("interrupted: servers stopped")
        return 130
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            for path in sorted(work.rglob("*"), reverse=True):
                with contextlib.suppress(OSError):
                    path.rmdir() if path.is_dir() else path.unlink()
            with contextlib.suppress(OSError):
                work.rmdir()
    # The least disturbed round (least CPU used by other processes) is the one shown.
    chosen = min(range(len(rounds)), key=lambda i: _disturbance(rounds[i]))
    info["run"]["rounds"] = len(rounds)
    info["run"]["shown_round"] = chosen + 1
    if args.json:
        document = as_json(rounds[chosen], info)
        if len(rounds) > 1:
            document["rounds"] = [as_json(r, info)["results"] for r in rounds]
        print(json.dumps(document, indent=2))
    else:
        print_table(rounds[chosen], info)
        if len(rounds) > 1:
            print_rounds(rounds, chosen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
