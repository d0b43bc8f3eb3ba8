"""``reelbridge certify wallet|provider``: prove a wallet or a provider against the protocol.

Both show a progress display while scenarios run, then the report as a table (with the
exchanges of every failure), optionally written as JSON (``--json FILE``) and JUnit
XML (``--junit FILE``). The exit status is 1 when any scenario failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from reelbridge.cli._common import console
from reelbridge.config import ENV_ADMIN_TOKEN
from reelbridge.testing.certify import Report, Result, Status, WalletTarget, certify_wallet
from reelbridge.testing.certify.runner import Scenario
from reelbridge.testing.certify.wallet_check import SetupError
from reelbridge.testing.certify.wallet_kit import wallet_scenarios

_STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.NOT_RUN: "yellow"}
_MARK = {Status.PASS: "✓", Status.FAIL: "✗", Status.NOT_RUN: "–"}


@click.group()
def certify() -> None:
    """Prove a wallet or a provider against PROTOCOL.md, with fault injection."""


def report_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options both kits share: scenario choice and report files."""
    for option in reversed(
        (
            click.option("--only", multiple=True, metavar="PATTERN",
                         help="Run only matching scenarios: a rule (B9), a prefix or a glob."),
            click.option("--list", "list_only", is_flag=True, help="List the scenarios and exit."),
            click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
                         help="Write the report as JSON to FILE."),
            click.option("--junit", "junit_path", type=click.Path(dir_okay=False, path_type=Path),
                         help="Write the report as JUnit XML to FILE."),
        )
    ):  # fmt: skip
        command = option(command)
    return command


def list_scenarios(scenarios: tuple[Scenario[Any], ...]) -> None:
    """Print the scenarios as a table."""
    table = Table("scenario", "checks", title=f"{len(scenarios)} scenarios")
    for scenario in scenarios:
        table.add_row(scenario.name, scenario.summary)
    console.print(table)


def run_with_progress(
    scenarios: tuple[Scenario[Any], ...],
    only: tuple[str, ...],
    run: Callable[[Callable[[Scenario[Any], Result | None], None]], Coroutine[Any, Any, Report]],
) -> Report:
    """Run a kit under a progress bar; a line per finished scenario."""
    try:
        from reelbridge.testing.certify.runner import select

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

        try:
            return asyncio.run(run(progress))
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


def _check_admin(admin_url: str | None, admin_token: str | None, env: str) -> None:
    if admin_url is not None and not admin_token:
        raise click.BadParameter(
            f"--admin-url needs --admin-token (or {env})", param_hint="--admin-token"
        )


@certify.command("wallet")
@click.option("--url", help="The wallet endpoint, e.g. http://127.0.0.1:8000/wallet/my-casino.")
@click.option("--client-id", help="The client the kit plays as.")
@click.option("--token", help="That client's token (signs every call).")
@click.option("--admin-url", default=None, help="Base URL of the wallet's admin API (five calls).")
@click.option("--admin-token", envvar=ENV_ADMIN_TOKEN, default=None, show_envvar=True,
              help="Bearer token of the admin API.")  # fmt: skip
@click.option("--session", "sessions", multiple=True, metavar="ID",
              help="A pre-made session of a funded player (without --admin-url).")  # fmt: skip
@click.option("--game-id", default="certify-game", show_default=True,
              help="The game of the sessions the kit opens or is given.")  # fmt: skip
@click.option("--currency", default="EUR", show_default=True)
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 120),
              help="Seconds a wallet call may take.")  # fmt: skip
@click.option("--load-seconds", default=3.0, show_default=True, type=click.FloatRange(0.1, 600))
@click.option("--load-workers", default=16, show_default=True, type=click.IntRange(1, 256))
@report_options
def wallet_command(
    url: str | None,
    client_id: str | None,
    token: str | None,
    admin_url: str | None,
    admin_token: str | None,
    sessions: tuple[str, ...],
    game_id: str,
    currency: str,
    timeout: float,  # float ok: seconds
    load_seconds: float,  # float ok: seconds
    load_workers: int,
    only: tuple[str, ...],
    list_only: bool,
    json_path: Path | None,
    junit_path: Path | None,
) -> None:
    """Certify any implementation of the aggregator's wallet."""
    scenarios = wallet_scenarios()
    if list_only:
        list_scenarios(scenarios)
        return
    for value, flag in ((url, "--url"), (client_id, "--client-id"), (token, "--token")):
        if not value:
            raise click.BadParameter("is required", param_hint=flag)
    assert url is not None and client_id is not None and token is not None
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("must be an http:// or https:// URL", param_hint="--url")
    _check_admin(admin_url, admin_token, ENV_ADMIN_TOKEN)
    if admin_url is None and not sessions:
        raise click.UsageError("give --admin-url (with --admin-token) or at least one --session")
    target = WalletTarget(
        url=url,
        client_id=client_id,
        token=token,
        admin_url=admin_url,
        admin_token=admin_token if admin_url else None,
        sessions=sessions,
        game_id=game_id,
        currency=currency,
        timeout=timeout,
        load_seconds=load_seconds,
        load_workers=load_workers,
    )
    report = run_with_progress(
        scenarios, only, lambda progress: certify_wallet(target, only=only, progress=progress)
    )
    show_report(report, json_path, junit_path)
