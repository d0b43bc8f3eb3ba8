"""The wallet benchmark's report: the terminal table and JSON."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import bench_profile
from loadgen import DISTURBED, STOP_GRACE, Result

# -- report ----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        nproc = str(os.cpu_count())
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if "model name" in line), "")
    import sqlite3

    return {
        "nproc": int(nproc.strip()),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }


async def postgres_version(url: str) -> str | None:
    """``PostgreSQL 15.20`` (the server's short version), or None when unreachable."""
    import asyncpg

    try:
        conn = await asyncpg.connect(url, timeout=5)
    except Exception:
        return None
    try:
        return "PostgreSQL " + str(await conn.fetchval("SHOW server_version")).split()[0]
    finally:
        await conn.close()


def fs_type(path: Path) -> str:
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
                row.update(ratio_of(r, results))
        rows.append(row)
    return {"machine": info["machine"], "run": info["run"], "results": rows}


def ratio_of(r: Result, results: list[Result]) -> dict[str, Any]:
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


def print_table(results: list[Result], info: dict[str, Any], *, header: bool = True) -> None:
    m, run = info["machine"], info["run"]
    print()
    if not header:
        _print_rows(results)
        return
    print(
        f"machine: nproc={m['nproc']} ({m['cpu']}), Python {m['python']}, "
        f"SQLite {m['sqlite']}, {m.get('postgres') or 'no PostgreSQL'}, {m['platform']}"
    )
    print(
        f"run: {run['seconds']:g} s measured after {run['warmup']:g} s warm-up, "
        f"concurrency {run['concurrency']}, rounds of bet {run['bet']} + win {run['win']}, "
        f"SQLite on {run['sqlite_fs']} ({'exact CLI' if run['exact_cli'] else 'CLI + stats'})"
    )
    if run["sqlite_fs"] in ("tmpfs", "ramfs"):
        print("WARNING: the SQLite file is on a RAM file system: fsync costs nothing there")
    print()
    _print_rows(results)


def _print_rows(results: list[Result]) -> None:
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
        ratio = ratio_of(r, results) if r.baseline else {}
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
    if any(ratio_of(r, results).get("disturbed") for r in results if r.baseline and not r.skipped):
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
