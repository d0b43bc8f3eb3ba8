"""``reelbridge rtp``: a game's return per stake, base game + jackpot, and its simulation.

Usage::

    reelbridge rtp GAME [--json] [--simulate N] [--seed S] [--workers W] [--no-jackpots]

Works for any installed :class:`~reelbridge.games.SlotGame`. A built-in game gets its
exact PAR sheet; a plug-in game reports the exact RTP it declares per stake (or
"simulation only"). Either way the jackpot return of the default plan is added at every
stake level, and the result is held to PROTOCOL.md B18 (same jackpot return at every
stake, total below 100 %): a breach is reported and the command exits with status 1.

``--simulate N`` plays N rounds per stake level. A built-in game's base game is
simulated once, in line bets (its pays are exact multiples of the stake, so the same
rounds value it at every stake); a plug-in game plays N rounds per stake through its
own ``draw`` and ``replay``. The jackpot pools are simulated at each stake.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from fractions import Fraction
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from reelbridge.games import _rtp_report as report
from reelbridge.games._default_jackpots import DEFAULT_JACKPOTS
from reelbridge.games._engine import Game
from reelbridge.games._errors import GamesError, UnknownGameError
from reelbridge.games._interface import SlotGame
from reelbridge.games._jackpot import JackpotPlan, StakeRtp, check_fair, rtp_by_stake
from reelbridge.games._jackpot_sim import JackpotSimulation, simulate_jackpots
from reelbridge.games._par import ParSheet
from reelbridge.games._plugins import get_game
from reelbridge.games._simulate import SimulationResult, simulate
from reelbridge.games._simulate_generic import simulate_game
from reelbridge.games._stats import normal_interval
from reelbridge.protocol.money import format_amount

__all__ = ["rtp_command"]

_BUILT_IN_NOTE = (
    "Base game simulated once in line bets (its pays scale exactly with the stake) and "
    "valued at each stake; jackpot pools simulated at each stake. "
    "σ² = exact base variance (PAR sheet) + exact jackpot variance."
)
_PLUG_IN_NOTE = (
    "Each stake plays the same rounds through the game's draw and replay (one seed; the "
    "draw does not depend on the stake); jackpot pools simulated at each stake. "
    "σ² = sample base variance + exact jackpot variance."
)


@click.command("rtp")
@click.argument("game_id", metavar="GAME")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option(
    "--simulate",
    "spins",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Also simulate N rounds per stake level and compare with the exact RTP.",
)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Simulation seed.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Threads (default: all CPUs)."
)
@click.option("--no-jackpots", is_flag=True, help="Report the base game alone.")
def rtp_command(
    game_id: str,
    as_json: bool,
    spins: int | None,
    seed: int | None,
    workers: int | None,
    no_jackpots: bool,
) -> None:
    """Print the RTP of GAME per stake (base game + jackpot) and its PAR sheet."""
    game = _lookup(game_id)
    plan = None if no_jackpots else DEFAULT_JACKPOTS
    try:
        rates = rtp_by_stake(game, plan)
        par = game.par_sheet(workers=workers) if isinstance(game, Game) else None
        simulation: dict[str, Any] | None = None
        if spins is not None:
            seed = secrets.randbits(63) if seed is None else seed
            if isinstance(game, Game) and par is not None:
                simulation = _simulate_built_in(
                    game, par, plan, rates, spins, seed, workers, quiet=as_json
                )
            else:
                simulation = _simulate_plug_in(game, plan, rates, spins, seed, quiet=as_json)
    except GamesError as error:
        raise click.ClickException(f"{game_id}: {error}") from None
    problem = _b18_problem(rates)
    if as_json:
        sheet: dict[str, Any] = {"game_id": game.game_id, "name": game.name}
        if par is not None:
            sheet = par.to_json()
        sheet["rtp_by_stake"] = report.rates_json(rates)
        sheet["jackpots"] = None if plan is None else report.plan_json(plan)
        sheet["b18"] = {"fair": problem is None, "problem": problem}
        click.echo(json.dumps({"par": sheet, "simulation": simulation}, indent=2))
    else:
        _print_tables(game, par, plan, rates, simulation)
    if problem is not None:
        raise click.ClickException(f"PROTOCOL.md B18: {problem}")


def _lookup(game_id: str) -> SlotGame:
    try:
        return get_game(game_id)
    except UnknownGameError as error:
        raise click.BadParameter(
            f"unknown game {game_id!r}. Known games: {', '.join(error.known)}.",
            param_hint="GAME",
        ) from None


def _b18_problem(rates: tuple[StakeRtp, ...]) -> str | None:
    try:
        check_fair(rates)
    except GamesError as error:
        return str(error)
    return None


def _print_tables(
    game: SlotGame,
    par: ParSheet | None,
    plan: JackpotPlan | None,
    rates: tuple[StakeRtp, ...],
    simulation: dict[str, Any] | None,
) -> None:
    console = Console(highlight=False)
    if par is not None:
        console.print(report.par_table(par))
        console.print(report.symbol_table(par))
    else:
        console.print(report.plugin_table(game.game_id, game.name))
    console.print(report.rates_table(rates, jackpots=plan is not None))
    if plan is not None:
        console.print(report.levels_table(plan))
    if simulation is not None:
        if "ci99" in simulation:
            console.print(report.base_simulation_table(simulation))
        console.print(report.by_stake_table(simulation))


def _progress(quiet: bool) -> Progress:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, console=Console(stderr=True), disable=quiet)


def _simulate_built_in(
    game: Game,
    par: ParSheet,
    plan: JackpotPlan | None,
    rates: tuple[StakeRtp, ...],
    spins: int,
    seed: int,
    workers: int | None,
    *,
    quiet: bool,
) -> dict[str, Any]:
    started = time.perf_counter()
    with _progress(quiet) as progress:
        task = progress.add_task(f"simulating {game.game_id}", total=spins)
        result = simulate(
            game,
            spins,
            seed=seed,
            workers=workers,
            progress=lambda done: progress.advance(task, done),
        )
    seconds = time.perf_counter() - started
    simulation = _base_json(result, par, seed, seconds)
    simulation["note"] = _BUILT_IN_NOTE
    simulation["by_stake"] = [
        _stake_json(rate, spins, result.exact_return, par.variance, plan, seed) for rate in rates
    ]
    return simulation


def _simulate_plug_in(
    game: SlotGame,
    plan: JackpotPlan | None,
    rates: tuple[StakeRtp, ...],
    spins: int,
    seed: int,
    *,
    quiet: bool,
) -> dict[str, Any]:
    started = time.perf_counter()
    entries = []
    with _progress(quiet) as progress:
        task = progress.add_task(f"simulating {game.game_id}", total=spins * len(rates))

        def advance(done: int) -> None:
            progress.advance(task, done)

        for rate in rates:
            base = simulate_game(game, rate.bet_per_line, spins, seed, progress=advance)
            entry = _stake_json(rate, spins, base.exact_return, base.variance, plan, seed)
            entry["base_std_dev"] = base.std_dev
            entry["hit_frequency"] = base.hit_frequency
            entries.append(entry)
    seconds = time.perf_counter() - started
    return {
        "spins": spins,
        "seed": seed,
        "seconds": seconds,
        "note": _PLUG_IN_NOTE,
        "by_stake": entries,
    }


def _base_json(
    result: SimulationResult, par: ParSheet, seed: int, seconds: float
) -> dict[str, Any]:
    low, high = result.confidence_interval(0.99, std_dev=par.std_dev)
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


def _stake_json(
    rate: StakeRtp,
    spins: int,
    base_return: Fraction,
    base_variance: Fraction,
    plan: JackpotPlan | None,
    seed: int,
) -> dict[str, Any]:
    """One stake's simulated total, its 99 % interval and the exact total beside it."""
    jackpot: JackpotSimulation | None = None
    jackpot_return = jackpot_variance = Fraction(0)
    if plan is not None:
        jackpot = simulate_jackpots(plan, rate.stake, spins, seed)
        jackpot_return, jackpot_variance = jackpot.exact_return, plan.variance(rate.stake)
    total = base_return + jackpot_return
    sigma = math.sqrt(base_variance + jackpot_variance)
    low, high = normal_interval(float(total), sigma, spins, 0.99)
    exact = None if rate.total is None else float(rate.total)
    return {
        "stake": format_amount(rate.stake),
        "bet_per_line": format_amount(rate.bet_per_line),
        "spins": spins,
        "base_rtp": float(base_return),
        "jackpot_rtp": float(jackpot_return),
        "rtp": float(total),
        "std_dev": sigma,
        "ci99": [low, high],
        "exact_rtp": exact,
        "exact_inside_ci99": None if exact is None else low <= exact <= high,
        "jackpots": []
        if jackpot is None
        else [
            {
                "level": level.name,
                "hits": level.hits,
                "paid": report.money(level.paid),
                "seeds_funded": report.money(level.seeds_funded),
                "liability": report.money(level.liability),
            }
            for level in jackpot.levels
        ],
    }
