"""Lucky Clover: a 3×3 fruit slot whose clover multiplies every line win of a round.

It implements reelbridge's ``SlotGame`` interface directly, in plain Python: no engine,
no game definition, just the five things a provider needs (stakes, a draw, a pure
replay, the exact maths and the client layout).

Pays (multiples of the bet per line, for a run from the leftmost reel on a line)::

    symbol    2     3
    CHERRY    2    10
    LEMON     -    15
    ORANGE    -    15
    PLUM      -    20
    BELL      -    35
    BAR       -    80
    SEVEN     -   200

Lines (5): the middle, top and bottom rows and the two diagonals. A round costs the bet
per line × 5.

The clover: every round also draws one multiplier, applied to every line win::

    multiplier   1×   2×   3×   5×   10×
    weight       63   24    8    4     1      (out of 100: on average 1.65×)

Return to player, exact, by enumerating all 24 × 24 × 24 = 13 824 screens (the
multiplier is drawn independently, so the RTP is the base RTP × 1.65)::

    RTP = 737/768 ≈ 95.9635 %      (line pays 335/576 ≈ 58.16 % × 1.65)
    hit frequency ≈ 25.35 %

The same at every stake level: every pay is a multiple of the bet per line.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

from reelbridge.games import InvalidDrawError, InvalidStakeError, Rng

GAME_ID = "lucky-clover"
ROWS = 3
STRIPS: tuple[tuple[str, ...], ...] = tuple(
    tuple(text.split())
    for text in (
        "CHERRY LEMON BELL ORANGE PLUM LEMON CHERRY BAR ORANGE LEMON PLUM CHERRY"
        " SEVEN ORANGE BELL LEMON PLUM CHERRY ORANGE BAR LEMON PLUM BELL ORANGE",
        "LEMON ORANGE CHERRY PLUM BELL LEMON ORANGE BAR PLUM CHERRY LEMON SEVEN"
        " ORANGE PLUM BELL CHERRY LEMON ORANGE PLUM BAR CHERRY BELL LEMON ORANGE",
        "PLUM CHERRY ORANGE LEMON BELL PLUM BAR ORANGE LEMON CHERRY PLUM SEVEN"
        " LEMON ORANGE BELL PLUM CHERRY LEMON BAR ORANGE PLUM BELL LEMON CHERRY",
    )
)
"""The reel strips; a stop is the index of the symbol shown in the top row."""

LINES: tuple[tuple[int, ...], ...] = ((1, 1, 1), (0, 0, 0), (2, 2, 2), (0, 1, 2), (2, 1, 0))
"""The paylines: the row each crosses on every reel."""

PAYS: Mapping[str, Mapping[int, int]] = {
    "CHERRY": {2: 2, 3: 10},
    "LEMON": {3: 15},
    "ORANGE": {3: 15},
    "PLUM": {3: 20},
    "BELL": {3: 35},
    "BAR": {3: 80},
    "SEVEN": {3: 200},
}
"""What a run of ``count`` symbols pays, as a multiple of the bet per line."""

MULTIPLIERS: tuple[tuple[int, int], ...] = ((1, 63), (2, 24), (3, 8), (5, 4), (10, 1))
"""The clover: ``(multiplier, weight)``; a round draws one with probability weight/100."""

CLOVER_WEIGHT = sum(weight for _, weight in MULTIPLIERS)
"""The clover's total weight (100)."""

STAKE_LEVELS: tuple[int, ...] = (1000, 2000, 5000, 10000, 20000)
"""Bets per line in money units (1/10000): 0.10 … 2.00, i.e. 0.50 … 10.00 a round."""

RTP = Fraction(737, 768)
"""The exact RTP (≈ 95.9635 %), as :func:`enumerate_rtp` computes it."""


@dataclass(frozen=True, slots=True)
class LineWin:
    """A paying line: its index, symbol, run length, cells and amount (money units)."""

    line: int
    symbol: str
    count: int
    positions: tuple[tuple[int, int], ...]
    amount: int

    def to_json(self) -> dict[str, Any]:
        """The win as the reel client reads it."""
        return {
            "line": self.line,
            "symbol": self.symbol,
            "count": self.count,
            "positions": [list(cell) for cell in self.positions],
            "amount": self.amount,
        }


@dataclass(frozen=True, slots=True)
class CloverOutcome:
    """The outcome of one round (reelbridge's ``Outcome``)."""

    bet_per_line: int
    stops: tuple[int, ...]
    multiplier: int
    grid: tuple[tuple[str, ...], ...]
    line_wins: tuple[LineWin, ...]

    @property
    def total_stake(self) -> int:
        """What the round cost, in money units."""
        return self.bet_per_line * len(LINES)

    @property
    def total_win(self) -> int:
        """What the round pays, in money units (multiplier included)."""
        return sum(win.amount for win in self.line_wins)

    def to_json(self) -> dict[str, Any]:
        """The round in the format of reelbridge's reel client (one base screen)."""
        return {
            "game_id": GAME_ID,
            "bet_per_line": self.bet_per_line,
            "total_stake": self.total_stake,
            "draw": {"stops": list(self.stops), "multiplier": self.multiplier},
            "base": {
                "stops": list(self.stops),
                "grid": [list(reel) for reel in self.grid],
                "line_wins": [win.to_json() for win in self.line_wins],
                "scatter": None,
                "multiplier": self.multiplier,
                "free_games_awarded": 0,
                "win": self.total_win,
            },
            "free_games": [],
            "free_games_awarded": 0,
            "total_win": self.total_win,
        }


