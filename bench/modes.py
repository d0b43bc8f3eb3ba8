"""The wallet benchmark's other modes: latency at offered loads, reads under load, and
cost as the ledger grows. Each measures against a figure taken in the same run.

- ``latency``: the peak (closed loop, ``--concurrency`` clients), then open-loop
  offered load at 10, 50 and 100 % of that peak: achieved req/s, p50 and p99 counted
  from each request's scheduled time.
- ``reads``: the wallet's closed-loop throughput and p99 undisturbed, then again while
  an admin reads in a loop (ledger check, two listings, ``/metrics``, a pause of
  ``--reads-pause`` seconds). Target: ≥ 0.9× the throughput, p99 ≤ 1/0.9 × undisturbed.
- ``growth``: the wallet on an empty database, then on one pre-filled with
  ``--prefill`` journal rows (``prefill.py``). Target (SQLite): ≥ 0.9× the empty run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import prefill
from _common import say
from _load import run_async
from loadgen import (
    AdminReader,
    CpuMeter,
    HttpLoad,
    OpenLoad,
    Player,
    Result,
    Window,
    drive,
)
from targets import Server, _pg_admin, free_port, set_up_players, wallet_argv

FRACTIONS = (0.1, 0.5, 1.0)


@dataclass
class Running:
    """A wallet server with its players, ready for load."""

    server: Server
    port: int
    token: str
    players: list[Player]
    pg_database: str | None


@contextlib.contextmanager
def database(args: argparse.Namespace, engine: str, work: Path) -> Iterator[tuple[str, str | None]]:
    """A fresh database for ``engine``: (URL, PostgreSQL database name or None)."""
    if engine == "sqlite":
        yield f"sqlite:///{work / f'wallet-{secrets.token_hex(3)}.db'}", None
        return
    name = f"rb_bench_{secrets.token_hex(4)}"
    run_async(_pg_admin(args.pg_url, f"CREATE DATABASE {name}"))
    try:
        yield args.pg_url.rsplit("/", 1)[0] + "/" + name, name
    finally:
        with contextlib.suppress(Exception):
            run_async(_pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@contextlib.contextmanager
def wallet(
    name: str,
    args: argparse.Namespace,
    url: str,
    pg_database: str | None,
    work: Path,
    env: dict[str, str],
    *,
    players: list[Player] | None = None,
    token: str | None = None,
) -> Iterator[Running]:
    """A started wallet server; sets up players and sessions unless given."""
    port = free_port()
    server = Server(name, wallet_argv(args, url, port), port, work, env)
    try:
        server.start()
        if players is None or token is None:
            token = secrets.token_hex(16)
            say(f"{name}: setting up {args.concurrency} players and sessions")
            players = set_up_players(
                port, env["REELBRIDGE_ADMIN_TOKEN"], token, args.concurrency, limits=args.limits
            )
        yield Running(server, port, token, players, pg_database)
    finally:
        server.stop()


def measure(
    name: str,
    running: Running,
    args: argparse.Namespace,
    *,
    rate: float | None = None,
    reader: AdminReader | None = None,
) -> Result:
    """One window of load on ``running``: closed loop, or open loop at ``rate``."""
    result = Result(name)
    common = dict(bet=args.bet, win=args.win)
    load: HttpLoad
    if rate is None:
        load = HttpLoad("127.0.0.1", running.port, running.token, running.players, result, **common)
    else:
        load = OpenLoad(
            "127.0.0.1",
            running.port,
            running.token,
            running.players,
            result,
            rate=rate,
            connections=args.open_connections,
            **common,
        )
        result.extra["offered_rps"] = round(rate, 1)

    async def start(window: Window) -> list[asyncio.Task[None]]:
        tasks = await load.run(window, args.concurrency)
        if reader is not None:
            tasks.append(asyncio.create_task(reader.run(window)))
        return tasks

    meter = CpuMeter(running.server.pid, running.pg_database is not None, running.pg_database)
    say(f"{name}: {args.warmup:g} s warm-up + {args.seconds:g} s measured")
    run_async(
        drive(
            start,
            Window(),
            result,
            meter,
            warmup=args.warmup,
            seconds=args.seconds,
            stats_at=None,
        )
    )
    if reader is not None:
        result.extra["reads"] = reader.summary()
    if isinstance(load, OpenLoad) and load.late:
        result.extra["waited_for_a_connection"] = load.late
    return result


def latency(args: argparse.Namespace, engine: str, work: Path, env: dict[str, str]) -> list[Result]:
    """The peak, then open-loop offered load at each of ``FRACTIONS`` of it."""
    with (
        database(args, engine, work) as (url, pg),
        wallet(f"wallet {engine}", args, url, pg, work, env) as running,
    ):
        peak = measure(f"{engine} peak (closed loop)", running, args)
        peak.extra.update(engine=engine, fraction=None)
        rows = [peak]
        for fraction in FRACTIONS:
            row = measure(
                f"{engine} at {fraction:.0%} of peak", running, args, rate=fraction * peak.rps
            )
            row.extra.update(engine=engine, fraction=fraction)
            rows.append(row)
    return rows


def reads(args: argparse.Namespace, engine: str, work: Path, env: dict[str, str]) -> list[Result]:
    """The wallet undisturbed, then with an admin reading in a loop, on a journal
    pre-filled with ``args.reads_prefill`` rows (the ledger check scans them all)."""
    with database(args, engine, work) as (url, pg):
        players, token, info = _prefilled(args, engine, url, pg, work, env, args.reads_prefill)
        with wallet(
            f"wallet {engine}", args, url, pg, work, env, players=players, token=token
        ) as running:
            alone = measure(f"{engine} undisturbed", running, args)
            reader = AdminReader(
                "127.0.0.1", running.port, env["REELBRIDGE_ADMIN_TOKEN"], args.reads_pause
            )
            busy = measure(f"{engine} with reads", running, args, reader=reader)
    for row in (alone, busy):
        row.extra.update(engine=engine, prefill=info)
    busy.baseline, busy.target = alone.name, 0.9
    return [alone, busy]


def _prefilled(
    args: argparse.Namespace,
    engine: str,
    url: str,
    pg: str | None,
    work: Path,
    env: dict[str, str],
    rows: int,
) -> tuple[list[Player], str, dict[str, object]]:
    """Set the wallet up (players, sessions), stop it, add ``rows`` journal rows."""
    with wallet(f"wallet {engine} (set-up)", args, url, pg, work, env) as running:
        players, token = running.players, running.token
    if not rows:
        return players, token, {"rows": 0}
    say(f"{engine}: pre-filling {rows:,} journal rows")
    if engine == "sqlite":
        info = prefill.prefill_sqlite(Path(url.removeprefix("sqlite:///")), rows)
    else:
        info = run_async(prefill.prefill_postgres(url, rows))
    say(f"{engine}: pre-filled in {info['seconds']} s")
    return players, token, info


def growth(args: argparse.Namespace, engine: str, work: Path, env: dict[str, str]) -> list[Result]:
    """The wallet on an empty database, then on one with ``args.prefill`` journal rows."""
    with (
        database(args, engine, work) as (url, pg),
        wallet(f"wallet {engine}", args, url, pg, work, env) as running,
    ):
        empty = measure(f"{engine} empty journal", running, args)
    with database(args, engine, work) as (url, pg):
        players, token, info = _prefilled(args, engine, url, pg, work, env, args.prefill)
        with wallet(
            f"wallet {engine}", args, url, pg, work, env, players=players, token=token
        ) as running:
            full = measure(f"{engine} {args.prefill:,} journal rows", running, args)
    full.extra["prefill"] = info
    full.baseline, full.target = empty.name, 0.9
    for row in (empty, full):
        row.extra["engine"] = engine
    return [empty, full]
