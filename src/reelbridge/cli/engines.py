"""``reelbridge provider engine …`` and ``… engines``: register and list remote engines
through the provider's admin API (``POST`` / ``GET /admin/engines``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from reelbridge.cli._common import call_admin, console, print_table
from reelbridge.cli.provider import _token, _url

GAME_FORMAT = "GAME_ID:NAME:LINES:STAKE,STAKE,…[:RTP]"


def parse_game(text: str) -> dict[str, Any]:
    """One ``--game``: ``id:name:lines:stake,stake,…`` and optionally ``:rtp``.

    Raises:
        click.BadParameter: not in that form (the values themselves are checked by the
            provider).
    """
    parts = text.split(":")
    if len(parts) not in (4, 5) or not all(parts[:4]):
        raise click.BadParameter(f"{text!r} is not {GAME_FORMAT}", param_hint="--game")
    game_id, name, lines, stakes = parts[:4]
    if not (lines.isascii() and lines.isdigit()):
        raise click.BadParameter(f"lines {lines!r} is not a whole number", param_hint="--game")
    game: dict[str, Any] = {
        "game_id": game_id,
        "name": name,
        "lines": int(lines),
        "stake_levels": [s.strip() for s in stakes.split(",")],
    }
    if len(parts) == 5 and parts[4]:
        game["rtp"] = parts[4]
    return game


def read_games_file(path: Path) -> list[dict[str, Any]]:
    """The games of a JSON file: a list of objects as the admin API takes them.

    Raises:
        click.BadParameter: unreadable, not JSON, or not a list of objects.
    """
    try:
        games = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--games-file") from None
    if not isinstance(games, list) or not all(isinstance(g, dict) for g in games):
        raise click.BadParameter(
            f"{path}: expected a JSON list of games", param_hint="--games-file"
        )
    return games


@click.command("engine")
@click.argument("engine_id")
@click.option(
    "--engine-token",
    "tokens",
    multiple=True,
    required=True,
    help="A token that signs the engine's calls; give two during a rotation.",
)
@click.option(
    "--launch-url",
    required=True,
    help="Where players go: a URL with {token} (replaced by the launch token).",
)
@click.option("--game", "games", multiple=True, help=f"A game: {GAME_FORMAT}; repeat for more.")
@click.option(
    "--games-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A JSON list of games (game_id, name, lines, stake_levels, rtp).",
)
@click.option("--reason", default="")
@_url
@_token
def engine(
    engine_id: str,
    tokens: tuple[str, ...],
    launch_url: str,
    games: tuple[str, ...],
    games_file: Path | None,
    reason: str,
    url: str,
    token: str,
) -> None:
    """Register a remote game engine with all its games (replaces a former registration).

    Stake levels are bets per line (a round costs bet per line × lines), as decimals;
    RTP, if given, is the engine's declared return: a fraction 'p/q' or a decimal.
    """
    listed = [parse_game(g) for g in games]
    if games_file is not None:
        listed += read_games_file(games_file)
    if not listed:
        raise click.UsageError("give the engine's games: --game or --games-file")
    body = {
        "engine_id": engine_id,
        "tokens": list(tokens),
        "launch_url": launch_url,
        "games": listed,
        "reason": reason,
    }
    result = call_admin(url, token, lambda a: a.post("/admin/engines", body))
    console.print(
        f"engine {engine_id}: {'created' if result['created'] else 'updated'}; "
        f"games {', '.join(result['games'])}"
        + (f"; removed {', '.join(result['removed_games'])}" if result["removed_games"] else "")
    )


@click.command("engines")
@_url
@_token
def engines(url: str, token: str) -> None:
    """List the remote engines and their games (token fingerprints only)."""
    page = call_admin(url, token, lambda a: a.get("/admin/engines"))
    rows = [
        {
            "engine_id": e["engine_id"],
            "launch_url": e["launch_url"],
            "tokens": " ".join(e["tokens"]),
            "games": ", ".join(
                f"{g['game_id']}{'' if g['offered'] else ' (not offered)'}" for g in e["games"]
            ),
        }
        for e in page["items"]
    ]
    print_table("engines", rows, ["engine_id", "launch_url", "tokens", "games"])
