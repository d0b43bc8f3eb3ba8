"""What ``reelbridge rtp`` prints: JSON pieces and Rich tables (no computation here)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from rich.table import Table

from reelbridge.games._jackpot import PPM, JackpotPlan, StakeRtp
from reelbridge.games._par import WIN_BANDS, ParSheet
from reelbridge.protocol.money import UNITS_PER_CURRENCY_UNIT, format_amount


def exact(value: Fraction) -> dict[str, Any]:
    """An exact value as JSON: its fraction string and its float."""
    return {"fraction": str(value), "value": float(value)}


def money(value: Fraction | int) -> str:
    """Units (possibly with millionths) as an exact decimal string of currency."""
    value = Fraction(value)
    if value.denominator == 1:
        return format_amount(int(value))
    # A pool's fraction: millionths of a unit, so at most ten decimals of currency.
    currency = Decimal(value.numerator) / Decimal(value.denominator * UNITS_PER_CURRENCY_UNIT)
    return f"{currency:f}"


def rates_json(rates: Sequence[StakeRtp]) -> list[dict[str, Any]]:
    """``par.rtp_by_stake``: base, jackpot and total per stake level."""
    return [
        {
            "stake": format_amount(rate.stake),
            "bet_per_line": format_amount(rate.bet_per_line),
            "base": None if rate.base is None else exact(rate.base),
            "jackpot": exact(rate.jackpot),
            "total": None if rate.total is None else exact(rate.total),
        }
        for rate in rates
    ]


def plan_json(plan: JackpotPlan) -> dict[str, Any]:
    """``par.jackpots``: the levels and each one's share of the return."""
    return {
        "rtp": exact(plan.rtp()),
        "levels": [
            {
                "name": level.name,
                "seed": format_amount(level.seed),
                "contribution": str(Decimal(level.contribution_ppm) / PPM),
                "stake_per_hit": format_amount(level.stake_per_hit),
                "rtp": exact(level.rtp),
                "rtp_contribution": exact(level.contribution_rtp),
                "rtp_seed": exact(level.seed_rtp),
            }
            for level in plan.levels
        ],
    }


def display(units: int) -> str:
    """Units as currency for a table: thousands separated, at least two decimals."""
    value = Decimal(units).scaleb(-4)
    cents = value.quantize(Decimal("0.01"))
    return f"{cents if cents == value else value.normalize():,f}"


def pct(value: Fraction | float) -> str:
    """A share as a percentage with four decimals."""
    return f"{float(value) * 100:.4f} %"


def _one_in(value: Fraction) -> str:
    return f"{pct(value)}  (1 in {float(1 / value):,.1f})" if value else "—"


