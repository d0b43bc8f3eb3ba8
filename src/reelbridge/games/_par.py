"""The PAR sheet: exact figures from enumerating every screen of a game.

Theory of operation. Every combination of reel stops is evaluated by the vectorised
kernel (threads share the prefix range; numpy releases the GIL), and counted in a joint
histogram of (base win, scatter count). That histogram is the exact distribution of a
base-game screen, from which come the moments ``E[B]``, ``E[B²]``, ``E[A]``,
``E[A(A-1)]`` and ``E[B·A]`` (``B`` the win in line bets, ``A`` the free games
awarded). Free games use the same reels, so a free game wins ``W = m·B``. With ``V`` the
total of a free game and its descendants (``V = W + V_1 + … + V_A``)::

    E[V]  = E[W] / (1 - E[A])
    E[V²] = (E[W²] + 2·E[W·A]·E[V] + E[A(A-1)]·E[V]²) / (1 - E[A])
    E[X]  = E[B] + E[A]·E[V]                       (X: a whole round)
    E[X²] = E[B²] + 2·E[B·A]·E[V] + E[A]·E[V²] + E[A(A-1)]·E[V]²

all in exact ``Fraction``\\ s; only the standard deviation and intervals are floats.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from reelbridge.games._kernel import IntArray, LineKernel, combinations
from reelbridge.games._maths import free_games_value
from reelbridge.games._stats import normal_interval

if TYPE_CHECKING:
    from reelbridge.games._engine import Game

_BLOCK_SCREENS = 1 << 16
"""Screens per vectorised block: big enough to amortise Python, small enough for cache."""

WIN_BANDS: tuple[tuple[Fraction, Fraction | None], ...] = (
    (Fraction(0), Fraction(1)),
    (Fraction(1), Fraction(5)),
    (Fraction(5), Fraction(20)),
    (Fraction(20), Fraction(100)),
    (Fraction(100), None),
)
"""Bands of a paying base spin's win, in total stakes: ``low <= win < high``."""


@dataclass(frozen=True, slots=True)
class ParSheet:
    """Exact figures of a game, per spin of one total stake.

    Attributes:
        game_id: the game.
        name: its display name.
        screens: number of distinct base-game screens enumerated.
        rtp: return to player.
        rtp_lines: base-game line pays.
        rtp_scatter: base-game scatter pays.
        rtp_feature: the free games, retriggers included.
        rtp_by_symbol: base-game line pays by paying symbol.
        hit_frequency: probability that a spin pays or triggers free games.
        feature_frequency: probability that a spin triggers free games.
        free_games_per_feature: free games played per trigger, retriggers included.
        feature_win: expected win of a triggered feature, in total stakes.
        variance: variance of a round's total win, in total stakes squared.
        max_base_win: largest base-spin win, in total stakes.
        max_free_game_win: largest single free-game win, in total stakes (0 when the
            game has no free games).
        win_bands: probability of a paying base spin per band of ``WIN_BANDS``.
    """

    game_id: str
    name: str
    screens: int
    rtp: Fraction
    rtp_lines: Fraction
    rtp_scatter: Fraction
    rtp_feature: Fraction
    rtp_by_symbol: dict[str, Fraction]
    hit_frequency: Fraction
    feature_frequency: Fraction
    free_games_per_feature: Fraction
    feature_win: Fraction
    variance: Fraction
    max_base_win: Fraction
    max_free_game_win: Fraction
    win_bands: tuple[Fraction, ...]

    @property
    def std_dev(self) -> float:
        """Standard deviation of a round's win in total stakes (the volatility index)."""
        return math.sqrt(self.variance)

    def confidence_interval(self, spins: int, confidence: float = 0.99) -> tuple[float, float]:
        """Return the interval a simulated RTP over ``spins`` rounds falls in.

        Normal approximation: ``rtp ± z·σ/√spins`` with the exact ``σ``.

        Args:
            spins: number of simulated rounds.
            confidence: two-sided confidence level.
        """
        return normal_interval(float(self.rtp), self.std_dev, spins, confidence)

    def to_json(self) -> dict[str, Any]:
        """Return the sheet as plain JSON types (exact values as fraction strings too)."""

        def exact(value: Fraction) -> dict[str, Any]:
            return {"fraction": str(value), "value": float(value)}

        return {
            "game_id": self.game_id,
            "name": self.name,
            "screens": self.screens,
            "rtp": exact(self.rtp),
            "rtp_lines": exact(self.rtp_lines),
            "rtp_scatter": exact(self.rtp_scatter),
            "rtp_feature": exact(self.rtp_feature),
            "rtp_by_symbol": {k: exact(v) for k, v in self.rtp_by_symbol.items()},
            "hit_frequency": exact(self.hit_frequency),
            "feature_frequency": exact(self.feature_frequency),
            "free_games_per_feature": exact(self.free_games_per_feature),
            "feature_win": exact(self.feature_win),
            "variance": exact(self.variance),
            "std_dev": self.std_dev,
            "max_base_win": exact(self.max_base_win),
            "max_free_game_win": exact(self.max_free_game_win),
            "win_bands": [
                {"from": str(low), "to": None if high is None else str(high), **exact(p)}
                for (low, high), p in zip(WIN_BANDS, self.win_bands, strict=True)
            ],
        }


