"""``reelbridge aggregator limits …``: responsible gambling through the admin API
(docs/PROTOCOL-part-b.md B19–B21). Every change needs ``--reason`` (the audit log's)."""

from __future__ import annotations

import datetime
from typing import Any

import click

from reelbridge.cli._common import call_admin, console, print_table
from reelbridge.cli.aggregator import ENV_URL
from reelbridge.config import ENV_ADMIN_TOKEN
from reelbridge.ledger.limits import MONEY_LIMITS

_url = click.option(
    "--url",
    envvar=ENV_URL,
    default="http://127.0.0.1:8000",
    show_default=True,
    help=f"Aggregator base URL (env {ENV_URL}).",
)
_token = click.option(
    "--token", envvar=ENV_ADMIN_TOKEN, required=True, help=f"Admin token (env {ENV_ADMIN_TOKEN})."
)
_reason = click.option("--reason", required=True, help="Why (required: the audit log's).")
_LABELS = {
    "loss_day": "loss per day",
    "loss_week": "loss per week",
    "loss_month": "loss per month",
    "wager_day": "stakes per day",
    "wager_week": "stakes per week",
    "wager_month": "stakes per month",
}


@click.group()
def limits() -> None:
    """Responsible gambling: limits, self-exclusion, blocking (per player)."""


def _when(micros: int | None) -> str:
    if micros is None:
        return ""
    moment = datetime.datetime.fromtimestamp(micros // 1_000_000, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _show(accounts: list[dict[str, Any]]) -> None:
    for account in accounts:
        currency = account["currency"]
        states = ["blocked"] if account["blocked"] else []
        if account["excluded_indefinitely"]:
            states.append("self-excluded indefinitely")
        elif account["excluded_until"] is not None:
            states.append(f"self-excluded until {_when(account['excluded_until'])}")
        if account["exclusion_pending"]:
            states[-1] += f" (ends {_when(account['exclusion_applies_at'])})"
        status = ", ".join(states) or "bets allowed"
        console.print(f"{account['player_id']} {currency}: {status}")
        rows = []
        for name in MONEY_LIMITS:
            limit = account["limits"][name]
            waiting = ""
            if limit["pending"]:
                new = limit["pending_limit_display"] or "none"
                waiting = f"{new} from {_when(limit['applies_at'])}"
            rows.append(
                {
                    "limit": _LABELS[name],
                    "in force": limit["limit_display"] or "none",
                    "used": limit["used_display"],
                    "waiting": waiting,
                }
            )
        minutes = account["session_minutes"]
        waiting = ""
        if account["session_minutes_pending"]:
            new = account["session_minutes_pending_value"]
            waiting = f"{new or 'none'} from {_when(account['session_minutes_applies_at'])}"
        rows.append(
            {
                "limit": "session minutes",
                "in force": str(minutes) if minutes else "none",
                "used": "",
                "waiting": waiting,
            }
        )
        print_table(f"{currency} limits", rows)


@limits.command("show")
@click.argument("player_id")
@_url
@_token
def show(player_id: str, url: str, token: str) -> None:
    """A player's limits per account: in force, used this period, changes waiting."""
    reply = call_admin(url, token, lambda a: a.limits(player_id))
    _show(reply["accounts"])


def _amount(value: str | None) -> Any:
    return None if value is None or value.lower() == "none" else value


def _minutes(value: str | None) -> int | None:
    if value is None or value.lower() == "none":
        return None
    if not value.isdigit():
        raise click.BadParameter(
            "a whole number of minutes, or none", param_hint="--session-minutes"
        )
    return int(value)


@limits.command("set")
@click.argument("player_id")
@click.option("--currency", required=True, help="The account's currency, e.g. EUR.")
@click.option("--loss-day", help="Net loss per UTC day, e.g. 50.00 (none: remove).")
@click.option("--loss-week", help="Net loss per week (Monday 00:00 UTC on).")
@click.option("--loss-month", help="Net loss per calendar month (UTC).")
@click.option("--wager-day", help="Stakes per UTC day.")
@click.option("--wager-week", help="Stakes per week.")
@click.option("--wager-month", help="Stakes per calendar month.")
@click.option("--session-minutes", help="Minutes a wallet session may bet (none: remove).")
@_url
@_token
@_reason
def set_command(
    player_id: str, currency: str, session_minutes: str | None, url: str, token: str,
    reason: str, **amounts: str | None,
) -> None:  # fmt: skip
    """Set, lower, raise or remove limits of one account (lower: at once; higher or
    removed: after 24 hours)."""
    changes: dict[str, Any] = {k: _amount(v) for k, v in amounts.items() if v is not None}
    if session_minutes is not None:
        changes["session_minutes"] = _minutes(session_minutes)
    if not changes:
        raise click.UsageError("name a limit to change, e.g. --loss-day 50")
    reply = call_admin(
        url, token, lambda a: a.set_limits(player_id, currency.upper(), reason, **changes)
    )
    console.print("changed" if reply["changed"] else "nothing changed")
    _show([reply["account"]])


@limits.command("exclude")
@click.argument("player_id")
@click.option("--until", "until", help="The day the player may play again (YYYY-MM-DD).")
@click.option("--indefinite", is_flag=True, help="Without an end.")
@click.option("--end", is_flag=True, help="End the exclusion (7 days after this request).")
@_url
@_token
@_reason
def exclude(
    player_id: str, until: str | None, indefinite: bool, end: bool, url: str, token: str,
    reason: str,
) -> None:  # fmt: skip
    """Self-exclude a player on every account, or end the exclusion."""
    if [until is not None, indefinite, end].count(True) != 1:
        raise click.UsageError("give exactly one of --until DATE, --indefinite, --end")
    value = None if end else ("indefinite" if indefinite else until)
    reply = call_admin(url, token, lambda a: a.exclude(player_id, value, reason))
    console.print("changed" if reply["changed"] else "nothing changed")
    _show(reply["accounts"])


def _blocker(blocked: bool) -> click.Command:
    @click.argument("player_id")
    @_url
    @_token
    @_reason
    def command(player_id: str, url: str, token: str, reason: str) -> None:
        reply = call_admin(url, token, lambda a: a.block(player_id, blocked, reason))
        done = "blocked" if blocked else "unblocked"
        console.print(f"{player_id} {done}" if reply["changed"] else f"already {done}")

    name = "block" if blocked else "unblock"
    what = "Block a player's bets (at once)." if blocked else "Unblock a player's bets."
    return click.command(name=name, help=what)(command)


limits.add_command(_blocker(True))
limits.add_command(_blocker(False))
