"""How the certify commands show their work: a progress display while scenarios run,
then the report as a table (with the exchanges of every failure), JSON and JUnit files,
and exit status 1 when any scenario failed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from reelbridge.cli._common import console
from reelbridge.testing.certify import Report, Result, Status
from reelbridge.testing.certify.runner import Scenario, select
from reelbridge.testing.certify.wallet_check import SetupError

_STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.NOT_RUN: "yellow"}
_MARK = {Status.PASS: "✓", Status.FAIL: "✗", Status.NOT_RUN: "–"}


def report_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options both kits share: scenario choice and report files."""
    for option in reversed(
        (
            click.option(
                "--only",
                multiple=True,
                metavar="PATTERN",
                help="Run only matching scenarios: a rule (B9), a prefix or a glob.",
            ),
            click.option("--list", "list_only", is_flag=True, help="List the scenarios and exit."),
            click.option(
                "--json",
                "json_path",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Write the report as JSON to FILE.",
            ),
            click.option(
                "--junit",
                "junit_path",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Write the report as JUnit XML to FILE.",
            ),
        )
    ):
        command = option(command)
    return command


def list_scenarios(scenarios: tuple[Scenario[Any], ...]) -> None:
    """Print the scenarios as a table."""
    table = Table("scenario", "checks", title=f"{len(scenarios)} scenarios")
    for scenario in scenarios:
        table.add_row(scenario.name, scenario.summary)
    console.print(table)


Ask = Callable[[str], None]
"""Shows a message to the engineer (``say``) or shows it and waits for Enter (``pause``)."""


def run_with_progress(
    scenarios: tuple[Scenario[Any], ...],
    only: tuple[str, ...],
    run: Callable[
        [Callable[[Scenario[Any], Result | None], None], Ask, Ask], Coroutine[Any, Any, Report]
    ],
) -> Report:
    """Run a kit under a progress bar: a line per finished scenario; messages for the
    engineer above it (``pause`` waits for Enter when the terminal is interactive)."""
    try:
        total = len(select(scenarios, only))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--only") from None
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("starting", total=total)

        def progress(scenario: Scenario[Any], result: Result | None) -> None:
            if result is None:
                bar.update(task, description=escape(scenario.name))
                return
            bar.advance(task)
            style = _STYLE[result.status]
            bar.console.print(
                f"[{style}]{_MARK[result.status]} {escape(result.name)}[/] "
                f"[dim]{escape(result.reason)}[/]"
            )

        def say(message: str) -> None:
            bar.console.print(f"[bold cyan]{escape(message)}[/]")

        def pause(message: str) -> None:
            say(message)
            if sys.stdin.isatty():
                bar.stop()
                click.prompt("Press Enter to go on", default="", show_default=False)
                bar.start()

        try:
            return asyncio.run(run(progress, say, pause))
        except SetupError as exc:
            raise click.ClickException(str(exc)) from None


def show_report(report: Report, json_path: Path | None, junit_path: Path | None) -> None:
    """Print the report table and failures; write the files; exit 1 on any failure."""
    table = Table(title=f"certify {report.kind}: {escape(report.target)}")
    table.add_column("scenario", overflow="fold")
    table.add_column("result", no_wrap=True)
    table.add_column("why", overflow="fold")
    for result in report.results:
        style = _STYLE[result.status]
        table.add_row(escape(result.name), f"[{style}]{result.status}[/]", escape(result.reason))
    console.print(table)
    for result in report.results:
        if result.status is Status.FAIL and result.exchanges:
            console.print(f"\n[bold red]{escape(result.name)}[/]: {escape(result.reason)}")
            for exchange in result.exchanges:
                console.print(escape(exchange.describe()), soft_wrap=True)
    counts = {s: report.count(s) for s in Status}
    console.print(
        f"\n{counts[Status.PASS]} passed, {counts[Status.FAIL]} failed, "
        f"{counts[Status.NOT_RUN]} not run in {report.seconds:.1f} s"
    )
    for path, data in ((json_path, report.dumps().encode()), (junit_path, report.to_junit())):
        if path is not None:
            try:
                path.write_bytes(data)
            except OSError as exc:
                raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
            console.print(f"report written to {path}")
    if report.failed:
        raise click.exceptions.Exit(1)