def win_histogram(kernel: LineKernel, *, workers: int | None = None) -> IntArray:
    """Count every base-game screen by ``win * (most_scatters + 1) + scatters``.

    Args:
        kernel: the game's lookup tables.
        workers: threads to use; ``None`` uses every CPU.

    Returns:
        ``histogram[key]``: how many screens have that (win in line bets, scatters).
    """
    workers = workers or os.cpu_count() or 1
    step = max(1, _BLOCK_SCREENS // kernel.suffix_size)
    ranges = list(_ranges(kernel.prefix_size, max(1, 4 * workers)))
    radix = _scatter_radix(kernel)

    def count(first: int, last: int) -> IntArray:
        total = np.zeros(1, np.int64)
        for start in range(first, last, step):
            prefix = np.arange(start, min(start + step, last), dtype=np.int64)
            win, scatters = kernel.evaluate_block(prefix)
            part = np.bincount((win * radix + scatters).ravel())
            if part.size > total.size:
                part[: total.size] += total
                total = part
            else:
                total[: part.size] += part
        return total

    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda r: count(*r), ranges))
    histogram = np.zeros(max(p.size for p in parts), np.int64)
    for part in parts:
        histogram[: part.size] += part
    return histogram


def compute_par_sheet(game: Game, *, workers: int | None = None) -> ParSheet:
    """Enumerate every screen of ``game`` and compute its exact PAR sheet.

    Args:
        game: the game.
        workers: threads for the enumeration; ``None`` uses every CPU.

    Raises:
        ArithmeticError: if the enumeration disagrees with the exact counting (a bug).
    """
    kernel = game.kernel
    histogram = win_histogram(kernel, workers=workers)
    radix = _scatter_radix(kernel)
    screens = combinations(kernel)
    keys = np.flatnonzero(histogram)
    s_b = s_b2 = s_a = s_aa = s_ba = hits = triggers = 0
    max_win = 0
    bands = [0] * len(WIN_BANDS)
    lines = kernel.lines
    for key, count in zip(keys.tolist(), histogram[keys].tolist(), strict=True):
        win, scatters = divmod(key, radix)
        awards = int(kernel.awards[scatters])
        s_b += count * win
        s_b2 += count * win * win
        s_a += count * awards
        s_aa += count * awards * (awards - 1)
        s_ba += count * win * awards
        if awards:
            triggers += count
        if win or awards:
            hits += count
        if win:
            max_win = max(max_win, win)
            bands[_band(Fraction(win, lines))] += count
    n = screens
    e_b, e_b2, e_a = Fraction(s_b, n), Fraction(s_b2, n), Fraction(s_a, n)
    e_aa, e_ba = Fraction(s_aa, n), Fraction(s_ba, n)
    m = kernel.multiplier
    e_v = free_games_value(m * e_b, e_a)
    e_v2 = (m * m * e_b2 + 2 * m * e_ba * e_v + e_aa * e_v * e_v) / (1 - e_a)
    e_x = e_b + e_a * e_v
    e_x2 = e_b2 + 2 * e_ba * e_v + e_a * e_v2 + e_aa * e_v * e_v
    split = game.rtp_split
    if e_x / lines != split.total or e_b / lines != split.lines + split.scatter:
        raise ArithmeticError(f"{game.game_id}: enumeration and counting disagree")
    return ParSheet(
        game_id=game.game_id,
        name=game.name,
        screens=screens,
        rtp=e_x / lines,
        rtp_lines=split.lines,
        rtp_scatter=split.scatter,
        rtp_feature=e_a * e_v / lines,
        rtp_by_symbol=dict(split.by_symbol),
        hit_frequency=Fraction(hits, n),
        feature_frequency=Fraction(triggers, n),
        free_games_per_feature=split.free_games_per_feature,
        feature_win=(e_a * e_v / Fraction(triggers, n) / lines) if triggers else Fraction(0),
        variance=(e_x2 - e_x * e_x) / (lines * lines),
        max_base_win=Fraction(max_win, lines),
        max_free_game_win=Fraction(m * max_win, lines) if triggers else Fraction(0),
        win_bands=tuple(Fraction(b, n) for b in bands),
    )


def _scatter_radix(kernel: LineKernel) -> int:
    return (
        int(kernel.suffix_table[:, kernel.lines].max())
        + int(kernel.prefix_table[:, kernel.lines].max())
        - kernel.scatter_offset
        + 1
    )


def _band(win: Fraction) -> int:
    for index, (low, high) in enumerate(WIN_BANDS):
        if low <= win and (high is None or win < high):
            return index
    raise ValueError(f"negative win {win}")


def _ranges(size: int, parts: int) -> Iterator[tuple[int, int]]:
    bounds = np.linspace(0, size, min(parts, size) + 1).astype(int).tolist()
    yield from ((a, b) for a, b in itertools.pairwise(bounds) if b > a)
