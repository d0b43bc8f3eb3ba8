"""Exact first moments by counting: RTP, its split, and the free-games recursion.

Every cell of a reel window shows each symbol with the symbol's frequency on the strip,
and the reels stop independently, so a line shows a symbol tuple with probability
``prod(count[reel][symbol]) / prod(len(strip))`` — the same for every line. The line
RTP is therefore one weighted sum over all symbol tuples. Scatter counts are the
convolution of the per-reel scatter counts. All results are exact ``Fraction``\\ s.

Free games (theory of operation). A free game wins ``W = m·B`` (``m`` the multiplier,
``B`` a base-game screen win) and awards ``A`` more free games from the same table, so
the total ``V`` a free game brings, its descendants included, satisfies
``V = W + V_1 + … + V_A`` with independent copies ``V_j``. Taking expectations gives
the geometric series ``E[V] = E[W] / (1 - E[A])``, finite when ``E[A] < 1``; a base spin
then returns ``E[X] = E[B] + E[A]·E[V]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import prod

import numpy as np

from reelbridge.games._errors import GameDefinitionError
from reelbridge.games._kernel import LineKernel, symbol_tuples
from reelbridge.games._model import GameDefinition


@dataclass(frozen=True, slots=True)
class RtpSplit:
    """Where the return comes from, each a fraction of the total stake.

    Attributes:
        total: the game's RTP.
        lines: base-game line pays.
        scatter: base-game scatter pays.
        feature: the free games (retriggers included).
        by_symbol: base-game line pays by paying symbol name.
        feature_frequency: probability that a base spin triggers free games.
        expected_awards: ``E[A]``, free games awarded per spin on average.
        free_games_per_feature: free games played per trigger, retriggers included.
    """

    total: Fraction
    lines: Fraction
    scatter: Fraction
    feature: Fraction
    by_symbol: dict[str, Fraction]
    feature_frequency: Fraction
    expected_awards: Fraction
    free_games_per_feature: Fraction


def scatter_distribution(game: GameDefinition) -> list[int]:
    """Return how many screens show exactly ``k`` scatters, for ``k = 0, 1, …``."""
    scatter = game.scatter
    distribution = [1]
    for strip in game.strip_ids():
        per_reel = [0] * (game.rows + 1)
        for stop in range(len(strip)):
            shown = sum(strip[(stop + row) % len(strip)] == scatter for row in range(game.rows))
            per_reel[shown] += 1
        merged = [0] * (len(distribution) + game.rows)
        for i, a in enumerate(distribution):
            for j, b in enumerate(per_reel):
                merged[i + j] += a * b
        distribution = merged
    return distribution


def free_games_value(expected_win: Fraction, expected_awards: Fraction) -> Fraction:
    """Return ``E[V]``: what one free game brings, its retriggers included.

    Args:
        expected_win: ``E[W]``, a free game's own expected win.
        expected_awards: ``E[A]``, the free games one free game awards on average.

    Raises:
        GameDefinitionError: if ``E[A] >= 1`` (the feature would never end on average).
    """
    if expected_awards >= 1:
        raise GameDefinitionError(f"free games diverge: E[awards] = {expected_awards} >= 1")
    return expected_win / (1 - expected_awards)


def rtp_split(game: GameDefinition, kernel: LineKernel) -> RtpSplit:
    """Compute the exact RTP of ``game`` and its split by counting (no enumeration).

    Args:
        game: the definition.
        kernel: its lookup tables (for the vectorised line rule).

    Returns:
        The exact RTP and where it comes from.
    """
    strips = game.strip_ids()
    n_symbols = len(game.symbols)
    counts = [np.bincount(np.asarray(s), minlength=n_symbols) for s in strips]
    tuples = symbol_tuples(n_symbols, len(strips))
    weight = np.ones(len(tuples), np.int64)
    for reel, reel_counts in enumerate(counts):
        weight *= reel_counts[tuples[:, reel]]
    screens = prod(len(s) for s in strips)
    by_symbol: dict[str, Fraction] = {}
    for symbol_id, symbol in enumerate(game.symbols):
        paid = kernel.line_winner == symbol_id
        total = int(np.dot(kernel.line_pays[paid], weight[paid]))
        if total:
            # Every line returns this per line bet, so all lines together return it per
            # total stake: the line RTP does not depend on the number of lines.
            by_symbol[symbol.name] = Fraction(total, screens)
    line_rtp = sum(by_symbol.values(), Fraction(0))

    distribution = scatter_distribution(game)
    scatter_rtp = Fraction(0)
    expected_awards = Fraction(0)
    trigger = Fraction(0)
    awards_when_triggered = Fraction(0)
    for count, screens_with in enumerate(distribution):
        p = Fraction(screens_with, screens)
        if game.scatter is not None:
            scatter_rtp += p * game.symbols[game.scatter].pay(count)
        games = 0 if game.free_games is None else game.free_games.games_for(count)
        expected_awards += p * games
        if games:
            trigger += p
            awards_when_triggered += p * games
    base = line_rtp + scatter_rtp
    multiplier = 1 if game.free_games is None else game.free_games.multiplier
    feature = expected_awards * free_games_value(multiplier * base, expected_awards)
    per_feature = Fraction(0)
    if trigger:
        per_feature = awards_when_triggered / trigger / (1 - expected_awards)
    return RtpSplit(
        total=base + feature,
        lines=line_rtp,
        scatter=scatter_rtp,
        feature=feature,
        by_symbol=by_symbol,
        feature_frequency=trigger,
        expected_awards=expected_awards,
        free_games_per_feature=per_feature,
    )
