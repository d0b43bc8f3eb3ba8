"""Every benchmark, one report: ``python3 dev.py bench --all`` runs this.

Usage::

    python bench/bench_all.py [--report DIR] [--seconds S] [--soak-minutes M]

1. the wallet (``bench_wallet.py --all``: the comparison with its baselines, latency at
   10/50/100 % of the peak, reads under load, the ledger grown to 10 M rows), which
   writes ``wallet.md``, ``wallet.png`` (throughput and p99 against offered load) and
   ``wallet.json``;
2. the provider end to end (``bench_provider.py``: spins against the wallet's own rate);
3. scale-out (``bench_scale.py``: 1, 2 and 4 processes of each side on PostgreSQL);
4. with ``--soak-minutes M``, the soak (``bench_soak.py``) at half the peak.

Then ``report.md`` in the report folder (``bench/results/`` by default) holds the wallet's
Markdown, the provider and scale-out tables, the soak's slopes and the machine's
description. Each script runs as its own process, one after the other (never two loads
at once); nothing fails on a slow figure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _run_json(script: str, *args: str) -> dict[str, Any]:
    print(f"[bench] {script} {' '.join(args)}", file=sys.stderr, flush=True)
    done = subprocess.run(
        [sys.executable, str(HERE / script), *args, "--json"],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def provider_md(data: dict[str, Any]) -> str:
    """The provider benchmark as a Markdown table."""
    lines = [
        "## The provider end to end (`bench_provider.py`)",
        "",
        "| engine | target | per s | p50 ms | p99 ms | errors | ratio | target | CPU µs per op |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in data["results"]:
        for row in result["rows"]:
            ratio = f"{row['ratio']:.2f}×" if "ratio" in row else "baseline"
            target = "≥ 0.3×" if "ratio" in row else ""
            cpu = ", ".join(f"{k} {v:.0f}" for k, v in row["cpu_us_per_op"].items())
            lines.append(
                f"| {result['engine']} | {row['target']} | {row['per_second']:.1f} "
                f"| {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {sum(row['errors'].values())} "
                f"| {ratio} | {target} | {cpu} |"
            )
    return "\n".join(lines) + "\n"


def scale_md(data: dict[str, Any]) -> str:
    """The scale-out benchmark as a Markdown table."""
    results = data["results"]
    base = results[0]["spins_per_second"] or 1
    lines = [
        "## Scale-out on one PostgreSQL (`bench_scale.py`)",
        "",
        "| processes per side | spins/s | × N=1 | p50 ms | p99 ms | errors | what limits it |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['workers']} | {r['spins_per_second']:.1f} | {r['spins_per_second'] / base:.2f} "
            f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {sum(r['errors'].values())} "
            f"| {r['limit']} |"
        )
    return "\n".join(lines) + "\n"


def soak_md(data: dict[str, Any]) -> str:
    """The soak's slopes as a Markdown table: after the first tenth of the run, and over
    its last half."""
    cpu = ", ".join(f"{k} {v:.0f} %" for k, v in data.get("cpu_percent", {}).items())
    lines = [
        "## Soak at half the peak (`bench_soak.py`)",
        "",
        f"Peak {data.get('peak_spins_per_second', '?')} spins/s (closed loop); the soak "
        f"offered {data.get('offered_spins_per_second', '?')} spins/s (open loop). "
        f"CPU during the soak (1 core = 100 %): {cpu or '?'}.",
        "",
        "| figure | fitted over | slope per minute | mean | drift over the span |",
        "|---|---|---|---|---|",
    ]
    for name in ("slopes", "slopes_last_half"):
        slopes = data.get(name, {})
        span = f"last {slopes.get('fitted_minutes', '?')} min"
        for key, value in slopes.items():
            if isinstance(value, dict):
                slope = next(v for k, v in value.items() if k.startswith("slope"))
                lines.append(
                    f"| {key} | {span} | {slope} | {value['mean']} | {value['drift_percent']} % |"
                )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, default=HERE / "results")
    parser.add_argument("--seconds", default="10", help="measured window of each run (s)")
    parser.add_argument("--soak-minutes", type=float, default=0.0, help="0: no soak")
    args = parser.parse_args(argv)
    args.report.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, str(HERE / "bench_wallet.py"), "--all", "--seconds", args.seconds,
         "--report", str(args.report)],
        check=True,
    )  # fmt: skip
    parts = [(args.report / "wallet.md").read_text()]
    provider = _run_json("bench_provider.py", "--seconds", args.seconds)
    parts.append(provider_md(provider))
    scale = _run_json("bench_scale.py", "--seconds", args.seconds)
    parts.append(scale_md(scale))
    if args.soak_minutes > 0:
        parts.append(soak_md(_run_json("bench_soak.py", "--minutes", str(args.soak_minutes))))
    report = args.report / "report.md"
    report.write_text("\n".join(parts))
    (args.report / "provider.json").write_text(json.dumps(provider, indent=2))
    (args.report / "scale.json").write_text(json.dumps(scale, indent=2))
    print(f"[bench] wrote {report}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