def _figures(title: str, rows: Sequence[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    return table


def par_table(par: ParSheet) -> Table:
    """The PAR sheet of a built-in game (the base game: reels and free games)."""
    table = _figures(
        f"PAR sheet — {par.name} ({par.game_id}), base game",
        (
            ("screens enumerated", f"{par.screens:,}"),
            ("RTP (exact)", f"{par.rtp}"),
            ("RTP", pct(par.rtp)),
            ("  line pays", pct(par.rtp_lines)),
            ("  scatter pays", pct(par.rtp_scatter)),
            ("  free games", pct(par.rtp_feature)),
            ("hit frequency", _one_in(par.hit_frequency)),
            ("feature frequency", _one_in(par.feature_frequency)),
            ("free games per feature", f"{float(par.free_games_per_feature):.4f}"),
            ("feature win (× stake)", f"{float(par.feature_win):.4f}"),
            ("std dev per spin (× stake)", f"{par.std_dev:.4f}"),
            ("max base win (× stake)", f"{float(par.max_base_win):g}"),
            ("max free-game win (× stake)", f"{float(par.max_free_game_win):g}"),
        ),
    )
    for (low, high), p in zip(WIN_BANDS, par.win_bands, strict=True):
        band = f"win {low}–{high} × stake" if high is not None else f"win ≥ {low} × stake"
        table.add_row(band, pct(p))
    return table


def symbol_table(par: ParSheet) -> Table:
    """Base-game line pays by symbol."""
    table = Table(title="Base-game line pays by symbol", title_justify="left")
    table.add_column("symbol")
    table.add_column("RTP", justify="right")
    table.add_column("exact", justify="right")
    for symbol, value in par.rtp_by_symbol.items():
        table.add_row(symbol, pct(value), str(value))
    return table


def plugin_table(game_id: str, name: str) -> Table:
    """The header of a game that is not built in: no PAR sheet."""
    return _figures(
        f"{name} ({game_id})",
        (("PAR sheet", "none: not a built-in game (exact RTP as the game reports it)"),),
    )


def rates_table(rates: Sequence[StakeRtp], *, jackpots: bool) -> Table:
    """RTP by stake: base, jackpot and total per stake level."""
    title = "RTP by stake (base game + jackpot)" if jackpots else "RTP by stake (base game only)"
    table = Table(title=title, title_justify="left")
    for column in ("stake", "bet per line", "base", "jackpot", "total"):
        table.add_column(column, justify="right")
    for rate in rates:
        table.add_row(
            display(rate.stake),
            display(rate.bet_per_line),
            "simulation only" if rate.base is None else pct(rate.base),
            pct(rate.jackpot) if jackpots else "off",
            "simulation only" if rate.total is None else pct(rate.total),
        )
    return table


def levels_table(plan: JackpotPlan) -> Table:
    """The jackpot levels and each one's share of the return."""
    table = Table(
        title="Jackpot levels (chance of a hit = stake / won once per)", title_justify="left"
    )
    for column in ("level", "seed", "contribution", "won once per", "seed RTP", "level RTP"):
        table.add_column(column, justify="right")
    for level in plan.levels:
        table.add_row(
            level.name,
            display(level.seed),
            pct(level.contribution_rtp),
            display(level.stake_per_hit),
            pct(level.seed_rtp),
            pct(level.rtp),
        )
    table.add_row("all levels", "", "", "", "", pct(plan.rtp()))
    return table


def base_simulation_table(simulation: dict[str, Any]) -> Table:
    """The base-game simulation of a built-in game (in line bets, any stake)."""
    low, high = simulation["ci99"]
    rate = simulation["spins_per_second"]
    return _figures(
        f"Simulation of {simulation['spins']:,} spins — base game, in line bets",
        (
            ("seed", str(simulation["seed"])),
            ("simulated RTP", pct(simulation["rtp"])),
            ("99 % confidence interval", f"{pct(low)} … {pct(high)}"),
            ("exact RTP", pct(simulation["exact_rtp"])),
            ("exact inside the interval", _inside(simulation["exact_inside_ci99"])),
            ("simulated std dev (× stake)", f"{simulation['std_dev']:.4f}"),
            ("simulated hit frequency", pct(simulation["hit_frequency"])),
            ("spins per second", "—" if rate is None else f"{rate:,.0f}"),
        ),
    )


def by_stake_table(simulation: dict[str, Any]) -> Table:
    """The simulated total RTP per stake, with its 99 % interval and the exact total."""
    table = Table(
        title=f"Simulated RTP by stake ({simulation['spins']:,} rounds per stake, "
        f"seed {simulation['seed']})",
        caption=simulation["note"],
        title_justify="left",
    )
    for column in ("stake", "base %", "jackpot %", "total %", "99 % interval", "exact %"):
        table.add_column(column, justify="right")
    table.add_column("inside")
    for entry in simulation["by_stake"]:
        low, high = entry["ci99"]
        table.add_row(
            display(int(Decimal(entry["stake"]).scaleb(4))),
            _number(entry["base_rtp"]),
            _number(entry["jackpot_rtp"]),
            _number(entry["rtp"]),
            f"{_number(low)}–{_number(high)}",
            "—" if entry["exact_rtp"] is None else _number(entry["exact_rtp"]),
            _inside(entry["exact_inside_ci99"]),
        )
    return table


def _number(share: float) -> str:
    return f"{share * 100:.4f}"


def _inside(inside: bool | None) -> str:
    return "—" if inside is None else "yes" if inside else "[red]NO[/red]"
