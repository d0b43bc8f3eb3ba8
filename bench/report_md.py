"""The wallet benchmark's written report: a Markdown file, a PNG plot and the JSON.

``write(report_dir, sections, info)`` writes ``wallet.md`` (the machine, then one table
per mode), ``wallet.json`` and ``wallet.png`` (throughput and p99 against offered load,
one line per engine; matplotlib from the ``bench`` extra).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loadgen import DISTURBED, Result
from report import as_json, ratio_of


def _ms(value: float) -> str:
    return "–" if value != value else f"{value:.2f}"  # NaN: no requests


def _verdict(row: Result, rows: list[Result]) -> tuple[str, str]:
    if not row.baseline:
        return "baseline" if any(r.baseline == row.name for r in rows) else "", ""
    info = ratio_of(row, rows)
    if info.get("ratio") is None:
        return "n/a", ""
    text = f"{info['ratio']:.2f}× {info['ratio_to']}"
    return text, f"≥ {row.target:.2f}: {info['verdict']}" if row.target else ""


def _compare(rows: list[Result]) -> list[str]:
    out = [
        "| target | req/s | p50 ms | p99 ms | errors | ratio | target | CPU µs/req |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.skipped:
            out.append(f"| {r.name} | skipped: {r.skipped} | | | | | | |")
            continue
        ratio, target = _verdict(r, rows)
        cpu = ", ".join(
            f"{k} {v * 1e4 * r.seconds / r.requests:.0f}"
            for k, v in r.cpu.items()
            if k not in ("other", "machine") and r.requests
        )
        out.append(
            f"| {r.name} | {r.rps:,.0f} | {_ms(r.percentile(0.5))} | {_ms(r.percentile(0.99))} "
            f"| {r.errors} | {ratio} | {target} | {cpu} |"
        )
    return out


def _latency(rows: list[Result]) -> list[str]:
    out = [
        "| engine | offered load | offered req/s | achieved req/s | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        fraction = r.extra.get("fraction")
        load = "peak (closed loop)" if fraction is None else f"{fraction:.0%} of peak"
        offered = r.extra.get("offered_rps")
        out.append(
            f"| {r.extra.get('engine')} | {load} | {'' if offered is None else f'{offered:,.0f}'} "
            f"| {r.rps:,.0f} | {_ms(r.percentile(0.5))} | {_ms(r.percentile(0.99))} "
            f"| {r.errors} |"
        )
    return out


def _pairs(rows: list[Result], what: str) -> list[str]:
    out = [
        f"| engine | {what} | req/s | p99 ms | throughput ratio | p99 ratio | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        base = next((b for b in rows if b.name == r.baseline), None)
        if base is None or not base.rps:
            ratio = p99 = target = ""
        else:
            ratio = f"{r.rps / base.rps:.2f}×"
            p99 = f"{r.percentile(0.99) / base.percentile(0.99):.2f}×"
            target = "throughput ≥ 0.90×" + (", p99 ≤ 1.11×" if what == "reads" else "")
        label = r.name.split(" ", 1)[1]
        out.append(
            f"| {r.extra.get('engine')} | {label} | {r.rps:,.0f} | {_ms(r.percentile(0.99))} "
            f"| {ratio} | {p99} | {target} |"
        )
    reads = [r for r in rows if "reads" in r.extra]
    for r in reads:
        summary = ", ".join(
            f"`{path}` {v['reads']} reads, p50 {v['p50_ms']} ms, max {v['max_ms']} ms"
            for path, v in r.extra["reads"].items()
            if isinstance(v, dict) and "reads" in v
        )
        out += ["", f"Reads done during the {r.extra.get('engine')} window: {summary}."]
    for r in rows:
        info = r.extra.get("prefill")
        if info and info.get("rows") and r.baseline:
            out += [
                "",
                f"{r.extra.get('engine')}: journal pre-filled with {info['rows']:,} rows "
                f"in {info['seconds']} s"
                + (f" ({info['file_mb']} MB file)" if "file_mb" in info else "")
                + ".",
            ]
    return out


def markdown(sections: dict[str, list[Result]], info: dict[str, Any]) -> str:
    """The whole report as Markdown."""
    m, run = info["machine"], info["run"]
    lines = [
        f"# Wallet benchmark, {run['date']}",
        "",
        f"- machine: {m['cpu']}, {m['nproc']} cores; Python {m['python']}; "
        f"SQLite {m['sqlite']}; {m.get('postgres') or 'PostgreSQL: not measured'}; "
        f"{m['platform']}",
        f"- windows: {run['seconds']:g} s measured after {run['warmup']:g} s warm-up; "
        f"{run['concurrency']} closed-loop clients; rounds of bet {run['bet']} + win {run['win']}; "
        f"SQLite on {run['sqlite_fs']}",
        f"- other processes used up to {run['other_max']:.0f} % of a core during the windows"
        + (
            " (**disturbed**: compare ratios, not absolute figures)"
            if run["other_max"] > DISTURBED
            else ""
        ),
        "",
    ]
    titles = {
        "compare": "Throughput against the baselines",
        "latency": "Latency at offered load (open loop, from the scheduled time)",
        "reads": "Reads under load (ledger check, listings, /metrics in a loop)",
        "growth": "Cost as the ledger grows",
    }
    for key, rows in sections.items():
        if not rows:
            continue
        lines += [f"## {titles[key]}", ""]
        if key == "compare":
            lines += _compare(rows)
        elif key == "latency":
            lines += _latency(rows)
        else:
            lines += _pairs(rows, "reads" if key == "reads" else "journal")
        lines.append("")
    return "\n".join(lines)


def plot(rows: list[Result], path: Path, title: str) -> bool:
    """Throughput and p99 against offered load, one line per engine; False without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for engine in sorted({str(r.extra.get("engine")) for r in rows}):
        points = sorted(
            (r.extra["offered_rps"], r.rps, r.percentile(0.99))
            for r in rows
            if r.extra.get("engine") == engine and "offered_rps" in r.extra
        )
        if not points:
            continue
        offered = [p[0] for p in points]
        left.plot(offered, [p[1] for p in points], marker="o", label=f"wallet {engine}")
        right.plot(offered, [p[2] for p in points], marker="o", label=f"wallet {engine}")
    top = max((r.extra.get("offered_rps", 0) for r in rows), default=0)
    left.plot([0, top], [0, top], linestyle=":", color="grey", label="achieved = offered")
    right.axhline(10, linestyle=":", color="grey", label="10 ms")
    left.set(xlabel="offered load (req/s)", ylabel="achieved (req/s)", title="throughput")
    right.set(xlabel="offered load (req/s)", ylabel="p99 latency (ms)", title="p99", yscale="log")
    for axes in (left, right):
        axes.grid(True, alpha=0.3)
        axes.legend()
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def write(report_dir: Path, sections: dict[str, list[Result]], info: dict[str, Any]) -> list[Path]:
    """Write ``wallet.md``, ``wallet.json`` and (with matplotlib) ``wallet.png``."""
    report_dir.mkdir(parents=True, exist_ok=True)
    written = []
    md = report_dir / "wallet.md"
    text = markdown(sections, info)
    png = report_dir / "wallet.png"
    m = info["machine"]
    if sections.get("latency") and plot(
        sections["latency"],
        png,
        f"wallet, {info['run']['date']}: {m['cpu']}, {m['nproc']} cores, Python {m['python']}, "
        f"SQLite {m['sqlite']}, {m.get('postgres') or ''}",
    ):
        text += "\n![throughput and p99 against offered load](wallet.png)\n"
        written.append(png)
    md.write_text(text)
    written.append(md)
    data = {key: as_json(rows, info)["results"] for key, rows in sections.items()}
    (report_dir / "wallet.json").write_text(
        json.dumps({"machine": info["machine"], "run": info["run"], **data}, indent=2, default=str)
    )
    written.append(report_dir / "wallet.json")
    return written
