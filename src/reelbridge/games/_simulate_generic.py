"""Simulation of any :class:`SlotGame`, one round at a time through its own interface.

A plug-in game has no vectorised kernel, so each round is played exactly as the
provider plays it: ``game.draw(rng)`` then ``game.replay(bet_per_line, draw)``, with a
:class:`SeededRng` so a seed gives the same totals every time. Slow (a Python call per
round) but it trusts nothing but the game itself; the built-in games use the fast
:func:`reelbridge.games.simulate`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from reelbridge.games._errors import GameDefinitionError
from reelbridge.games._interface import SlotGame
from reelbridge.games._rng_seeded import SeededRng
from reelbridge.games._stats import normal_interval

_PROGRESS_EVERY = 10_000
"""Rounds between two progress reports."""


@dataclass(frozen=True, slots=True)
class GameSimulation:
    """Totals of rounds played at one stake level; money in units.

    Attributes:
        game_id: the simulated game.
        bet_per_line: the stake level.
        stake: each round's total stake (units).
        spins: rounds played.
        won: total won (units).
        sum_squares: sum over rounds of the squared round win (units squared).
        hits: rounds that paid.
    """

    game_id: str
    bet_per_line: int
    stake: int
    spins: int
    won: int
    sum_squares: int
    hits: int

    @property
    def exact_return(self) -> Fraction:
        """The simulated RTP as an exact fraction of what was staked."""
        return Fraction(self.won, self.spins * self.stake)

    @property
    def rtp(self) -> float:
        """Simulated return to player."""
        return float(self.exact_return)  # float ok: a statistic

    @property
    def variance(self) -> Fraction:
        """Sample variance of a round's win, in total stakes squared."""
        n = self.spins
        mean = Fraction(self.won, n)
        spread = (Fraction(self.sum_squares, n) - mean * mean) * n / max(n - 1, 1)
        return spread / (self.stake * self.stake)

    @property
    def std_dev(self) -> float:
        """Sample standard deviation of a round's win, in total stakes."""
        return math.sqrt(self.variance)

    @property
    def hit_frequency(self) -> float:
        """Share of rounds that paid."""
        return self.hits / self.spins

    def confidence_interval(self, confidence: float = 0.99) -> tuple[float, float]:
        """The normal-approximation interval for the true RTP (the sample's σ)."""
        return normal_interval(self.rtp, self.std_dev, self.spins, confidence)


def simulate_game(
    game: SlotGame,
    bet_per_line: int,
    spins: int,
    seed: int,
    *,
    progress: Callable[[int], None] | None = None,
) -> GameSimulation:
    """Play ``spins`` rounds of ``game`` at ``bet_per_line`` through its interface.

    Args:
        game: any game.
        bet_per_line: one of its stake levels.
        spins: rounds, at least 1.
        seed: the :class:`SeededRng` seed; equal seeds give equal totals. The draw does
            not depend on the stake, so equal seeds at two stake levels play the same
            rounds.
        progress: called with the number of rounds played since its last call.

    Raises:
        ValueError: ``spins`` below 1 or ``seed`` negative.
        InvalidStakeError: ``bet_per_line`` is not one of the stake levels.
        InvalidDrawError: the game cannot replay its own draw (a bug in the game).
        GameDefinitionError: a round's win is not a non-negative integer of units.
    """
    if spins < 1:
        raise ValueError("spins must be at least 1")
    stake = game.total_stake(bet_per_line)
    rng = SeededRng(seed)
    won = sum_squares = hits = 0
    for played in range(1, spins + 1):
        win = game.replay(bet_per_line, game.draw(rng)).total_win
        if type(win) is not int or win < 0:
            raise GameDefinitionError(
                f"{game.game_id}: a round's total_win must be a non-negative int, got {win!r}"
            )
        won += win
        sum_squares += win * win
        hits += win > 0
        if progress is not None and (played % _PROGRESS_EVERY == 0 or played == spins):
            progress(played % _PROGRESS_EVERY or _PROGRESS_EVERY)
    return GameSimulation(game.game_id, bet_per_line, stake, spins, won, sum_squares, hits)
