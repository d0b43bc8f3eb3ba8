"""``reelbridge reconcile``: the provider's rounds against the wallet's journal.

Reads each side through its admin API (default) or its database URL, compares them to
the last 0.0001 (``reelbridge.reconcile``: every check is listed there) and prints a
table, or the whole report as JSON with ``--json``. Exit status: 0 when the books agree,
1 on any difference, 2 for bad usage, 3 when a side could not be read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from collections.abc import Iterator

import click
from rich.table import Table

from reelbridge.cli._common import console
from reelbridge.client import AdminClient
from reelbridge.config import ENV_ADMIN_TOKEN, ENV_PROVIDER_ADMIN_TOKEN
from reelbridge.protocol import to_decimal
from reelbridge.reconcile import (
    Database,
    ProviderApi,
    ProviderBooks,
    ProviderDatabase,
    Report,
    SourceError,
    WalletApi,
    WalletBooks,
    WalletDatabase,
    read_books,
    reconcile,
    report_json,
)

SHOWN = 50
"""Differences listed in the table (``--json`` lists them all)."""


class Unreadable(click.ClickException):
    """A side could not be read (exit status 3)."""

    exit_code = 3


def _clock() -> int:
    return time.time_ns() // 1000


def _exact(units: int) -> str:
    return f"{to_decimal(units):,.4f}"


def _admin(
    stack: contextlib.ExitStack, url: str, token: str | None, flag: str, env: str
) -> AdminClient:
    if not token:
        raise click.BadParameter(f"is required (or {env}) to read {url}", param_hint=flag)
    return stack.enter_context(AdminClient(url, token, timeout=60.0))


@contextlib.contextmanager
def _sides(
    provider: tuple[str, str | None, str | None], wallet: tuple[str, str | None, str | None]
) -> Iterator[tuple[ProviderBooks, WalletBooks]]:
    """The two sources, from ``(admin URL, admin token, database URL)`` of each side."""
    with contextlib.ExitStack() as stack:
        runner = stack.enter_context(asyncio.Runner())
        url, token, database_url = provider
        provider_books: ProviderBooks = (
            ProviderDatabase(stack.enter_context(Database(database_url, runner)))
            if database_url
            else ProviderApi(
                _admin(stack, url, token, "--provider-token", ENV_PROVIDER_ADMIN_TOKEN)
            )
        )
        url, token, database_url = wallet
        wallet_books: WalletBooks = (
            WalletDatabase(stack.enter_context(Database(database_url, runner)))
            if database_url
            else WalletApi(_admin(stack, url, token, "--aggregator-token", ENV_ADMIN_TOKEN))
        )
        yield provider_books, wallet_books


def _show(report: Report) -> None:
    table = Table(title="clients")
    for column in ("client", "rounds", "in flight", "wallet transactions", "differences"):
        table.add_column(column)
    per_client: defaultdict[str | None, int] = defaultdict(int)
    for d in report.differences:
        per_client[d.client_id] += 1
    for c in report.clients:
        counts = ", ".join(f"{n} {status}" for status, n in c.rounds.items()) or "none"
        table.add_row(
            c.client_id, counts, str(c.in_flight), str(c.transactions), str(per_client[c.client_id])
        )
    console.print(table)
    play = Table(title="play by currency (Σ win + jackpot − stake of settled rounds)")
    for column in ("client", "currency", "players", "settled rounds", "provider", "wallet"):
        play.add_column(column)
    play.add_column("difference")
    for c in report.clients:
        currencies = sorted({p.currency for p in c.players})
        for currency in currencies:
            mine = [p for p in c.players if p.currency == currency]
            provider = sum(p.provider_net for p in mine)
            wallet = sum(p.wallet_net for p in mine)
            play.add_row(
                c.client_id,
                currency,
                str(len(mine)),
                str(sum(p.settled_rounds for p in mine)),
                _exact(provider),
                _exact(wallet),
                _exact(wallet - provider),
            )
    console.print(play)
    console.print(f"wallet ledger: {'balanced' if report.ledger_balanced else 'NOT BALANCED'}")
    if report.ok:
        console.print("[green]the books agree: difference 0.0000[/green]")
        return
    shown = Table(title=f"differences ({len(report.differences)})")
    for column in ("check", "client", "round", "transaction", "player", "expected", "actual"):
        shown.add_column(column, overflow="fold")
    shown.add_column("detail")
    for d in report.differences[:SHOWN]:
        shown.add_row(
            str(d.check),
            d.client_id or "",
            d.round_id or "",
            d.transaction_id or "",
            " ".join(x for x in (d.player_id, d.currency) if x),
            "" if d.expected is None else _exact(d.expected),
            "" if d.actual is None else _exact(d.actual),
            d.detail,
        )
    console.print(shown)
    if len(report.differences) > SHOWN:
        console.print(f"… and {len(report.differences) - SHOWN} more (--json lists them all)")
    console.print(f"[red]{len(report.differences)} difference(s)[/red]")


@click.command("reconcile")
@click.option(
    "--provider-url",
    envvar="REELBRIDGE_PROVIDER_URL",
    default="http://127.0.0.1:8001",
    show_default=True,
    help="The provider's base URL (its admin API).",
)
@click.option(
    "--provider-token", envvar=ENV_PROVIDER_ADMIN_TOKEN, default=None, help="Its admin token."
)
@click.option("--provider-database-url", default=None, help="Read the provider's database instead.")
@click.option(
    "--aggregator-url",
    envvar="REELBRIDGE_AGGREGATOR_URL",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="The aggregator's base URL (its admin API).",
)
@click.option("--aggregator-token", envvar=ENV_ADMIN_TOKEN, default=None, help="Its admin token.")
@click.option("--aggregator-database-url", default=None, help="Read the wallet's database instead.")
@click.option(
    "--client",
    "clients",
    multiple=True,
    help="A client id to reconcile; repeat for several (default: all the provider serves).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option(
    "--wait",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="Re-check for up to this many seconds until the books agree (a system settling).",
)
def reconcile_command(
    provider_url: str,
    provider_token: str | None,
    provider_database_url: str | None,
    aggregator_url: str,
    aggregator_token: str | None,
    aggregator_database_url: str | None,
    clients: tuple[str, ...],
    as_json: bool,
    wait: float,  # float ok: seconds
) -> None:
    """Reconcile the provider's rounds with the wallet's transactions, to 0.0001.

    Exit status 0 when they agree, 1 on any difference, 3 when a side can't be read.
    """
    deadline = time.monotonic() + wait
    try:
        with _sides(
            (provider_url, provider_token, provider_database_url),
            (aggregator_url, aggregator_token, aggregator_database_url),
        ) as (provider, wallet):
            while True:
                report = reconcile(read_books(provider, wallet, clients=clients, clock=_clock))
                if report.ok or time.monotonic() >= deadline:
                    break
                time.sleep(0.5)  # float ok: seconds between checks
    except SourceError as exc:
        raise Unreadable(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report_json(report), indent=2))
    else:
        _show(report)
    if not report.ok:
        raise SystemExit(1)
