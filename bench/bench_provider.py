#!/usr/bin/env python3
"""The provider end to end: spins per second against the wallet's own bet+win rate,
both measured in the same run on the same wallet server.

    .venv/bin/python bench/bench_provider.py --seconds 10 --concurrency 32 --engines sqlite,postgres

For each engine, ``reelbridge aggregator serve`` and ``reelbridge provider serve`` run
as subprocesses (one process each, fresh databases), wired through their admin APIs.
Then, each for ``--seconds`` after ``--warmup`` seconds, by ``--concurrency`` virtual
clients on keep-alive connections:

- ``wallet rounds`` (the baseline): signed ``bet`` 0.20 + ``win`` 0.10 pairs straight to
  the wallet, each client on its own session; one round = both calls.
- ``provider spins``: ``POST /game/api/{token}/spin``, each client on its own game
  session: the provider stores the round and its bet (outbox), sends the bet, draws,
  stores the outcome, the jackpot pools' moves and the win, sends the win. A spin counts
  when it answers ``settled``. Target: ≥ 0.3× the wallet's rounds per second.

``--profile`` runs the provider under ``bench/_sampler.py`` (a CPU sampling profiler,
one sample per millisecond of CPU, kept for the measured window of the spins only) and
prints where its CPU goes by area and by step (the profiler costs a few per cent).
``--json`` prints the results as JSON on stdout. See bench/PROVIDER.md.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import (
    HERE,
    Meter,
    Stack,
    databases,
    machine,
    percentile,
    postgres_cpu,
    say,
)
from _load import Recorder, measure, run_async, spin_client, wallet_client

TARGET = 0.3


def _row(name: str, rec: Recorder, cpu: dict[str, float], seconds: float) -> dict[str, Any]:
    rate = rec.ok / seconds
    return {
        "target": name,
        "per_second": round(rate, 1),
        "p50_ms": round(percentile(rec.latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(rec.latencies, 0.99) * 1000, 2),
        "errors": dict(rec.errors),
        "cpu_percent": {k: round(v, 1) for k, v in cpu.items()},
        "cpu_us_per_op": {
            k: round(v * 10_000 / rate, 1)
            for k, v in cpu.items()
            if k not in ("other", "machine") and rate
        },
    }


def bench_engine(engine: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Baseline then spins on one engine."""
    samples = (args.keep_profile or tmp) / f"provider-{engine}.json"
    python = [sys.executable, str(HERE / "_sampler.py"), str(samples), "-m", "reelbridge"]
    with (
        databases(engine, tmp) as (wallet_db, provider_db, names),
        Stack.running(
            wallet_db, provider_db, tmp, python=python if args.profile else None
        ) as stack,
    ):
        say(f"{engine}: setting up {args.concurrency} players")
        stack.set_up(args.concurrency)
        parts = {"wallet": stack.wallet.cpu, "provider": stack.provider.cpu}
        if names:
            parts["postgres"] = lambda: postgres_cpu(names)
        rows = []
        for name, make, marks in (
            (
                "wallet rounds (bet+win)",
                lambda rec: [
                    wallet_client(stack.wallet.url, s, rec, f"w{secrets.token_hex(3)}-{i}")
                    for i, s in enumerate(stack.sessions)
                ],
                None,
            ),
            (
                "provider spins",
                lambda rec: [spin_client(stack.provider.url, t, rec) for t in stack.players],
                (lambda: stack.provider.signal(signal.SIGUSR1),
                 lambda: stack.provider.signal(signal.SIGUSR2)) if args.profile else None,
            ),
        ):  # fmt: skip
            say(f"{engine}: {name}, {args.warmup} s warm-up + {args.seconds} s")
            rec = Recorder()
            cpu = run_async(
                measure(
                    make(rec), rec, Meter(parts), warmup=args.warmup, seconds=args.seconds,
                    marks=marks,
                )
            )  # fmt: skip
            rows.append(_row(name, rec, cpu, rec.end - rec.start))
    baseline, spins = rows
    ratio = spins["per_second"] / baseline["per_second"] if baseline["per_second"] else 0.0
    spins["ratio"] = round(ratio, 3)
    spins["verdict"] = "PASS" if ratio >= TARGET else "BELOW"
    result: dict[str, Any] = {"engine": engine, "rows": rows}
    if args.profile:
        result["profile"] = profile(samples, spins["per_second"] * (rec.end - rec.start))
    return result


