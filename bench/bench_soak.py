#!/usr/bin/env python3
"""Soak: spins at half the peak for a long while; memory and p99 should stay flat.

    .venv/bin/python bench/bench_soak.py --minutes 10 --engine sqlite

A wallet and a provider (one process each, fresh databases) are started; the peak is
measured first (``--concurrency`` players spinning as fast as they can for
``--peak-seconds``). Then the same players spin at ``--load`` (0.5) × that peak, an open
loop: every spin has its scheduled time, and its latency counts from that time, so a
server that falls behind shows it. Every ``--interval`` seconds the spins per second,
p50, p99 and the resident memory of both servers are recorded; at the end, the slopes
of memory (MB per minute) and of p99 (ms per minute) over the run, fitted by least
squares after the first tenth of the run (start-up growth: caches, pools) and again over
its last half (once the SQLite page caches are full). ``--json``
prints everything as JSON. This is a benchmark, not a test: it never fails on a slope.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    Meter,
    Stack,
    databases,
    machine,
    percentile,
    postgres_cpu,
    say,
    slope,
)
from _load import Recorder, measure, run_async, spin_client


async def _soak(
    stack: Stack, rate: float, seconds: float, interval: float
) -> tuple[list[dict[str, Any]], Recorder]:  # float ok: seconds and rates
    rec = Recorder(start=0.0)
    done: list[tuple[float, float, bool]] = []  # (end, latency, ok)
    rec.on_done = lambda t0, t1, error: done.append((t1, t1 - t0, error is None))
    players = len(stack.players)
    period = players / rate
    begin = time.perf_counter() + 0.5

    def pacer(index: int) -> Any:
        k = 0

        async def pace() -> float:
            nonlocal k
            due = begin + (index / players + k) * period
            k += 1
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            return due

        return pace

    tasks = [
        asyncio.create_task(spin_client(stack.provider.url, token, rec, pace=pacer(i)))
        for i, token in enumerate(stack.players)
    ]
    points: list[dict[str, Any]] = []
    try:
        end = begin + seconds
        mark, seen = begin, 0
        while mark < end:
            await asyncio.sleep(max(0.0, mark + interval - time.perf_counter()))
            now = time.perf_counter()
            window = [d for d in done[seen:] if d[0] <= now]
            seen += len(window)
            latencies = [lat for _, lat, _ in window]
            points.append(
                {
                    "minute": round((now - begin) / 60, 3),
                    "spins_per_second": round(sum(ok for *_, ok in window) / (now - mark), 1),
                    "errors": sum(not ok for *_, ok in window),
                    "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
                    "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
                    "wallet_rss_mb": round(stack.wallet.rss() / 1e6, 1),
                    "provider_rss_mb": round(stack.provider.rss() / 1e6, 1),
                }
            )
            say(f"soak: {points[-1]}")
            mark = now
    finally:
        rec.stop = True
        await asyncio.wait(tasks, timeout=15)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return points, rec


def slopes(points: list[dict[str, Any]], *, skip: float = 0.1) -> dict[str, Any]:
    """Per-minute slopes after the first ``skip`` share of the run, and the drift they
    make over the fitted span as a share of the mean."""
    kept = points[max(1, int(len(points) * skip)) :] if len(points) > 2 else points
    span = (kept[-1]["minute"] - kept[0]["minute"]) if kept else 0.0
    out: dict[str, Any] = {"fitted_minutes": round(span, 2), "points": len(kept)}
    for key, unit in (
        ("wallet_rss_mb", "MB"),
        ("provider_rss_mb", "MB"),
        ("p99_ms", "ms"),
        ("p50_ms", "ms"),
    ):
        values = [(p["minute"], p[key]) for p in kept if p[key] == p[key]]  # drop nan
        if not values:
            continue
        mean = sum(v for _, v in values) / len(values)
        per_minute = slope(values)
        out[key] = {
            f"slope_{unit}_per_minute": round(per_minute, 3),
            "mean": round(mean, 2),
            "drift_percent": round(100 * per_minute * span / mean, 1) if mean else 0.0,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the soak."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--load", type=float, default=0.5, help="share of the peak")
    parser.add_argument("--peak-seconds", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds per point")
    parser.add_argument("--json", action="store_true", help="results as JSON on stdout")
    args = parser.parse_args(argv)
    info = machine()
    with (
        tempfile.TemporaryDirectory(prefix="rb-bench-soak-") as tmp,
        databases(args.engine, Path(tmp)) as (wallet_db, provider_db, names),
        Stack.running(wallet_db, provider_db, Path(tmp)) as stack,
    ):
        say(f"setting up {args.concurrency} players")
        stack.set_up(args.concurrency)
        parts = {"wallet": stack.wallet.cpu, "provider": stack.provider.cpu}
        if names:
            parts["postgres"] = lambda: postgres_cpu(names)
        say(f"peak: 2 s warm-up + {args.peak_seconds} s")
        peak = Recorder()
        run_async(
            measure(
                [spin_client(stack.provider.url, t, peak) for t in stack.players],
                peak,
                Meter(parts),
                warmup=2,
                seconds=args.peak_seconds,
            )
        )
        peak_rate = peak.ok / (peak.end - peak.start)
        rate = args.load * peak_rate
        say(f"peak {peak_rate:.1f} spins/s; soak at {rate:.1f} spins/s for {args.minutes} min")
        meter = Meter(parts)
        meter.begin()
        points, _ = run_async(_soak(stack, rate, args.minutes * 60, args.interval))
        cpu = meter.end()
    result = {
        "machine": info,
        "engine": args.engine,
        "peak_spins_per_second": round(peak_rate, 1),
        "peak_p99_ms": round(percentile(peak.latencies, 0.99) * 1000, 2),
        "offered_spins_per_second": round(rate, 1),
        "cpu_percent": {k: round(v, 1) for k, v in cpu.items()},
        "points": points,
        "slopes": slopes(points),
        "slopes_last_half": slopes(points, skip=0.5),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"machine: {info['nproc']} cores, {info['cpu']}, load average "
        f"{info['load_average_1min']} at start, {info['date']}; engine {args.engine}"
    )
    print(
        f"peak {result['peak_spins_per_second']} spins/s (p99 {result['peak_p99_ms']} ms); "
        f"soak offered {result['offered_spins_per_second']} spins/s for {args.minutes} min; "
        f"cpu% {' '.join(f'{k} {v:.0f}' for k, v in result['cpu_percent'].items())}"
    )
    print(f"{'minute':>7} {'spins/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
          f"{'wallet MB':>10} {'provider MB':>12}")  # fmt: skip
    for p in points:
        print(
            f"{p['minute']:7.2f} {p['spins_per_second']:8.1f} {p['p50_ms']:8.2f} "
            f"{p['p99_ms']:8.2f} {p['errors']:6d} {p['wallet_rss_mb']:10.1f} "
            f"{p['provider_rss_mb']:12.1f}"
        )
    for s in (result["slopes"], result["slopes_last_half"]):
        print(f"slopes over the last {s['fitted_minutes']} min ({s['points']} points):")
        for key in ("wallet_rss_mb", "provider_rss_mb", "p50_ms", "p99_ms"):
            if key in s:
                line = ", ".join(f"{k} {v}" for k, v in s[key].items())
                print(f"  {key}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
