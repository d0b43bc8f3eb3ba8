"""``reelbridge games``: the games this installation offers, and broken plug-ins.

Usage::

    reelbridge games [--json] [--config FILE]

Lists every installed game (built-in, then plug-ins) with its id, name, source, stake
range, lines, the game's own exact RTP and the RTP a player is shown: the whole
real-money return with the provider's progressive jackpots (PROTOCOL.md B18), computed
with the provider's settings (defaults < ``--config FILE`` < ``REELBRIDGE_…``
variables, as ``reelbridge provider serve`` reads them). Then every game the provider
would not offer, with why: a plug-in that could not be loaded, or a game whose return
with the jackpots breaks B18. The exit status is 1 when there is any, so that a
studio's CI notices; ``--json`` prints everything all the same (errors included).
"""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.console import Console, JustifyMethod
from rich.table import Table

from reelbridge.config import ProviderSettings, SettingsError, load_settings
from reelbridge.games import (
    BrokenPlugin,
    InstalledGame,
    JackpotError,
    JackpotPlan,
    check_fair,
    installed_games,
    rtp_by_stake,
)
from reelbridge.protocol import display_amount, format_amount, parse_amount_text

__all__ = ["games_command"]


@click.command("games")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The provider's settings file (its jackpot plan).",
)
def games_command(as_json: bool, config_file: Path | None) -> None:
    """List the installed games (built-in and plug-in), their RTP with the jackpots,
    and any game the provider would not offer."""
    try:
        settings = load_settings(ProviderSettings, config_file=config_file, environ=os.environ)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    catalogue = installed_games()
    games = [_describe(entry, settings.jackpots) for entry in catalogue.games]
    failed = [game for game in games if game["error"] is not None or not game["offered"]]
    if as_json:
        errors = [error.to_json() for error in catalogue.errors]
        click.echo(json.dumps({"games": games, "errors": errors}, indent=2))
    else:
        _print(games, catalogue.errors)
    problems = len(catalogue.errors) + len(failed)
    if problems:
        raise click.ClickException(
            f"{problems} problem(s) with games: they are not offered or their RTP is "
            "unknown (see above)"
        )


def _describe(entry: InstalledGame, plan: JackpotPlan | None) -> dict[str, Any]:
    game = entry.game
    described: dict[str, Any] = {
        "game_id": entry.game_id,
        "name": game.name,
        "source": entry.source.to_json(),
        "error": None,
        "offered": False,
        "not_offered_because": None,
    }
    try:
        # Plug-in code: the checks at discovery passed, but exact_rtp was not called.
        levels = game.stake_levels
        stakes = [format_amount(game.total_stake(level)) for level in levels]
        rtps = [game.exact_rtp(level) for level in levels]
        lines = game.client().get("lines")
    except Exception as exc:
        described["error"] = f"{type(exc).__name__}: {exc}"
        return described
    known = [rtp for rtp in rtps if rtp is not None]
    described["stakes"] = [
        {
            "bet_id": bet_id,
            "bet_per_line": format_amount(level),
            "total_stake": stake,
            "rtp": None if rtp is None else str(rtp),
        }
        for bet_id, (level, stake, rtp) in enumerate(zip(levels, stakes, rtps, strict=True))
    ]
    described["lines"] = len(lines) if isinstance(lines, list) else None
    described["rtp"] = {
        "min": str(min(known)) if known else None,
        "max": str(max(known)) if known else None,
        "text": _rtp_text(known, simulated=len(rtps) - len(known)),
    }
    described["with_jackpots"] = None
    try:
        rates = rtp_by_stake(game, plan)
        check_fair(rates)
    except JackpotError as exc:
        described["not_offered_because"] = str(exc)
        return described
    described["offered"] = True
    for stake, rate in zip(described["stakes"], rates, strict=True):
        stake["jackpot"] = str(rate.jackpot)
        stake["total"] = None if rate.total is None else str(rate.total)
    totals = [rate.total for rate in rates if rate.total is not None]
    described["with_jackpots"] = {
        "jackpots": plan is not None,
        "min": str(min(totals)) if totals else None,
        "max": str(max(totals)) if totals else None,
        "text": _rtp_text(totals, simulated=len(rates) - len(totals)),
    }
    return described


def _percent(value: Fraction) -> str:
    # Exact to 4 decimals (rounded half to even): no float on the way.
    tenths_of_basis_points = round(value * 1_000_000)
    whole, decimals = divmod(tenths_of_basis_points, 10_000)
    return f"{whole}.{decimals:04d} %"


def _rtp_text(known: list[Fraction], *, simulated: int) -> str:
    if not known:
        return "simulation only"
    low, high = _percent(min(known)), _percent(max(known))
    text = low if low == high else f"{low.removesuffix(' %')} – {high}"
    return f"{text} (some stakes: simulation only)" if simulated else text


def _stake_range(game: dict[str, Any]) -> str:
    # money for people: two decimals (the games' stakes are the same in every currency)
    low, high = (
        display_amount(parse_amount_text(game["stakes"][i]["total_stake"]), "") for i in (0, -1)
    )
    return low if low == high else f"{low} – {high}"


def _source_text(source: dict[str, Any]) -> str:
    if source["kind"] == "built-in":
        return "built-in"
    return f"plug-in {source['distribution']}=={source['version']}"


def _print(games: list[dict[str, Any]], errors: tuple[BrokenPlugin, ...]) -> None:
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 160  # a pipe or a CI log has no width: do not fold the table
    table = Table(title="Installed games", title_justify="left", box=box.SIMPLE_HEAD)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("game", "left"),
        ("name", "left"),
        ("source", "left"),
        ("stakes", "right"),
        ("lines", "right"),
        ("game RTP", "right"),
        ("RTP with jackpots", "right"),
    )
    for column, justify in columns:
        table.add_column(column, justify=justify, overflow="fold", no_wrap=column == "game")
    problems = []
    for game in games:
        source = _source_text(game["source"])
        if game["error"] is not None:
            table.add_row(game["game_id"], game["name"], source, "", "", "error (see below)", "")
            problems.append(f"{game['game_id']} ({source}): {game['error']}")
            continue
        lines = "—" if game["lines"] is None else str(game["lines"])
        rtp = game["rtp"]["text"]
        if not game["offered"]:
            shown = "not offered (see below)"
            problems.append(f"{game['game_id']} ({source}): {game['not_offered_because']}")
        elif game["with_jackpots"]["jackpots"]:
            shown = game["with_jackpots"]["text"]
        else:
            shown = "no jackpots"
        row = (game["game_id"], game["name"], source, _stake_range(game), lines, rtp, shown)
        table.add_row(*row)
    console.print(table)
    problems += [f"not offered: {error}" for error in errors]
    if problems:
        # Plain lines, never folded, so that a reason can be searched for in a CI log.
        click.echo("\nProblems with games:")
        for problem in problems:
            click.echo(f"  - {problem}")
