"""Pieces shared by the server and admin commands of both sides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from reelbridge.client import AdminClient, AdminError
from reelbridge.protocol import AmountError, display_amount, parse_amount_text
from reelbridge.storage import BadDatabaseUrl, Engine, engine_from_url

console = Console()


def open_engine(database_url: str, workers: int, read_url: str | None = None) -> Engine:
    """The engine of ``--database-url``; usage errors for a bad URL or workers on SQLite."""
    try:
        engine = engine_from_url(database_url, read_url=read_url)
    except BadDatabaseUrl as exc:
        raise click.BadParameter(str(exc), param_hint="--database-url") from None
    if workers > 1 and engine.dialect != "postgres":
        raise click.BadParameter("several workers need PostgreSQL", param_hint="--workers")
    return engine


def call_admin(url: str, token: str, action: Callable[[AdminClient], Any]) -> Any:
    """Run ``action`` against an admin API; every failure becomes a one-line message."""
    try:
        with AdminClient(url, token) as admin:
            return action(admin)
    except AdminError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    except OSError as exc:
        raise click.ClickException(f"cannot reach {url}: {exc}") from None
    except Exception as exc:  # httpx's transport errors
        if type(exc).__module__.startswith("httpx"):
            raise click.ClickException(f"cannot reach {url}: {exc}") from None
        raise


MONEY_COLUMNS = frozenset(
    {
        "amount",
        "balance",
        "balance_after",
        "bet_per_line",
        "moved",
        "paid",
        "seed",
        "seeded",
        "stake",
        "win",
        "jackpot_win",
    }
)
"""Listing columns that hold money (decimal strings on the wire, shown in the row's
currency's decimals here)."""


def _cell(row: dict[str, Any], column: str) -> str:
    value = row.get(column)
    if value is None:
        return ""
    if column in MONEY_COLUMNS and isinstance(value, str):
        try:
            return display_amount(parse_amount_text(value), str(row.get("currency") or ""))
        except AmountError:
            return value
    return str(value)


def print_table(title: str, rows: list[dict[str, Any]], columns: list[str] | None = None) -> None:
    """Rows of a listing as a table (or "none"); money in the currency's decimals."""
    if not rows:
        console.print(f"{title}: none")
        return
    columns = columns or list(rows[0])
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row, c) for c in columns))
    console.print(table)
