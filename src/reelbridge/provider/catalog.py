"""What this provider offers: its games, currencies, languages and jackpot plan."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from reelbridge.games import JackpotPlan, SlotGame
from reelbridge.protocol import CatalogueGame, format_amount
from reelbridge.provider.errors import BadStake, GameNotOffered


@dataclass(frozen=True)
class Catalog:
    """The games (built-in and plug-in), currencies and languages offered.

    Attributes:
        games: by ``game_id``.
        currencies: ISO 4217 codes a real-money session may use.
        languages: ISO 639-1 codes of the game client; the first is the fallback.
        jackpots: the progressive levels every real-money round takes part in, or None.
        sources: where each game comes from (built-in, a plug-in distribution).
        excluded: installed games not offered, and why (e.g. a total RTP of 100 % or
            more with the jackpots, PROTOCOL.md B18).
    """

    games: dict[str, SlotGame]
    currencies: frozenset[str]
    languages: tuple[str, ...]
    jackpots: JackpotPlan | None = None
    sources: dict[str, str] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)

    def game(self, game_id: str) -> SlotGame:
        """The game.

        Raises:
            GameNotOffered: no such game.
        """
        found = self.games.get(game_id)
        if found is None:
            raise GameNotOffered(f"Unknown game_id {game_id[:60]!r}")
        return found

    def currency(self, currency: str) -> str:
        """The currency, if offered.

        Raises:
            GameNotOffered: not offered.
        """
        if currency not in self.currencies:
            raise GameNotOffered(f"Currency {currency[:10]!r} is not offered")
        return currency

    def language(self, language: str) -> str:
        """The client language for a request's ``language`` (the first one if unknown)."""
        code = language.lower()[:2]
        return code if code in self.languages else self.languages[0]


def bet_per_line(game: SlotGame, bet_id: int) -> int:
    """The bet per line that ``bet_id`` selects.

    Raises:
        BadStake: no stake level with that index.
    """
    if not 0 <= bet_id < len(game.stake_levels):
        raise BadStake(f"{game.game_id}: no stake level with bet_id {bet_id}")
    return game.stake_levels[bet_id]


def stakes(game: SlotGame) -> dict[int, int]:
    """Each bet per line of the game and the total stake it costs."""
    return {b: game.total_stake(b) for b in game.stake_levels}


DISCLOSED_PLACES = Decimal("0.0001")
"""RTP figures are disclosed with four decimals of a percent, rounded half up: enough
for the parts of the default plan to add up exactly (96.0561 + 1.1750 = 97.2311)."""


def percent(value: Fraction) -> str:
    """A fraction as a percentage with four decimals, rounded half up (no float)."""
    exact = Decimal(value.numerator) * 100 / Decimal(value.denominator)
    return str(exact.quantize(DISCLOSED_PLACES, rounding=ROUND_HALF_UP))


def exact_percent(ppm: int) -> str:
    """Parts per million as an exact percentage (``5000`` → ``"0.5"``)."""
    text = f"{Decimal(ppm) / 10_000:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def rtp_figures(game: SlotGame, plan: JackpotPlan | None, bet_per_line: int) -> dict[str, Any]:
    """The RTP a player is shown at one stake: base game, jackpot, total (percentages as
    decimal strings; ``None`` where the game's maths is known only by simulation)."""
    base = game.exact_rtp(bet_per_line)
    jackpot = Fraction(0) if plan is None else plan.rtp()
    return {
        "base": None if base is None else percent(base),
        "jackpot": percent(jackpot),
        "total": None if base is None else percent(base + jackpot),
    }


def jackpot_rules(plan: JackpotPlan | None, stake: int) -> list[dict[str, Any]]:
    """Each level as the paytable explains it, with the chance at ``stake``."""
    if plan is None:
        return []
    return [
        {
            "name": level.name,
            "seed": format_amount(level.seed),
            "contribution_percent": exact_percent(level.contribution_ppm),
            "stake_per_hit": format_amount(level.stake_per_hit),
            "chance": str(Fraction(stake, level.stake_per_hit)),
            "one_in": str(round(Fraction(level.stake_per_hit, stake))),
            "rtp_percent": percent(level.rtp),
        }
        for level in plan.levels
    ]


def volatility_label(std_dev: float | None) -> str:  # float ok: a statistic, not money
    """A lobby's word for a game's standard deviation per round (in stakes)."""
    if std_dev is None:
        return "unknown"
    for limit, label in ((2.5, "low"), (6.0, "medium"), (12.0, "high")):
        if std_dev < limit:
            return label
    return "very high"


class Volatility:
    """Each game's volatility, computed once off the event loop (a built-in game's PAR
    sheet enumerates every screen: seconds for a 5-reel game)."""

    def __init__(self) -> None:
        self._known: dict[str, asyncio.Future[str]] = {}

    async def of(self, game: SlotGame) -> str:
        """``low`` … ``very high``, or ``unknown`` for a game without a PAR sheet."""
        known = self._known.get(game.game_id)
        if known is None:
            known = asyncio.ensure_future(asyncio.to_thread(_label_of, game))
            self._known[game.game_id] = known
        return await asyncio.shield(known)


def _label_of(game: SlotGame) -> str:
    par_sheet = getattr(game, "par_sheet", None)
    if par_sheet is None:
        return "unknown"
    return volatility_label(par_sheet().std_dev)


async def catalogue(
    catalog: Catalog, volatility: Volatility, thumbnail_url: Callable[[str], str]
) -> tuple[CatalogueGame, ...]:
    """The games as a lobby lists them (the catalogue extension call)."""
    entries = []
    for game in catalog.games.values():
        first = game.stake_levels[0]
        figures = rtp_figures(game, catalog.jackpots, first)
        entries.append(
            CatalogueGame(
                game_id=game.game_id,
                name=game.name,
                rtp=figures["total"],
                rtp_base=figures["base"],
                rtp_jackpot=figures["jackpot"],
                volatility=await volatility.of(game),
                stakes=tuple(format_amount(game.total_stake(b)) for b in game.stake_levels),
                thumbnail=thumbnail_url(game.game_id),
            )
        )
    return tuple(entries)
