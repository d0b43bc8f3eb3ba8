"""The ``jackpot_pools`` table: one progressive pool per level and currency (B18).

The maths is ``reelbridge.games`` (``JackpotPlan``, ``PoolState``, ``feed``, ``hit``):
a real round of stake ``s`` feeds every pool ``s × contribution`` exactly (the pool keeps
the millionths of a unit), and wins the level its one draw named with probability
``s / stake_per_hit``. The house funds each seed (``seeded``) when the pool opens and
after each hit. Here those moves are stored, in the round's own transaction, with the
identity that an auditor checks on every pool::

    seeded + contributed / 10⁶  ==  paid + amount + fraction / 10⁶

(``contributed`` and ``fraction`` in millionths of a unit, the rest in units.)
"""

from __future__ import annotations

import functools

import msgspec

from reelbridge.games import JackpotLevel, JackpotPlan, PoolState, feed, hit
from reelbridge.provider.rounds import JackpotPayer, Round
from reelbridge.storage import Flow, Sql, run
from reelbridge.storage.listing import Listing, eq
from reelbridge.storage.rows import columns, fetch_all

PPM = 1_000_000


class Pool(msgspec.Struct, frozen=True, array_like=True):
    """A stored pool: ``amount`` units + ``fraction`` millionths; totals since it opened."""

    level: str
    currency: str
    amount: int
    fraction: int
    seed: int
    seeded: int
    contributed: int  # millionths of a unit
    paid: int
    hits: int
    updated_at: int

    @property
    def state(self) -> PoolState:
        """The pool as the maths sees it."""
        return PoolState(self.amount, self.fraction)

    @property
    def balanced(self) -> bool:
        """Whether every unit in the pool is accounted for (funded, fed, paid)."""
        return self.seeded * PPM + self.contributed == self.paid * PPM + self.state.millionths


_SELECT = f"SELECT {columns(Pool)} FROM jackpot_pools"
_OF_CURRENCY = Sql.of(_SELECT + " WHERE currency = ? ORDER BY seed, level")
_OF_CURRENCY_LOCKED = Sql.of(_SELECT + " WHERE currency = ? ORDER BY seed, level {lock}")
_ALL = Sql.of(_SELECT + " ORDER BY currency, seed, level")
_OPEN = Sql.of(
    """INSERT INTO jackpot_pools (level, currency, amount, fraction, seed, seeded, contributed,
              paid, hits, updated_at)
       VALUES (?, ?, ?, 0, ?, ?, 0, 0, 0, ?) ON CONFLICT (level, currency) DO NOTHING"""
)
_MOVED = ("amount", "fraction", "seeded", "contributed", "paid", "hits")
"""Columns a round moves: set (the first two) or added to (the rest)."""


@functools.cache
def _move_all(levels: int) -> Sql:
    # One statement moves every pool of the currency (one round trip while the pools are
    # locked): each column is a CASE on the level, the values typed for PostgreSQL.
    case = "CASE level " + " ".join(["WHEN ? THEN CAST(? AS BIGINT)"] * levels) + " END"
    sets = [f"{c} = {case}" if c in ("amount", "fraction") else f"{c} = {c} + {case}"
            for c in _MOVED]  # fmt: skip
    marks = ", ".join(["?"] * levels)
    return Sql.of(
        f"UPDATE jackpot_pools SET {', '.join(sets)}, updated_at = ?"
        f" WHERE currency = ? AND level IN ({marks})"
    )


LISTING = Listing(
    _SELECT,
    Pool.__struct_fields__,
    {"currency": eq("currency"), "level": eq("level")},
    "currency, seed, level",
    money=frozenset({"amount", "seed", "seeded", "paid"}),
)


def open_pools(plan: JackpotPlan | None, currencies: frozenset[str], *, now: int) -> Flow[None]:
    """Open every pool of the plan at its seed (the house funds it), if not yet open."""
    if plan is None:
        return
    for currency in sorted(currencies):
        for level in plan.levels:
            yield run(_OPEN, level.name, currency, level.seed, level.seed, level.seed, now)


def pools(currency: str | None = None) -> Flow[list[Pool]]:
    """Every pool, or a currency's, smallest seed first."""
    if currency is None:
        return (yield from fetch_all(Pool, _ALL))
    return (yield from fetch_all(Pool, _OF_CURRENCY, currency))


def _locked_pools(plan: JackpotPlan, currency: str, now: int) -> Flow[dict[str, Pool]]:
    # One statement locks every pool of the currency, always in the same order, so
    # concurrent rounds never deadlock and hold the locks for as few round trips as can be.
    found = yield from fetch_all(Pool, _OF_CURRENCY_LOCKED, currency)
    pools = {p.level: p for p in found}
    missing = [level for level in plan.levels if level.name not in pools]
    if missing:  # a currency or level added since start: opened at its seed now
        for level in missing:
            yield run(_OPEN, level.name, currency, level.seed, level.seed, level.seed, now)
        found = yield from fetch_all(Pool, _OF_CURRENCY_LOCKED, currency)
        pools = {p.level: p for p in found}
    return pools


def payer(plan: JackpotPlan, won: JackpotLevel | None) -> JackpotPayer:
    """The unit of work that feeds every pool with a real round's stake and pays the
    level ``won`` (drawn for that round by ``plan.draw``), if any.

    The pools of the round's currency are locked together (one statement, one order),
    so concurrent rounds never deadlock. They are every real round's hot spot on
    PostgreSQL: a caller keeps this step last in its transaction, so that the locks are
    held for these few statements and the commit only.
    """

    def pay(r: Round, *, now: int) -> Flow[tuple[str | None, int | None]]:
        paid: int | None = None
        pools = yield from _locked_pools(plan, r.currency, now)
        moves: dict[str, list[tuple[str, int]]] = {c: [] for c in _MOVED}
        for level in plan.levels:
            state = feed(pools[level.name].state, level, r.stake)
            payout, seeded = 0, 0
            if level == won:
                payout, state = hit(state, level)
                seeded = level.seed
                paid = payout
            for column, amount in zip(
                _MOVED,
                (state.amount, state.fraction, seeded, r.stake * level.contribution_ppm,
                 payout, 1 if level == won else 0),
                strict=True,
            ):  # fmt: skip
                moves[column].append((level.name, amount))
        values = [v for column in _MOVED for pair in moves[column] for v in pair]
        names = [level.name for level in plan.levels]
        yield run(_move_all(len(names)), *values, now, r.currency, *names)
        return (None, None) if won is None else (won.name, paid)

    return pay
