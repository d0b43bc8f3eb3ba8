"""Small statistics for checking randomness and simulations (no scipy needed)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist


def chi_square_critical(df: int, confidence: float = 0.99) -> float:
    """Return the chi-square value that ``confidence`` of draws stay below.

    Uses the Wilson–Hilferty approximation ``df·(1 - 2/(9df) + z·√(2/(9df)))³`` with
    ``z`` the standard normal quantile; it is within 0.3 % of the exact table values
    for 5 or more degrees of freedom at the usual levels, and closer as they grow.

    Args:
        df: degrees of freedom, at least 1.
        confidence: the level, e.g. 0.99 for the 1 % upper tail.

    Raises:
        ValueError: if ``df`` is below 1 or ``confidence`` outside (0, 1).
    """
    if df < 1:
        raise ValueError("df must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    z = NormalDist().inv_cdf(confidence)
    h = 2 / (9 * df)
    return df * (1 - h + z * math.sqrt(h)) ** 3


def chi_square_uniform(counts: Sequence[int]) -> float:
    """Return Pearson's chi-square statistic of ``counts`` against a uniform law.

    Args:
        counts: how often each of ``len(counts)`` outcomes was observed.

    Raises:
        ValueError: with fewer than two outcomes or no observation.
    """
    total = sum(counts)
    if len(counts) < 2 or total == 0:
        raise ValueError("need at least two outcomes and one observation")
    expected = total / len(counts)
    return sum((c - expected) ** 2 for c in counts) / expected


def normal_interval(
    mean: float, std_dev: float, samples: int, confidence: float = 0.99
) -> tuple[float, float]:
    """Return the two-sided normal-approximation interval ``mean ± z·σ/√n``.

    Args:
        mean: the centre (the exact or the sample mean).
        std_dev: standard deviation of one sample.
        samples: number of samples averaged.
        confidence: two-sided level.
    """
    half = NormalDist().inv_cdf(0.5 + confidence / 2) * std_dev / math.sqrt(samples)
    return mean - half, mean + half