AREAS = (
    ("/reelbridge/provider/", "provider code"),
    ("/reelbridge/games/", "games (draw, evaluation)"),
    ("/reelbridge/storage/", "storage engines"),
    ("/reelbridge/protocol/", "protocol (codec, signing)"),
    ("/reelbridge/", "reelbridge, other"),
    ("/httpx/", "outgoing HTTP (httpx, httpcore, h11, anyio)"),
    ("/httpcore/", "outgoing HTTP (httpx, httpcore, h11, anyio)"),
    ("/h11/", "outgoing HTTP (httpx, httpcore, h11, anyio)"),
    ("/anyio/", "outgoing HTTP (httpx, httpcore, h11, anyio)"),
    ("/uvicorn/", "incoming HTTP (uvicorn, starlette)"),
    ("/starlette/", "incoming HTTP (uvicorn, starlette)"),
    ("/asyncpg/", "asyncpg"),
    ("/asyncio/", "event loop (asyncio)"),
)
STEPS = (
    ("spins.py:spin", "a whole spin (game API)"),
    ("rounds.py:begin", "store the round and its bet (rounds.begin)"),
    ("spins.py:open", "store + send the bet (SpinService.open)"),
    ("wallet_client.py:call", "wallet calls (sign, POST, classify)"),
    ("spins.py:_draw_and_settle", "draw, store the outcome, send the win"),
    ("rounds.py:store_outcome", "store the outcome (rounds.store_outcome)"),
    ("jackpots.py:pay", "feed and pay the jackpot pools"),
    ("outbox.py:deliver", "deliver a win (send + mark delivered)"),
    ("games/_engine.py:draw", "draw the game"),
    ("games/_engine.py:replay", "evaluate the game"),
    ("sqlite.py:_batches", "SQLite batches (all flows)"),
    ("postgres.py:run", "PostgreSQL flows"),
)


def profile(path: Path, spins: float) -> dict[str, Any]:
    """Where the provider's CPU went in the window: by area (innermost frame's file)
    and by step (any frame on the stack), with CPU µs per spin."""
    data = json.loads(path.read_text())
    n, per = data["samples"] or 1, data["interval_s"] * 1e6 / max(spins, 1)
    areas: dict[str, int] = {}
    for where, count in data["self"]:
        area = next((name for needle, name in AREAS if needle in where), "other")
        areas[area] = areas.get(area, 0) + count
    totals = dict(data["total"])
    steps = {
        label: sum(c for w, c in totals.items() if w.endswith(needle.split(":")[1])
                   and needle.split(":")[0] in w)
        for needle, label in STEPS
    }  # fmt: skip
    return {
        "samples": data["samples"],
        "us_per_spin": round(n * per, 1),
        "by_area": {
            k: round(100 * v / n, 1) for k, v in sorted(areas.items(), key=lambda i: -i[1])
        },
        "by_step_percent": {k: round(100 * v / n, 1) for k, v in steps.items() if v},
        "top_self": [
            {"percent": round(100 * c / n, 1), "function": w.split("site-packages/")[-1]}
            for w, c in data["self"][:12]
        ],
    }


def show(results: list[dict[str, Any]], info: dict[str, Any]) -> None:
    """The table."""
    print(
        f"machine: {info['nproc']} cores, {info['cpu']}, Python {info['python']}, "
        f"load average {info['load_average_1min']} at start, {info['date']}"
    )
    head = f"{'engine':8} {'target':26} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    print(f"{head}  {'ratio':>6} {'target':>7} verdict  cpu% (1 core = 100)")
    for result in results:
        for row in result["rows"]:
            errors = sum(row["errors"].values())
            ratio = f"{row['ratio']:.2f}x" if "ratio" in row else "base"
            target = f">={TARGET}x" if "ratio" in row else ""
            cpu = " ".join(f"{k} {v:.0f}" for k, v in row["cpu_percent"].items())
            print(
                f"{result['engine']:8} {row['target']:26} {row['per_second']:8.1f} "
                f"{row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {errors:7d}  {ratio:>6} "
                f"{target:>7} {row.get('verdict', ''):7}  {cpu}"
            )
        for row in result["rows"]:
            per = ", ".join(f"{k} {v:.0f}" for k, v in row["cpu_us_per_op"].items())
            print(f"  CPU per op (us), {row['target']}: {per}")
        if "profile" in result:
            p = result["profile"]
            measured = next(r for r in result["rows"] if "ratio" in r)["cpu_us_per_op"]
            print(
                f"  provider CPU profile: {p['samples']} samples = {p['us_per_spin']} us per spin"
                f" of the {measured.get('provider', 0):.0f} measured (ticks that land in C code"
                " coalesce: shares, not absolute figures)"
            )
            for area, share in p["by_area"].items():
                print(f"    {share:5.1f} %  {area}")
            print("  by step (% of the samples; a step includes its sub-steps):")
            for step, share in p["by_step_percent"].items():
                print(f"    {share:5.1f} %  {step}")
            print("  hottest functions (self):")
            for item in p["top_self"]:
                print(f"    {item['percent']:5.1f} %  {item['function']}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--profile", action="store_true", help="the provider under cProfile")
    parser.add_argument("--json", action="store_true", help="results as JSON on stdout")
    parser.add_argument(
        "--keep-profile", type=Path, default=None, help="folder to keep the raw samples in"
    )
    args = parser.parse_args(argv)
    info = machine()
    results = []
    with tempfile.TemporaryDirectory(prefix="rb-bench-provider-") as tmp:
        for engine in args.engines.split(","):
            results.append(bench_engine(engine, args, Path(tmp)))
    if args.json:
        print(json.dumps({"machine": info, "results": results}, indent=2))
    else:
        show(results, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