class LuckyClover:
    """Lucky Clover, implementing ``reelbridge.games.SlotGame``."""

    @property
    def game_id(self) -> str:
        """The protocol's ``game_id``."""
        return GAME_ID

    @property
    def name(self) -> str:
        """Display name."""
        return "Lucky Clover"

    @property
    def stake_levels(self) -> tuple[int, ...]:
        """Bets per line in money units; the protocol's ``bet_id`` indexes them."""
        return STAKE_LEVELS

    def total_stake(self, bet_per_line: int) -> int:
        """What a round costs: the bet per line × 5 lines.

        Raises:
            InvalidStakeError: ``bet_per_line`` is not one of the stake levels.
        """
        if type(bet_per_line) is not int or bet_per_line not in STAKE_LEVELS:
            raise InvalidStakeError(
                f"{GAME_ID}: bet per line {bet_per_line!r} is not one of {STAKE_LEVELS}"
            )
        return bet_per_line * len(LINES)

    def draw(self, rng: Rng) -> dict[str, Any]:
        """All of a round's randomness: a stop per reel, then the clover multiplier."""
        stops = [rng.randbelow(len(strip)) for strip in STRIPS]
        return {"stops": stops, "multiplier": _clover(rng.randbelow(CLOVER_WEIGHT))}

    def replay(self, bet_per_line: int, draw: Any) -> CloverOutcome:
        """Evaluate a stored draw, purely.

        Raises:
            InvalidStakeError: ``bet_per_line`` is not one of the stake levels.
            InvalidDrawError: the draw is not ``{"stops": [a, b, c], "multiplier": k}``
                with stops on their strips and ``k`` on the clover.
        """
        self.total_stake(bet_per_line)
        stops, multiplier = _checked_draw(draw)
        grid = _grid(stops)
        wins = []
        for index, line in enumerate(LINES):
            symbol, count, pays = _line_pay(grid, line)
            if pays:
                cells = tuple((reel, line[reel]) for reel in range(count))
                amount = bet_per_line * pays * multiplier
                wins.append(LineWin(index, symbol, count, cells, amount))
        return CloverOutcome(bet_per_line, stops, multiplier, grid, tuple(wins))

    def exact_rtp(self, bet_per_line: int) -> Fraction:
        """The exact RTP at ``bet_per_line`` (the same at every stake level).

        Raises:
            InvalidStakeError: ``bet_per_line`` is not one of the stake levels.
        """
        self.total_stake(bet_per_line)
        return enumerate_rtp()

    def client(self) -> dict[str, Any]:
        """The layout reelbridge's reel client draws (symbols it has artwork for)."""
        return {
            "rows": ROWS,
            "reels": len(STRIPS),
            "lines": [list(line) for line in LINES],
            "symbols": [
                {"name": name, "kind": "line", "pays": [list(pay) for pay in pays.items()]}
                for name, pays in PAYS.items()
            ],
            "free_games": None,
            "multipliers": [list(entry) for entry in MULTIPLIERS],
        }


@cache
def enumerate_rtp() -> Fraction:
    """The exact RTP: the mean line pay over every screen × the mean multiplier.

    Enumerates all ``24³`` reel positions with integer arithmetic (a win is an integer
    multiple of the bet per line), then divides once: no rounding anywhere.
    """
    lengths = [len(strip) for strip in STRIPS]
    total = 0
    for stops in itertools.product(*(range(n) for n in lengths)):
        grid = _grid(stops)
        total += sum(_line_pay(grid, line)[2] for line in LINES)
    screens = lengths[0] * lengths[1] * lengths[2]
    base = Fraction(total, screens * len(LINES))
    mean_multiplier = Fraction(sum(k * weight for k, weight in MULTIPLIERS), CLOVER_WEIGHT)
    return base * mean_multiplier


def _clover(pick: int) -> int:
    # The multiplier whose share of the weights ``pick`` (0 ≤ pick < CLOVER_WEIGHT) falls in.
    for multiplier, weight in MULTIPLIERS:
        if pick < weight:
            return multiplier
        pick -= weight
    raise ValueError(f"{pick} is beyond the clover's weights")


def _checked_draw(draw: Any) -> tuple[tuple[int, ...], int]:
    if not isinstance(draw, Mapping) or set(draw) != {"stops", "multiplier"}:
        raise InvalidDrawError(f"{GAME_ID}: a draw is {{'stops': [...], 'multiplier': k}}")
    stops, multiplier = draw["stops"], draw["multiplier"]
    if not isinstance(stops, list | tuple) or len(stops) != len(STRIPS):
        raise InvalidDrawError(f"{GAME_ID}: the draw needs {len(STRIPS)} stops")
    for stop, strip in zip(stops, STRIPS, strict=True):
        if type(stop) is not int or not 0 <= stop < len(strip):
            raise InvalidDrawError(f"{GAME_ID}: bad stop {stop!r}")
    if type(multiplier) is not int or multiplier not in dict(MULTIPLIERS):
        raise InvalidDrawError(f"{GAME_ID}: {multiplier!r} is not a clover multiplier")
    return tuple(stops), multiplier


def _grid(stops: tuple[int, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(
        tuple(strip[(stop + row) % len(strip)] for row in range(ROWS))
        for stop, strip in zip(stops, STRIPS, strict=True)
    )


def _line_pay(grid: tuple[tuple[str, ...], ...], line: tuple[int, ...]) -> tuple[str, int, int]:
    symbols = [grid[reel][row] for reel, row in enumerate(line)]
    count = 1
    while count < len(symbols) and symbols[count] == symbols[0]:
        count += 1
    return symbols[0], count, PAYS[symbols[0]].get(count, 0)
