"""``reelbridge rtp``: a game's PAR sheet, optionally checked by simulation.

Usage::

    reelbridge rtp GAME [--json] [--simulate N] [--seed S] [--workers W]
"""

from __future__ import annotations

import json
import secrets
import time
from fractions import Fraction
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from reelbridge.games._engine import Game
from reelbridge.games._errors import UnknownGameError
from reelbridge.games._par import WIN_BANDS, ParSheet
from reelbridge.games._registry import get_game
from reelbridge.games._simulate import SimulationResult, simulate

__all__ = ["rtp_command"]


@click.command("rtp")
@click.argument("game_id", metavar="GAME")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option(
    "--simulate",
    "spins",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Also simulate N rounds and compare with the exact RTP.",
)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Simulation seed.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Threads (default: all CPUs)."
)
def rtp_command(
    game_id: str, as_json: bool, spins: int | None, seed: int | None, workers: int | None
) -> None:
    """Print the exact PAR sheet of GAME (RTP, hit frequency, volatility, …)."""
    try:
        game = get_game(game_id)
    except UnknownGameError as error:
        raise click.BadParameter(
            f"unknown game {game_id!r}. Known games: {', '.join(error.known)}.",
            param_hint="GAME",
        ) from None
    par = game.par_sheet(workers=workers)
    simulation: dict[str, Any] | None = None
    if spins is not None:
        seed = secrets.randbits(63) if seed is None else seed
        simulation = _run_simulation(game, par, spins, seed, workers, quiet=as_json)
    if as_json:
        click.echo(json.dumps({"par": par.to_json(), "simulation": simulation}, indent=2))
        return
    console = Console(highlight=False)
    console.print(_par_table(par))
    console.print(_symbol_table(par))
    if simulation is not None:
        console.print(_simulation_table(simulation))


def _run_simulation(
    game: Game, par: ParSheet, spins: int, seed: int, workers: int | None, *, quiet: bool
) -> dict[str, Any]:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    started = time.perf_counter()
    with Progress(*columns, console=Console(stderr=True), disable=quiet) as progress:
        task = progress.add_task(f"simulating {game.game_id}", total=spins)
        result = simulate(
            game,
            spins,
            seed=seed,
            workers=workers,
            progress=lambda done: progress.advance(task, done),
        )
    seconds = time.perf_counter() - started
    return _simulation_json(result, par, seed, seconds)


def _simulation_json(
    result: SimulationResult, par: ParSheet, seed: int, seconds: float
) -> dict[str, Any]:
    low, high = result.confidence_interval(0.99)
    exact = float(par.rtp)
    return {
        "spins": result.spins,
        "seed": seed,
        "rtp": result.rtp,
        "ci99": [low, high],
        "exact_rtp": exact,
        "exact_inside_ci99": low <= exact <= high,
        "std_dev": result.std_dev,
        "hit_frequency": result.hit_frequency,
        "features": result.features,
        "free_games": result.free_games,
        "seconds": seconds,
        "spins_per_second": result.spins / seconds if seconds > 0 else None,
    }


def _pct(value: Fraction | float) -> str:
    return f"{float(value) * 100:.4f} %"


def _one_in(value: Fraction) -> str:
    return f"{_pct(value)}  (1 in {float(1 / value):,.1f})" if value else "—"


def _par_table(par: ParSheet) -> Table:
    table = Table(title=f"PAR sheet — {par.name} ({par.game_id})", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = (
        ("screens enumerated", f"{par.screens:,}"),
        ("RTP (exact)", f"{par.rtp}"),
        ("RTP", _pct(par.rtp)),
        ("  line pays", _pct(par.rtp_lines)),
        ("  scatter pays", _pct(par.rtp_scatter)),
        ("  free games", _pct(par.rtp_feature)),
        ("hit frequency", _one_in(par.hit_frequency)),
        ("feature frequency", _one_in(par.feature_frequency)),
        ("free games per feature", f"{float(par.free_games_per_feature):.4f}"),
        ("feature win (× stake)", f"{float(par.feature_win):.4f}"),
        ("std dev per spin (× stake)", f"{par.std_dev:.4f}"),
        ("max base win (× stake)", f"{float(par.max_base_win):g}"),
        ("max free-game win (× stake)", f"{float(par.max_free_game_win):g}"),
    )
    for name, value in rows:
        table.add_row(name, value)
    for (low, high), p in zip(WIN_BANDS, par.win_bands, strict=True):
        band = f"win {low}–{high} × stake" if high is not None else f"win ≥ {low} × stake"
        table.add_row(band, _pct(p))
    return table


def _symbol_table(par: ParSheet) -> Table:
    table = Table(title="Base-game line pays by symbol", title_justify="left")
    table.add_column("symbol")
    table.add_column("RTP", justify="right")
    table.add_column("exact", justify="right")
    for symbol, value in par.rtp_by_symbol.items():
        table.add_row(symbol, _pct(value), str(value))
    return table


def _simulation_table(simulation: dict[str, Any]) -> Table:
    low, high = simulation["ci99"]
    table = Table(title=f"Simulation of {simulation['spins']:,} spins", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("seed", str(simulation["seed"]))
    table.add_row("simulated RTP", _pct(simulation["rtp"]))
    table.add_row("99 % confidence interval", f"{_pct(low)} … {_pct(high)}")
    table.add_row("exact RTP", _pct(simulation["exact_rtp"]))
    inside = "yes" if simulation["exact_inside_ci99"] else "[red]NO[/red]"
    table.add_row("exact inside the interval", inside)
    table.add_row("simulated std dev (× stake)", f"{simulation['std_dev']:.4f}")
    table.add_row("simulated hit frequency", _pct(simulation["hit_frequency"]))
    rate = simulation["spins_per_second"]
    table.add_row("spins per second", "—" if rate is None else f"{rate:,.0f}")
    return table
