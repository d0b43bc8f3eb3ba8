"""Progressive jackpots as pure maths: a fair draw, exact pools, the exact return.

Theory of operation (PROTOCOL.md B18).

*The draw.* A level ``L`` is won on average once per ``stake_per_hit_L`` units staked: a
real-money round of total stake ``s`` wins it with probability exactly
``p_L = s / stake_per_hit_L``. The levels exclude each other, so a round takes ONE
draw ``u = rng.randbelow(M)`` with ``M = lcm(stake_per_hit_L)``; the levels own
consecutive intervals of ``u``, level ``L`` one of width ``s·M / stake_per_hit_L`` (an
integer, since ``M`` is a multiple of every ``stake_per_hit``), and ``u`` past the last
interval wins nothing. ``Rng.randbelow`` is exactly uniform, so every probability is the
exact rational above: no modulo bias, no float.

*The pools.* A pool holds ``amount`` whole units and ``fraction`` millionths of a unit.
Feeding a stake ``s`` adds ``s·ppm`` millionths (carried into ``amount``), so no
contribution is ever rounded away. A hit pays ``amount`` and resets the pool to its
seed, keeping ``fraction``, which a later winner receives. The seed is the house's: the
operator funds it when the pool opens and again at every reset.

*The return.* Every unit a pool pays was either contributed or a seed the house put in,
so over ``n`` rounds at stake ``s``::

    paid + closing pool - opening pool = n·s·c + Σ_L hits_L·seed_L

with ``c = Σ_L ppm_L / 10⁶``. Each pool renews at every hit (back to its seed), so what
it holds stays bounded in expectation (about ``ppm_L / 10⁶ · stake_per_hit_L`` above the seed)
while ``hits_L / n → p_L``; the long-run jackpot return per unit stake is therefore
``c + Σ_L seed_L·p_L / s = Σ_L (ppm_L / 10⁶ + seed_L / stake_per_hit_L)``: the same at
every stake, by construction. :meth:`JackpotPlan.rtp_at` computes it from the
probabilities the draw really uses, so :func:`check_fair` can tell a plan that breaks
this (for instance fixed odds per round, whose return falls as the stake grows).

*The variance.* The contributions above are a constant per round; only the seed term
is random, one categorical draw per round: ``X = Σ_L seed_L·[L won] / s``, so
``Var X = (Σ_L seed_L²·p_L − (Σ_L seed_L·p_L)²) / s²`` (stakes squared). A single
payout varies far more, but summed over a run the payouts differ from these
increments only by the pool content, so this is the variance that sets how fast a
simulated return converges (:mod:`reelbridge.games._jackpot_sim`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from reelbridge.games._errors import JackpotError
from reelbridge.games._interface import SlotGame
from reelbridge.games._rng import Rng
from reelbridge.protocol.money import format_amount

PPM = 1_000_000
"""Parts per million: the unit of a contribution, and millionths of a unit in a pool."""


def _natural(value: object, what: str, *, minimum: int = 0) -> int:
    # ``bool`` is an ``int`` subclass, and a float never stands in for money.
    if type(value) is not int or value < minimum:
        raise JackpotError(f"{what} must be an integer of at least {minimum}, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class JackpotLevel:
    """One progressive level; the same numbers apply in every currency (in its units).

    Attributes:
        name: shown to players and sent in the jackpots call (e.g. ``"Gold"``).
        seed: what the house puts in the pool when it opens and after each hit (units).
        contribution_ppm: the share of each real stake fed into the pool, per million.
        stake_per_hit: the level is won on average once per this much staked (units).

    Raises:
        JackpotError: a field is out of range (the message names it).
    """

    name: str
    seed: int
    contribution_ppm: int
    stake_per_hit: int

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise JackpotError(f"a jackpot level needs a name, got {self.name!r}")
        _natural(self.seed, f"{self.name}: seed")
        _natural(self.contribution_ppm, f"{self.name}: contribution_ppm")
        if self.contribution_ppm > PPM:
            raise JackpotError(
                f"{self.name}: contribution_ppm is at most {PPM:,} (all of the stake), "
                f"got {self.contribution_ppm:,}"
            )
        _natural(self.stake_per_hit, f"{self.name}: stake_per_hit", minimum=1)

    @property
    def contribution_rtp(self) -> Fraction:
        """The contributions' share of the return, per unit stake."""
        return Fraction(self.contribution_ppm, PPM)

    @property
    def seed_rtp(self) -> Fraction:
        """The house seeds' share of the return, per unit stake."""
        return Fraction(self.seed, self.stake_per_hit)

    @property
    def rtp(self) -> Fraction:
        """The level's whole share of the return, per unit stake."""
        return self.contribution_rtp + self.seed_rtp


