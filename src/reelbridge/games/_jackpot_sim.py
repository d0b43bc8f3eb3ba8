"""Monte Carlo simulation of the jackpot pools at one fixed stake.

Theory of operation. Each of ``n`` rounds at stake ``s`` ends in exactly one of the
exclusive outcomes "level ``L`` won" (chance ``p_L``, see
:meth:`JackpotPlan.hit_probabilities`) or "no jackpot", so the hit counts are one
multinomial draw. Given the counts, the rounds that hit are a uniform sample of the
``n`` rounds without replacement, split among the levels at random; only a level's own
rounds change its pool. Each pool is then walked from hit to hit with the real
arithmetic (:func:`feed` with the stake of every round since the last hit, the
winner's own included, then :func:`hit`), so the run costs numpy work for the draw and
Python work per hit, never per round.

What a run returned. A run that opens at the seeds and simply divides what it paid by
what was staked under-pays: the contributions still in the pools at the end (money owed
to future winners, the closing liability) are missing. Counting them in gives, exactly
(see :mod:`reelbridge.games._jackpot`)::

    (paid + closing pool − opening pool) / staked
        = contribution share + Σ_L hits_L·seed_L / staked

The contributions are counted exactly and only the hit counts are random, so the
estimate's variance is :meth:`JackpotPlan.variance` divided by ``n``, and its
expectation is the exact :meth:`JackpotPlan.rtp_at`. The opening seeds are funded
before the first stake; the seeds the house puts in at each reset
(``seeds_funded``) are part of the return.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from reelbridge.games._jackpot import PPM, JackpotPlan, PoolState, feed, hit
from reelbridge.games._stats import normal_interval

_STREAM = 0x6A61636B
"""Mixed into the seed, so a jackpot run never shares a stream with a reel simulation."""


@dataclass(frozen=True, slots=True)
class LevelSimulation:
    """One level's pool over a run.

    Attributes:
        name: the level.
        hits: rounds that won it.
        paid: paid to its winners (units).
        seeds_funded: what the house put in at the resets, ``hits × seed`` (units).
        contributed: fed from the stakes, in millionths of a unit.
        opening: the pool before the first round (its seed).
        closing: the pool after the last round.
    """

    name: str
    hits: int
    paid: int
    seeds_funded: int
    contributed: int
    opening: PoolState
    closing: PoolState

    @property
    def liability(self) -> Fraction:
        """What the pool holds above its opening seed at the end (units, exact)."""
        return Fraction(self.closing.millionths - self.opening.millionths, PPM)


@dataclass(frozen=True, slots=True)
class JackpotSimulation:
    """A run of the jackpot pools at one stake.

    Attributes:
        plan: the plan simulated.
        stake: every round's total stake (units).
        spins: rounds played.
        seed: the run's seed.
        levels: per level, in plan order.
    """

    plan: JackpotPlan
    stake: int
    spins: int
    seed: int
    levels: tuple[LevelSimulation, ...]

    @property
    def staked(self) -> int:
        """Real money staked (units)."""
        return self.spins * self.stake

    @property
    def paid(self) -> int:
        """Paid to jackpot winners (units)."""
        return sum(level.paid for level in self.levels)

    @property
    def liability(self) -> Fraction:
        """What the pools hold above their seeds at the end (units, exact)."""
        return sum((level.liability for level in self.levels), Fraction(0))

    @property
    def exact_return(self) -> Fraction:
        """``(paid + closing pools − opening pools) / staked``, exactly."""
        return (self.paid + self.liability) / self.staked

    @property
    def rtp(self) -> float:
        """The simulated jackpot return per unit stake."""
        return float(self.exact_return)  # float ok: a statistic

    def confidence_interval(self, confidence: float = 0.99) -> tuple[float, float]:
        """The normal-approximation interval for the true return, with the exact σ."""
        sigma = math.sqrt(self.plan.variance(self.stake))
        return normal_interval(self.rtp, sigma, self.spins, confidence)


def simulate_jackpots(plan: JackpotPlan, stake: int, spins: int, seed: int) -> JackpotSimulation:
    """Play ``spins`` real-money rounds at ``stake`` through the pools of ``plan``.

    Args:
        plan: the levels.
        stake: each round's total stake (units, positive).
        spins: rounds, at least 1.
        seed: equal seeds (with equal plan, stake and spins) give equal runs.

    Returns:
        Hits, payouts, seeds funded and the closing pools per level.

    Raises:
        ValueError: ``spins`` is below 1 or ``seed`` negative.
        JackpotError: the plan cannot serve ``stake``.
    """
    if spins < 1:
        raise ValueError("spins must be at least 1")
    if seed < 0:
        raise ValueError("seed must not be negative")
    plan.validate_for([stake])
    generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence([_STREAM, seed, stake])))
    chances = [float(p) for p in plan.hit_probabilities(stake)]  # float ok: sampling weights
    counts = generator.multinomial(spins, [*chances, max(0.0, 1.0 - sum(chances))])
    hits = [int(count) for count in counts[: len(chances)]]
    # ``choice`` without replacement returns the sample in random order, so cutting it
    # into consecutive runs deals the hit rounds to the levels at random.
    rounds = generator.choice(spins, size=sum(hits), replace=False).tolist()
    levels = []
    start = 0
    for level, count in zip(plan.levels, hits, strict=True):
        positions = sorted(rounds[start : start + count])
        start += count
        opening = PoolState.opening(level)
        pool, fed, paid = opening, 0, 0
        for position in positions:
            pool = feed(pool, level, (position + 1 - fed) * stake)
            fed = position + 1
            amount, pool = hit(pool, level)
            paid += amount
        pool = feed(pool, level, (spins - fed) * stake)
        levels.append(
            LevelSimulation(
                name=level.name,
                hits=count,
                paid=paid,
                seeds_funded=count * level.seed,
                contributed=spins * stake * level.contribution_ppm,
                opening=opening,
                closing=pool,
            )
        )
    return JackpotSimulation(plan, stake, spins, seed, tuple(levels))
