"""The wallet benchmark's targets: server subprocesses and what each target measures."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from _common import say
from _load import run_async
from loadgen import (
    CLIENT_ID,
    CURRENCY,
    FUNDING,
    GAME_ID,
    HERE,
    READY_TIMEOUT,
    ROOT,
    STOP_GRACE,
    CpuMeter,
    HttpLoad,
    Player,
    Result,
    Window,
    drive,
    run_http_load,
)

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


# Generous responsible-gambling limits (``--limits``): never reached in a run, but every
# bet then reads and checks an ``account_limits`` row and every call updates its totals.
LIMITS = {
    **{f"{kind}_{period}": "900000.00" for kind in ("loss", "wager") for period in
       ("day", "week", "month")},
    "session_minutes": 24 * 60,
}  # fmt: skip


def set_up_players(
    port: int, admin_token: str, client_token: str, count: int, *, limits: bool = False
) -> list[Player]:
    """One funded player and one open session per virtual client (admin API); with
    ``limits``, each player's account has ``LIMITS``."""
    from reelbridge.client import AdminClient

    players = []
    tag = secrets.token_hex(3)
    with AdminClient(f"http://127.0.0.1:{port}", admin_token) as admin:
        admin.upsert_client(CLIENT_ID, [client_token], "benchmark")
        for i in range(count):
            player_id = f"bench-{tag}-{i}"
            admin.create_player(player_id, CURRENCY, "benchmark")
            admin.deposit(player_id, CURRENCY, FUNDING, f"fund-{player_id}", "benchmark")
            if limits:
                admin.set_limits(player_id, CURRENCY, "benchmark", **LIMITS)
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
            port, env["REELBRIDGE_ADMIN_TOKEN"], client_token, args.concurrency,
            limits=args.limits,
        )  # fmt: skip
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
        await drive(
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
        run_async(_pg_admin(args.pg_url, f"CREATE DATABASE {database}"))
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
        run_async(_raw_pg(dsn, args, raw, CpuMeter(None, True, database)))
        raw.extra["pool"] = args.pg_pool
    finally:
        try:
            run_async(_pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            say(f"dropped database {database}")
        except Exception as exc:
            say(f"could not drop database {database}: {exc}")
    return raw, wallet
