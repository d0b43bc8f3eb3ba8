"""Pieces shared by the provider, scale-out and soak benchmarks (``bench_provider.py``,
``bench_scale.py``, ``bench_soak.py``).

- ``Server``: a ``reelbridge … serve`` subprocess on a loopback port (its workers too),
  its CPU seconds and memory from ``/proc``; it dies with the benchmark.
- ``databases``: a fresh pair (wallet, provider) of SQLite files or PostgreSQL databases.
- ``Stack``: a wallet and a provider wired through their admin APIs, with funded players
  and launched games.
- ``Meter``: CPU of each component over a window, in % of one core.

The load generator is ``_load.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG_SERVER = os.environ.get(
    "REELBRIDGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
WALLET_ADMIN = "bench-wallet-admin-token"
PROVIDER_ADMIN = "bench-provider-admin-token"
CLIENT_ID = "bench"
CLIENT_TOKEN = "bench-client-token-0001"
GAME = "book-of-reels"
FUNDS = "1000000"
_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def say(message: str) -> None:
    """Progress, on stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A loopback TCP port that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: list[float], q: float) -> float:  # float ok: statistics
    """The ``q`` quantile of ``values`` (nan when empty)."""
    if not values:
        return float("nan")
    data = sorted(values)
    return data[min(len(data) - 1, int(q * len(data)))]


def slope(points: list[tuple[float, float]]) -> float:  # float ok: statistics
    """Least-squares slope of ``(x, y)`` points (0 for fewer than two)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


# -- /proc ----------------------------------------------------------------------------


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) of a process; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def proc_rss(pid: int) -> int:
    """Resident memory of a process in bytes; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def proc_tree(pid: int) -> list[int]:
    """A process and its descendants (uvicorn's workers are children of its supervisor)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        path = f"/proc/{current}/task/{current}/children"
        with contextlib.suppress(OSError, ValueError), open(path) as f:
            todo.extend(int(c) for c in f.read().split())
    return out


def postgres_cpu(databases: list[str]) -> float:
    """CPU seconds of PostgreSQL's own processes and of the backends serving
    ``databases`` (other databases' backends count as "other")."""
    total = 0.0
    names = [d.encode() for d in databases]
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
        backend = b"(" in title.split(b"\0")[0] or b"[local]" in title
        if backend and not any(n in title for n in names):
            continue
        fields = raw.rsplit(b")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Meter:
    """CPU of named components over a window, in % of one core, plus ``machine`` (all
    CPUs) and ``other`` (the rest of the machine: other people's work)."""

    def __init__(self, parts: dict[str, Callable[[], float]]) -> None:
        self._parts = {"loadgen": lambda: sum(os.times()[:2]), **parts}
        self._start: dict[str, float] = {}
        self._busy = (0, 0)
        self._t = 0.0

    def begin(self) -> None:
        """Start the window."""
        self._start = {k: f() for k, f in self._parts.items()}
        self._busy = machine_busy()
        self._t = time.perf_counter()

    def end(self) -> dict[str, float]:
        """Close the window; CPU % of each part."""
        elapsed = time.perf_counter() - self._t
        usage = {k: 100 * (f() - self._start[k]) / elapsed for k, f in self._parts.items()}
        busy, total = machine_busy()
        cores = os.cpu_count() or 1
        machine = 100 * cores * (busy - self._busy[0]) / max(1, total - self._busy[1])
        usage["other"] = max(0.0, machine - sum(usage.values()))
        usage["machine"] = machine
        return usage


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if "model name" in line), "")
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_1min": float(load),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


# -- servers --------------------------------------------------------------------------


def _die_with_parent() -> None:
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Server:
    """A ``reelbridge …`` server subprocess; ``pids`` includes its workers."""

    def __init__(self, name: str, argv: list[str], log_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.argv = [*argv, "--port", str(self.port)]
        self.log = log_dir / f"{name}.log"
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:  # float ok: seconds
        """Start and wait until ``/health`` answers."""
        say(f"starting {self.name} on {self.url}")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/health", timeout=1) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer /health within {timeout} s")

    def signal(self, signum: int) -> None:
        """Send a signal to the server process."""
        if self.proc is not None:
            self.proc.send_signal(signum)

    def pids(self) -> list[int]:
        """The server process and its workers."""
        return [] if self.proc is None else proc_tree(self.proc.pid)

    def cpu(self) -> float:
        """CPU seconds of the server and its workers."""
        return sum(proc_cpu(p) for p in self.pids())

    def rss(self) -> int:
        """Resident bytes of the server and its workers."""
        return sum(proc_rss(p) for p in self.pids())

    def stop(self) -> None:
        """SIGINT (a profiler wrapping the server gets to write its file: uvicorn
        re-raises SIGTERM after its shutdown), then SIGKILL after 10 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _pg(sql: list[str]) -> None:
    import asyncpg

    async def work() -> None:
        conn = await asyncpg.connect(PG_SERVER, timeout=5)
        try:
            for statement in sql:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(work())


@contextlib.contextmanager
def databases(engine: str, tmp: Path) -> Iterator[tuple[str, str, list[str]]]:
    """``(wallet URL, provider URL, PostgreSQL database names)``, fresh, removed after."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp / 'wallet.db'}", f"sqlite:///{tmp / 'provider.db'}", []
        return
    names = [f"rb_bench_{secrets.token_hex(4)}_{side}" for side in ("wallet", "provider")]
    _pg([f'CREATE DATABASE "{n}"' for n in names])
    base = PG_SERVER.rsplit("/", 1)[0]
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}", names
    finally:
        with contextlib.suppress(Exception):
            _pg([f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names])


