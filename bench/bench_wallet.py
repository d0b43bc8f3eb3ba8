#!/usr/bin/env python3
"""The wallet benchmark: bet+win pairs over HTTP, against a baseline measured in the same run.

    .venv/bin/python bench/bench_wallet.py --seconds 10 --concurrency 64 --engines sqlite,postgres
    .venv/bin/python bench/bench_wallet.py --all      # + every mode, writes bench/results/

Targets, each measured for ``--seconds`` after ``--warmup`` seconds, by the same
``--concurrency`` virtual clients:

- ``bare``: a minimal uvicorn+Starlette endpoint (``bench/bare_server.py``) answering a
  fixed ``{"status":true,"balance":1.0}``; same server settings as the wallet.
- ``wallet sqlite``: ``reelbridge aggregator serve`` on a fresh SQLite file
  (WAL, synchronous=FULL: the default engine). Target: ≥ 0.5× bare.
- ``pg raw loop``: no HTTP, no reelbridge code: each virtual client runs asyncpg
  transactions ``UPDATE accounts … ; INSERT INTO transactions …`` (a bet, then a win)
  through a pool as large as the wallet's.
- ``wallet postgres``: the wallet on a fresh PostgreSQL database. Target: ≥ 1.0× raw.

Modes (``modes.py``): ``--latency`` (open-loop offered load at 10, 50, 100 % of the
peak), ``--reads`` (the wallet while an admin reads in a loop), ``--growth`` (an empty
journal against ``--prefill`` rows); ``--all`` runs them all and writes a Markdown
table, a PNG plot and JSON (``report_md.py``).

Servers run as subprocesses on free loopback ports; the load generator runs in this
process (raw asyncio streams on uvloop, keep-alive HTTP/1.1, requests built and signed
by hand). Every reply must be HTTP 200 with ``"status":true``; anything else is
counted as an error and reported. A ratio below its target prints BELOW but does not
fail the process. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import sys
import tempfile
import time
from pathlib import Path

import bench_profile
import modes
import report_md
from _common import say
from _load import run_async
from loadgen import PG_ADMIN_URL, ROOT, WALLET_POOL_SIZE, Result
from report import as_json, fs_type, machine, postgres_version, print_table, ratio_of
from targets import bench_bare, bench_postgres, bench_wallet

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
        "--limits",
        action="store_true",
        help="give every player generous loss, wager and session limits (never reached): "
        "the wallet then checks and counts them on every call",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        default=None,
        help="sample each server with py-spy during the window; raw stacks and a "
        "where-the-time-goes table (figures are then disturbed by the sampler)",
    )
    modes = parser.add_argument_group("modes (default: the throughput comparison only)")
    modes.add_argument("--latency", action="store_true", help="p50/p99 at 10, 50, 100 %% of peak")
    modes.add_argument("--reads", action="store_true", help="the wallet while admin reads loop")
    modes.add_argument("--growth", action="store_true", help="empty journal vs --prefill rows")
    modes.add_argument(
        "--all",
        action="store_true",
        help="every mode, then write --report (Markdown, PNG, JSON)",
    )
    modes.add_argument(
        "--prefill", type=int, default=10_000_000, help="journal rows of --growth (10 M)"
    )
    modes.add_argument(
        "--reads-prefill",
        type=int,
        default=1_000_000,
        help="journal rows under --reads (the ledger check scans them)",
    )
    modes.add_argument(
        "--reads-pause", type=float, default=0.5, help="seconds between rounds of admin reads"
    )
    modes.add_argument(
        "--open-connections", type=int, default=256, help="connections of the open-loop load"
    )
    modes.add_argument(
        "--growth-engines",
        default="sqlite",
        help="engines of --growth (default sqlite: pre-filling PostgreSQL takes minutes)",
    )
    modes.add_argument("--report", metavar="DIR", default=None, help="write wallet.md/.png/.json")
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
    args.growth_engines = [e.strip() for e in args.growth_engines.split(",") if e.strip()]
    if set(args.growth_engines) - {"sqlite", "postgres"}:
        parser.error("--growth-engines: sqlite and/or postgres")
    if args.all:
        args.latency = args.reads = args.growth = True
        args.report = args.report or str(ROOT / "bench" / "results")
    if args.prefill < 0 or args.reads_prefill < 0 or args.reads_pause < 0:
        parser.error("need --prefill, --reads-prefill, --reads-pause >= 0")
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
            ratio_of(r, rs).get("ratio") if r.baseline else None
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
        # one client makes every call here: a per-client limit would measure itself
        "REELBRIDGE_LIMITS_RATE_PER_SECOND": "1000000",
        "REELBRIDGE_PROVIDER_LIMITS_RATE_PER_SECOND": "1000000",
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
            "sqlite_fs": fs_type(work),
            "exact_cli": args.exact_cli,
        },
    }
    if "postgres" in args.engines or "postgres" in args.growth_engines:
        info["machine"]["postgres"] = run_async(postgres_version(args.pg_url))
    rounds: list[list[Result]] = []
    sections: dict[str, list[Result]] = {}
    try:
        for number in range(1, args.repeat + 1):
            if args.repeat > 1:
                say(f"round {number} of {args.repeat}")
            rounds.append(run_round(args, work, env, number))
        sections = run_modes(args, work, env)
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
        for key, rows in sections.items():
            print(f"\n== {key}")
            print_table(rows, info, header=False)
    if args.report:
        everything = {"compare": rounds[chosen], **sections}
        info["run"]["date"] = time.strftime("%Y-%m-%d")
        info["run"]["other_max"] = max(
            (_disturbance(rows) for rows in everything.values() if rows), default=0.0
        )
        for path in report_md.write(Path(args.report), everything, info):
            say(f"wrote {path}")
    return 0


def run_modes(args: argparse.Namespace, work: Path, env: dict[str, str]) -> dict[str, list[Result]]:
    """The modes asked for, engine by engine (see ``modes``)."""
    sections: dict[str, list[Result]] = {}
    if args.latency:
        sections["latency"] = [r for e in args.engines for r in modes.latency(args, e, work, env)]
    if args.reads:
        sections["reads"] = [r for e in args.engines for r in modes.reads(args, e, work, env)]
    if args.growth:
        sections["growth"] = [
            r for e in args.growth_engines for r in modes.growth(args, e, work, env)
        ]
    return sections


if __name__ == "__main__":
    sys.exit(main())
