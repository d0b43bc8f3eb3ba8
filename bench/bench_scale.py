#!/usr/bin/env python3
"""Scale-out: 1, 2 and 4 processes of each side on one PostgreSQL, and what limits them.

    .venv/bin/python bench/bench_scale.py --workers 1,2,4 --seconds 10 --concurrency 32

For each worker count N, on fresh PostgreSQL databases (one for the wallet, one for the
provider, on the same server): ``reelbridge aggregator serve --workers N`` and
``reelbridge provider serve --workers N``; ``--concurrency`` players spin (bet, draw,
win through the outbox) for ``--seconds`` after ``--warmup``. Reported per N:

- spins per second, p50 and p99, and the ratio to N = 1;
- CPU of every server process (uvicorn's supervisor and each worker) and of
  PostgreSQL (its own processes and our two databases' backends), in % of one core;
- what PostgreSQL's backends of our databases were doing, sampled every 50 ms from
  ``pg_stat_activity``: running, waiting for a lock (by the statement waiting: the
  jackpot pools are one row per level and currency, updated by every real round of that
  currency), or idle in a transaction waiting for the next statement of the app (a
  round trip), or waiting on something else;
- a verdict: what limits the configuration.

``--currencies K`` spreads the players over K currencies (K pools rows per level: the
hot spot divided by K). ``--json`` prints the results as JSON. See bench/PROVIDER.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import (
    PG_SERVER,
    Meter,
    Stack,
    databases,
    machine,
    percentile,
    postgres_cpu,
    proc_cpu,
    say,
)
from _load import Recorder, measure, run_async, spin_client

CURRENCIES = ("EUR", "USD", "GBP", "CAD", "AUD", "CHF", "SEK", "NOK")
_ACTIVITY = """SELECT state, wait_event_type, wait_event, left(query, 400)
                 FROM pg_stat_activity
                WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid()"""


def _kind(state: str | None, wait_type: str | None, wait: str | None, query: str) -> str:
    if state == "idle in transaction":
        return "idle in transaction (waiting for the app: a round trip)"
    if state != "active":
        return ""
    if wait_type is None:
        return "running"
    if wait_type == "Lock":
        table = next(
            (t for t in ("jackpot_pools", "game_sessions", "rounds", "outbox", "accounts",
                         "sessions", "transactions") if t in query),
            "other",
        )  # fmt: skip
        return f"lock wait ({wait}) on {table}"
    if wait_type == "Client":
        return "waiting for the app (client read)"
    return f"{wait_type}: {wait}"


async def _sample_activity(names: list[str], rec: Recorder, counts: Counter[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_SERVER)
    try:
        while not rec.stop:
            now = time.perf_counter()
            if rec.start <= now < rec.end:
                for state, wait_type, wait, query in await conn.fetch(_ACTIVITY, names):
                    kind = _kind(state, wait_type, wait, query or "")
                    if kind:
                        counts[kind] += 1
                counts["(samples)"] += 1
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


def _verdict(cpu: dict[str, float], activity: dict[str, float], cores: int) -> str:
    busy = cpu["machine"] / (100 * cores)
    locks = sum(v for k, v in activity.items() if k.startswith("lock wait"))
    trips = sum(v for k, v in activity.items() if "waiting for the app" in k)
    parts = []
    if busy > 0.9:
        top = max((k for k in cpu if k not in ("machine", "other", "loadgen")), key=cpu.get)  # type: ignore[arg-type]
        parts.append(f"CPU: the machine is {100 * busy:.0f} % busy (most: {top})")
    if locks >= 1.0:
        hot = max((k for k in activity if k.startswith("lock wait")), key=activity.get)  # type: ignore[arg-type]
        parts.append(f"lock waits: {locks:.1f} backends on average (most: {hot})")
    if trips >= 1.0:
        parts.append(f"{trips:.1f} backends on average wait for the app between statements")
    return "; ".join(parts) or "nothing saturated (the load generator's concurrency)"


def bench_workers(workers: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """One configuration."""
    currencies = CURRENCIES[: args.currencies]
    with (
        databases("postgres", tmp) as (wallet_db, provider_db, names),
        Stack.running(wallet_db, provider_db, tmp, workers=workers) as stack,
    ):
        say(f"{workers} worker(s) per side: setting up {args.concurrency} players")
        stack.set_up(args.concurrency, currencies=currencies)
        procs = {f"wallet {p}": p for p in stack.wallet.pids()}
        procs |= {f"provider {p}": p for p in stack.provider.pids()}
        parts = {name: (lambda p=pid: proc_cpu(p)) for name, pid in procs.items()}
        parts["postgres"] = lambda: postgres_cpu(names)
        rec = Recorder()
        counts: Counter[str] = Counter()
        clients = [spin_client(stack.provider.url, t, rec) for t in stack.players]
        clients.append(_sample_activity(names, rec, counts))
        say(f"{workers} worker(s): {args.warmup} s warm-up + {args.seconds} s of spins")
        cpu = run_async(
            measure(clients, rec, Meter(parts), warmup=args.warmup, seconds=args.seconds)
        )
    samples = counts.pop("(samples)", 0) or 1
    activity = {k: round(v / samples, 2) for k, v in counts.most_common()}
    seconds = rec.end - rec.start
    return {
        "workers": workers,
        "currencies": list(currencies),
        "spins_per_second": round(rec.ok / seconds, 1),
        "p50_ms": round(percentile(rec.latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(rec.latencies, 0.99) * 1000, 1),
        "errors": dict(rec.errors),
        "cpu_percent": {k: round(v, 1) for k, v in cpu.items()},
        "backends_on_average": activity,
        "limit": _verdict(cpu, activity, machine()["nproc"] or 1),
    }


def show(results: list[dict[str, Any]], info: dict[str, Any]) -> None:
    """The table."""
    print(
        f"machine: {info['nproc']} cores, {info['cpu']}, Python {info['python']}, "
        f"load average {info['load_average_1min']} at start, {info['date']}"
    )
    base = results[0]["spins_per_second"] or 1
    print(f"{'N':>2} {'spins/s':>8} {'x N=1':>6} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}  limit")
    for r in results:
        errors = sum(r["errors"].values())
        print(
            f"{r['workers']:>2} {r['spins_per_second']:8.1f} {r['spins_per_second'] / base:6.2f} "
            f"{r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {errors:6d}  {r['limit']}"
        )
    for r in results:
        cpu = r["cpu_percent"]
        wallet = [round(v) for k, v in cpu.items() if k.startswith("wallet")]
        provider = [round(v) for k, v in cpu.items() if k.startswith("provider")]
        print(
            f"  N={r['workers']} cpu%: wallet processes {wallet}, provider processes {provider}, "
            f"postgres {cpu['postgres']:.0f}, loadgen {cpu['loadgen']:.0f}, "
            f"other {cpu['other']:.0f}, machine {cpu['machine']:.0f}"
        )
        backends = ", ".join(f"{v} {k}" for k, v in r["backends_on_average"].items())
        print(f"  N={r['workers']} PostgreSQL backends on average: {backends or 'none'}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--currencies", type=int, default=1, choices=range(1, 9))
    parser.add_argument("--json", action="store_true", help="results as JSON on stdout")
    args = parser.parse_args(argv)
    info = machine()
    with tempfile.TemporaryDirectory(prefix="rb-bench-scale-") as tmp:
        results = [bench_workers(int(n), args, Path(tmp)) for n in args.workers.split(",")]
    if args.json:
        print(json.dumps({"machine": info, "results": results}, indent=2))
    else:
        show(results, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