@dataclass
class Stack:
    """A wallet and a provider (``workers`` processes each), wired together."""

    wallet: Server
    provider: Server
    players: list[str] = field(default_factory=list)  # launch tokens at the provider
    sessions: list[str] = field(default_factory=list)  # wallet sessions for the baseline

    @classmethod
    @contextlib.contextmanager
    def running(
        cls, wallet_db: str, provider_db: str, log_dir: Path, *, workers: int = 1,
        python: list[str] | None = None,
    ) -> Iterator[Stack]:  # fmt: skip
        """Start both servers (``python``: the interpreter command of the provider, e.g.
        under cProfile); stop them on exit."""
        env = {
            **os.environ,
            "REELBRIDGE_ADMIN_TOKEN": WALLET_ADMIN,
            "REELBRIDGE_PROVIDER_ADMIN_TOKEN": PROVIDER_ADMIN,
            # one client makes every call here: a per-client limit would measure itself
            "REELBRIDGE_LIMITS_RATE_PER_SECOND": "1000000",
            "REELBRIDGE_PROVIDER_LIMITS_RATE_PER_SECOND": "1000000",
        }
        me = [sys.executable, "-m", "reelbridge"]
        wallet = Server(
            "wallet", [*me, "aggregator", "serve", "--database-url", wallet_db,
                       "--workers", str(workers)], log_dir, env,
        )  # fmt: skip
        provider = Server(
            "provider", [*(python or me), "provider", "serve", "--database-url", provider_db,
                         "--workers", str(workers)], log_dir, env,
        )  # fmt: skip
        try:
            wallet.start()
            provider.start()
            yield cls(wallet, provider)
        finally:
            provider.stop()
            wallet.stop()

    def set_up(self, players: int, *, currencies: tuple[str, ...] = ("EUR",)) -> None:
        """The client on both sides; ``players`` funded players with a launched game
        (spread over ``currencies``) and as many wallet sessions for the baseline."""
        from reelbridge.client import AdminClient
        from reelbridge.protocol import SIGN_HEADER, sign

        tag = secrets.token_hex(3)
        with (
            AdminClient(self.wallet.url, WALLET_ADMIN, timeout=60) as wallet,
            AdminClient(self.provider.url, PROVIDER_ADMIN, timeout=60) as provider,
        ):
            wallet.upsert_client(CLIENT_ID, [CLIENT_TOKEN])
            provider.post(
                "/admin/clients",
                {"client_id": CLIENT_ID, "tokens": [CLIENT_TOKEN],
                 "wallet_url": f"{self.wallet.url}/wallet/{CLIENT_ID}"},
            )  # fmt: skip
            for n in range(players):
                currency = currencies[n % len(currencies)]
                for role in ("spin", "wallet"):
                    player_id = f"{role}-{tag}-{n}"
                    wallet.create_player(player_id, currency)
                    wallet.deposit(player_id, currency, FUNDS, f"funds-{player_id}")
                    session = wallet.open_session(CLIENT_ID, player_id, currency, GAME)
                    if role == "wallet":
                        self.sessions.append(session)
                        continue
                    body = json.dumps(
                        {"client_id": CLIENT_ID, "game_id": GAME, "currency": currency,
                         "language": "en", "session_id": session, "player_id": player_id,
                         "return_url": "https://casino.example/"}
                    ).encode()  # fmt: skip
                    request = urllib.request.Request(
                        f"{self.provider.url}/api/game-url",
                        data=body,
                        headers={SIGN_HEADER: sign(body, CLIENT_TOKEN),
                                 "Content-Type": "application/json"},
                    )  # fmt: skip
                    with urllib.request.urlopen(request, timeout=30) as response:
                        url = json.loads(response.read())["url"]
                    self.players.append(str(url).rsplit("/", 1)[1])