@dataclass(frozen=True, slots=True)
class JackpotPlan:
    """The jackpot levels of a provider, and the one draw that decides a round's hit.

    Attributes:
        levels: the levels, in draw order (their intervals of ``u`` follow this order).

    Raises:
        JackpotError: no level, or two levels with the same name.
    """

    levels: tuple[JackpotLevel, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.levels, tuple) or not self.levels:
            raise JackpotError("a jackpot plan needs a non-empty tuple of levels")
        names = [level.name for level in self.levels]
        if len(set(names)) != len(names):
            raise JackpotError(f"jackpot level names must be unique, got {names}")

    @property
    def modulus(self) -> int:
        """``M = lcm(stake_per_hit)``: a round draws ``u`` uniformly from ``range(M)``."""
        return math.lcm(*(level.stake_per_hit for level in self.levels))

    def level(self, name: str) -> JackpotLevel:
        """Return the level called ``name``.

        Raises:
            JackpotError: no level has that name.
        """
        for level in self.levels:
            if level.name == name:
                return level
        raise JackpotError(f"no jackpot level {name!r}; levels: {[x.name for x in self.levels]}")

    def widths(self, stake: int) -> tuple[int, ...]:
        """How many of the ``M`` values of ``u`` win each level at ``stake``.

        Raises:
            JackpotError: ``stake`` is not a non-negative integer, or the widths add up
                past ``M`` (the hit chances add up past 1 at this stake).
        """
        _natural(stake, "a jackpot stake")
        modulus = self.modulus
        widths = tuple(stake * (modulus // level.stake_per_hit) for level in self.levels)
        if sum(widths) > modulus:
            raise JackpotError(
                f"at a stake of {format_amount(stake)} the jackpot hit chances add up to "
                f"{float(Fraction(sum(widths), modulus)):.6g}, past 1; raise stake_per_hit "
                f"(this plan serves stakes up to {format_amount(self._largest_stake())})"
            )
        return widths

    def hit_probabilities(self, stake: int) -> tuple[Fraction, ...]:
        """The exact chance of each level at ``stake``, as :meth:`draw` realises it.

        Raises:
            JackpotError: as :meth:`widths`.
        """
        modulus = self.modulus
        return tuple(Fraction(width, modulus) for width in self.widths(stake))

    def validate_for(self, stakes: Iterable[int]) -> None:
        """Check that the plan can serve a game with these total stakes.

        Args:
            stakes: every total stake of a round of the game (units).

        Raises:
            JackpotError: no stake given, a stake not a positive integer, or hit
                chances that add up past 1 at the largest stake.
        """
        checked = [_natural(stake, "a total stake", minimum=1) for stake in stakes]
        if not checked:
            raise JackpotError("a jackpot plan is validated against at least one stake")
        self.widths(max(checked))

    def draw(self, stake: int, rng: Rng) -> JackpotLevel | None:
        """Decide the jackpot of a real-money round of total ``stake``: one draw.

        Args:
            stake: the round's total stake (units); ``0`` never wins (no draw is made).
            rng: the randomness source (``SecretsRng`` in production).

        Returns:
            The level won, or ``None``; at most one level per round.

        Raises:
            JackpotError: as :meth:`widths`.
        """
        widths = self.widths(stake)
        if not any(widths):
            return None
        u = rng.randbelow(self.modulus)
        for level, width in zip(self.levels, widths, strict=True):
            if u < width:
                return level
            u -= width
        return None

    def rtp(self) -> Fraction:
        """The long-run jackpot return per unit stake, the same at every stake."""
        return sum((level.rtp for level in self.levels), Fraction(0))

    def rtp_by_level(self) -> dict[str, Fraction]:
        """Each level's share of :meth:`rtp`, by name."""
        return {level.name: level.rtp for level in self.levels}

    def rtp_at(self, stake: int) -> Fraction:
        """The jackpot return per unit stake at ``stake``, from the draw's own chances.

        Equal to :meth:`rtp` for this class; computed from :meth:`hit_probabilities` so
        that a draw that does not scale with the stake shows here.

        Raises:
            JackpotError: ``stake`` is not positive, or as :meth:`widths`.
        """
        mean, _ = self._seed_moments(stake)
        return sum((level.contribution_rtp for level in self.levels), mean / stake)

    def variance(self, stake: int) -> Fraction:
        """Variance of a round's jackpot return at ``stake``, in stakes squared.

        ``(Σ seed²·p − (Σ seed·p)²) / stake²``: only the house seeds are random (see
        the module docstring).

        Raises:
            JackpotError: ``stake`` is not positive, or as :meth:`widths`.
        """
        mean, square = self._seed_moments(stake)
        return (square - mean * mean) / (stake * stake)

    def _seed_moments(self, stake: int) -> tuple[Fraction, Fraction]:
        # E[seed won] and E[seed won²] of one round, from the draw's own chances.
        _natural(stake, "a jackpot stake", minimum=1)
        mean = square = Fraction(0)
        for level, chance in zip(self.levels, self.hit_probabilities(stake), strict=True):
            mean += level.seed * chance
            square += level.seed * level.seed * chance
        return mean, square

    def _largest_stake(self) -> int:
        modulus = self.modulus
        return modulus // sum(modulus // level.stake_per_hit for level in self.levels)


@dataclass(frozen=True, slots=True)
class PoolState:
    """What one pool holds: ``amount`` units plus ``fraction`` millionths of a unit.

    Raises:
        JackpotError: ``amount`` negative, or ``fraction`` outside ``0 … 999 999``.
    """

    amount: int
    fraction: int = 0

    def __post_init__(self) -> None:
        _natural(self.amount, "a pool amount")
        _natural(self.fraction, "a pool fraction")
        if self.fraction >= PPM:
            raise JackpotError(f"a pool fraction is below {PPM:,}, got {self.fraction:,}")

    @classmethod
    def opening(cls, level: JackpotLevel) -> PoolState:
        """A new pool of ``level``: its seed, funded by the house."""
        return cls(level.seed, 0)

    @property
    def millionths(self) -> int:
        """The whole content in millionths of a unit."""
        return self.amount * PPM + self.fraction


def feed(state: PoolState, level: JackpotLevel, staked: int) -> PoolState:
    """Add the contribution of ``staked`` real-money units to a pool, exactly.

    Contributions are never rounded, so feeding a sum of stakes at once gives the same
    pool as feeding them one by one.

    Args:
        state: the pool before.
        level: its level.
        staked: real money staked (units; one round's total stake, or several rounds').

    Returns:
        The pool after.

    Raises:
        JackpotError: ``staked`` is not a non-negative integer.
    """
    _natural(staked, "a fed stake")
    carry, fraction = divmod(state.fraction + staked * level.contribution_ppm, PPM)
    return PoolState(state.amount + carry, fraction)


def hit(state: PoolState, level: JackpotLevel) -> tuple[int, PoolState]:
    """Pay a pool to its winner and reset it to the seed, keeping the fraction.

    Args:
        state: the pool, already fed with the winning round's own stake.
        level: its level.

    Returns:
        The amount paid (whole units) and the pool after.

    Raises:
        JackpotError: the pool holds less than its seed (it never should).
    """
    if state.amount < level.seed:
        raise JackpotError(
            f"{level.name}: the pool holds {format_amount(state.amount)}, "
            f"below its seed {format_amount(level.seed)}"
        )
    return state.amount, PoolState(level.seed, state.fraction)


@dataclass(frozen=True, slots=True)
class StakeRtp:
    """A game's return at one stake level, each a fraction of the total stake.

    Attributes:
        bet_per_line: the stake level (units).
        stake: the round's total stake (units).
        base: the game's exact RTP there, or ``None`` when only a simulation can tell.
        jackpot: the jackpot return there (0 without a plan).
        total: ``base + jackpot``, or ``None`` with ``base``.
    """

    bet_per_line: int
    stake: int
    base: Fraction | None
    jackpot: Fraction
    total: Fraction | None


def rtp_by_stake(game: SlotGame, plan: JackpotPlan | None) -> tuple[StakeRtp, ...]:
    """The return of ``game`` at each of its stake levels, jackpot included.

    Args:
        game: any game (built-in or plug-in).
        plan: the jackpot plan, or ``None`` for the base game alone.

    Raises:
        JackpotError: the plan cannot serve the game's stakes (``validate_for``).
    """
    stakes = [(bet, game.total_stake(bet)) for bet in game.stake_levels]
    if plan is not None:
        plan.validate_for(stake for _, stake in stakes)
    records = []
    for bet, stake in stakes:
        base = game.exact_rtp(bet)
        jackpot = Fraction(0) if plan is None else plan.rtp_at(stake)
        total = None if base is None else base + jackpot
        records.append(StakeRtp(bet, stake, base, jackpot, total))
    return tuple(records)


def check_fair(rates: Sequence[StakeRtp]) -> None:
    """Hold a game's returns to PROTOCOL.md B18.

    Args:
        rates: as :func:`rtp_by_stake` returns them.

    Raises:
        JackpotError: the jackpot return differs between stake levels (the hit chance
            does not grow in step with the stake), or a known total return is not
            below 100 %.
    """
    jackpots = {rate.jackpot for rate in rates}
    if len(jackpots) > 1:
        spread = ", ".join(
            f"{format_amount(rate.stake)}: {float(rate.jackpot) * 100:.4f} %" for rate in rates
        )
        raise JackpotError(
            f"the jackpot return per unit stake differs between stake levels ({spread}); "
            "B18 requires the same return at every stake"
        )
    for rate in rates:
        if rate.total is not None and rate.total >= 1:
            raise JackpotError(
                f"at a stake of {format_amount(rate.stake)} the total return is "
                f"{float(rate.total) * 100:.4f} %; B18 requires it below 100 %"
            )
