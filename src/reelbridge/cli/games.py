"""``reelbridge games``: the games this installation offers, and broken plug-ins.

Usage::

    reelbridge games [--json]

Lists every installed game (built-in, then plug-ins) with its id, name, source, stake
range, lines and exact RTP, then every plug-in that could not be offered, with why. The
exit status is 1 when a plug-in is broken or a game's RTP cannot be computed, so that a
studio's CI notices; ``--json`` prints everything all the same (errors included).
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import click
from rich import box
from rich.console import Console, JustifyMethod
from rich.table import Table

from reelbridge.games import BrokenPlugin, InstalledGame, installed_games
from reelbridge.protocol import display_amount, format_amount, parse_amount_text

__all__ = ["games_command"]


@click.command("games")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def games_command(as_json: bool) -> None:
    """List the installed games (built-in and plug-in) and any broken plug-in."""
    catalogue = installed_games()
    games = [_describe(entry) for entry in catalogue.games]
    failed = [game for game in games if game["error"] is not None]
    if as_json:
        errors = [error.to_json() for error in catalogue.errors]
        click.echo(json.dumps({"games": games, "errors": errors}, indent=2))
    else:
        _print(games, catalogue.errors)
    problems = len(catalogue.errors) + len(failed)
    if problems:
        raise click.ClickException(
            f"{problems} problem(s) with game plug-ins: their games are not offered or "
            "their RTP is unknown (see above)"
        )


def _describe(entry: InstalledGame) -> dict[str, Any]:
    game = entry.game
    described: dict[str, Any] = {
        "game_id": entry.game_id,
        "name": game.name,
        "source": entry.source.to_json(),
        "error": None,
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
        ("RTP", "right"),
    )
    for column, justify in columns:
        table.add_column(column, justify=justify, overflow="fold", no_wrap=column == "game")
    problems = []
    for game in games:
        source = _source_text(game["source"])
        if game["error"] is not None:
            table.add_row(game["game_id"], game["name"], source, "", "", "error (see below)")
            problems.append(f"{game['game_id']} ({source}): {game['error']}")
            continue
        lines = "—" if game["lines"] is None else str(game["lines"])
        rtp = game["rtp"]["text"]
        table.add_row(game["game_id"], game["name"], source, _stake_range(game), lines, rtp)
    console.print(table)
    problems += [f"not offered: {error}" for error in errors]
    if problems:
        # Plain lines, never folded, so that a reason can be searched for in a CI log.
        click.echo("\nProblems with game plug-ins:")
        for problem in problems:
            click.echo(f"  - {problem}")
