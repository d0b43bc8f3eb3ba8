"""The immutable outcome of a spin, and its plain-JSON form for storage and clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Stops = tuple[int, ...]
"""The stop index of every reel for one screen, left to right."""

Draw = tuple[Stops, ...]
"""A round's randomness: ``draw[0]`` is the base spin, ``draw[i]`` the i-th free game."""

Position = tuple[int, int]
"""``(reel, row)`` of a cell on the screen."""


@dataclass(frozen=True, slots=True)
class LineWin:
    """A winning payline.

    Attributes:
        line: index of the payline in the game's ``lines``.
        symbol: the symbol paid (the wild's name when the wild run paid more).
        count: length of the paying run, from the leftmost reel.
        positions: the cells of the run.
        amount: the win in money units, multiplier included.
    """

    line: int
    symbol: str
    count: int
    positions: tuple[Position, ...]
    amount: int

    def to_json(self) -> dict[str, Any]:
        """Return the win as plain JSON types."""
        return {
            "line": self.line,
            "symbol": self.symbol,
            "count": self.count,
            "positions": [list(p) for p in self.positions],
            "amount": self.amount,
        }


@dataclass(frozen=True, slots=True)
class ScatterWin:
    """The scatter symbols on screen and what they pay (``amount`` may be 0).

    Attributes:
        symbol: the scatter's name.
        count: scatter symbols visible anywhere on the screen.
        positions: their cells.
        amount: the scatter pay in money units, multiplier included.
    """

    symbol: str
    count: int
    positions: tuple[Position, ...]
    amount: int

    def to_json(self) -> dict[str, Any]:
        """Return the scatter result as plain JSON types."""
        return {
            "symbol": self.symbol,
            "count": self.count,
            "positions": [list(p) for p in self.positions],
            "amount": self.amount,
        }


@dataclass(frozen=True, slots=True)
class Screen:
    """One evaluated screen: the base spin or one free game.

    Attributes:
        stops: the reel stops that produced it.
        grid: visible symbols, ``grid[reel][row]``.
        line_wins: paying lines, in payline order.
        scatter: scatter symbols on screen, or ``None`` when the game has no scatter.
        multiplier: applied to every win of this screen (the free-games multiplier).
        free_games_awarded: free games this screen triggered (or retriggered).
        win: the screen's total win in money units.
    """

    stops: Stops
    grid: tuple[tuple[str, ...], ...]
    line_wins: tuple[LineWin, ...]
    scatter: ScatterWin | None
    multiplier: int
    free_games_awarded: int
    win: int

    def to_json(self) -> dict[str, Any]:
        """Return the screen as plain JSON types."""
        return {
            "stops": list(self.stops),
            "grid": [list(reel) for reel in self.grid],
            "line_wins": [w.to_json() for w in self.line_wins],
            "scatter": None if self.scatter is None else self.scatter.to_json(),
            "multiplier": self.multiplier,
            "free_games_awarded": self.free_games_awarded,
            "win": self.win,
        }


@dataclass(frozen=True, slots=True)
class SpinResult:
    """The whole outcome of a round: the base spin and every free game it led to.

    Attributes:
        game_id: the game played.
        bet_per_line: the line bet in money units.
        total_stake: bet per line × number of lines, in money units.
        draw: every screen's reel stops, enough to replay the round exactly.
        base: the base spin.
        free_games: the free games played, in order (retriggers included).
        total_win: base win plus every free game's win, in money units.
    """

    game_id: str
    bet_per_line: int
    total_stake: int
    draw: Draw
    base: Screen
    free_games: tuple[Screen, ...]
    total_win: int

    @property
    def grid(self) -> tuple[tuple[str, ...], ...]:
        """The base spin's visible symbols, ``grid[reel][row]``."""
        return self.base.grid

    @property
    def line_wins(self) -> tuple[LineWin, ...]:
        """The base spin's paying lines."""
        return self.base.line_wins

    @property
    def scatter_win(self) -> ScatterWin | None:
        """The base spin's scatter result."""
        return self.base.scatter

    @property
    def free_games_awarded(self) -> int:
        """Free games awarded in the round, retriggers included (all of them are played)."""
        return len(self.free_games)

    @property
    def free_games_win(self) -> int:
        """What the free games paid together, in money units."""
        return sum(game.win for game in self.free_games)

    def to_json(self) -> dict[str, Any]:
        """Return the round as a dict of plain JSON types (lists, ints, strings, None)."""
        return {
            "game_id": self.game_id,
            "bet_per_line": self.bet_per_line,
            "total_stake": self.total_stake,
            "draw": [list(stops) for stops in self.draw],
            "base": self.base.to_json(),
            "free_games": [game.to_json() for game in self.free_games],
            "free_games_awarded": self.free_games_awarded,
            "total_win": self.total_win,
        }
