"""Responsible gambling in the wallet, as pure data and rules (docs/PROTOCOL-part-b.md,
B19–B22).

Theory of operation. A player account (one player, one currency) may have a row in
``account_limits``: loss and wager limits per UTC day, week and month, a session time
limit, a self-exclusion, a block, and the running totals of the current periods. The
journal keeps those totals, as it keeps balances: a trigger applies every bet, win and
refund that moves money to its account's row (migration aggregator:6). A bet reads the
row together with its session (one more indexed read) and ``LimitState.refusal`` says
whether the bet breaks one of them; wins and refunds never look at it (B8).

Periods are calendar periods in UTC: a day starts at 00:00 UTC, a week on Monday at
00:00 UTC, a month on its first day at 00:00 UTC. Each is numbered (``day_of``,
``week_of``, ``month_of``); the row keeps the number of the period its totals belong
to, and totals of an older period count as zero. An amount counts in the period in
which the wallet recorded it: a win or a refund lowers the net loss of the period it
arrives in, whatever the period of its bet.

Every setting is a ``Setting``: the value in force, and maybe a pending change with the
moment it applies. A change that makes play safer applies at once (a new or lower
limit, a longer self-exclusion); one that loosens (a higher limit, a removal, a shorter
or ended self-exclusion) waits for a cooling-off period (``change_limit``,
``change_exclusion``). Blocking is the operator's measure and applies both ways at once.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from reelbridge._types import Units

DAY_US = 86_400 * 1_000_000
MINUTE_US = 60 * 1_000_000
LIMIT_COOLING_OFF_US = DAY_US  # a raised or removed limit applies 24 h later
EXCLUSION_COOLING_OFF_US = 7 * DAY_US  # a shortened or ended self-exclusion: 7 days later
INDEFINITE = 2**63 - 1  # a self-exclusion without an end (µs since the epoch)
MAX_SESSION_MINUTES = 30 * 24 * 60  # the longest wallet session the admin API opens
_EPOCH = datetime.date(1970, 1, 1)


class Period(enum.Enum):
    """A calendar period in UTC."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def adjective(self) -> str:
        """``daily``, ``weekly``, ``monthly`` (as the player's messages say it)."""
        return {"day": "daily", "week": "weekly", "month": "monthly"}[self.value]


PERIODS = (Period.DAY, Period.WEEK, Period.MONTH)
MONEY_LIMITS = tuple(f"{kind}_{p.value}" for kind in ("loss", "wager") for p in PERIODS)
"""``loss_day``, ``loss_week``, ``loss_month``, ``wager_day``, ``wager_week``,
``wager_month``: amounts in units, per account."""
SETTINGS = (*MONEY_LIMITS, "session_minutes", "excluded_until")
"""Every setting of a row, in the order of ``LIMIT_COLUMNS``."""
LIMIT_COLUMNS = (
    "blocked",
    *(f"{name}{suffix}" for name in SETTINGS for suffix in ("", "_next", "_at")),
    *(f"{p.value}_{total}" for p in PERIODS for total in ("key", "wagered", "lost")),
)
"""The columns of ``account_limits`` a bet reads, in the order ``LimitState.from_row``
takes them (and ``reelbridge_decide`` receives them as one array on PostgreSQL)."""
_SETTING_AT = tuple(range(1, 1 + 3 * len(SETTINGS), 3))
_TOTALS_AT = 1 + 3 * len(SETTINGS)


def day_of(at: int) -> int:
    """The number of the UTC day of ``at`` (µs since the epoch); day 0 is 1970-01-01."""
    return at // DAY_US


def week_of(at: int) -> int:
    """The number of the week (Monday to Sunday, UTC) of ``at``: 1970-01-01 was a
    Thursday, so week 0 ends on Sunday 1970-01-04 and week 1 starts on Monday."""
    return (day_of(at) + 3) // 7


def month_of(at: int) -> int:
    """The number of the UTC calendar month of ``at``: year × 12 + month − 1."""
    day = _EPOCH + datetime.timedelta(days=day_of(at))
    return day.year * 12 + day.month - 1


def key_of(period: Period, at: int) -> int:
    """The number of the ``period`` containing ``at``."""
    if period is Period.DAY:
        return day_of(at)
    return week_of(at) if period is Period.WEEK else month_of(at)


def start_of(period: Period, at: int) -> int:
    """The first microsecond of the ``period`` containing ``at``."""
    if period is Period.DAY:
        return day_of(at) * DAY_US
    if period is Period.WEEK:
        return (week_of(at) * 7 - 3) * DAY_US
    month = month_of(at)
    first = datetime.date(month // 12, month % 12 + 1, 1)
    return (first - _EPOCH).days * DAY_US


class Setting(NamedTuple):
    """A setting in force (None: none) and a pending change of it.

    ``next_at`` is None when nothing is pending; otherwise ``next`` (None: removal)
    replaces ``value`` from ``next_at`` on. (A named tuple: a bet builds eight.)
    """

    value: int | None = None
    next: int | None = None
    next_at: int | None = None

    def at(self, now: int) -> int | None:
        """The value in force at ``now``."""
        if self.next_at is not None and now >= self.next_at:
            return self.next
        return self.value

    def settled(self, now: int) -> Setting:
        """The same setting with a pending change that is due applied."""
        if self.next_at is not None and now >= self.next_at:
            return Setting(self.next)
        return self


class Totals(NamedTuple):
    """Money staked (net of refunds) and lost (stakes − wins − refunds) in the periods
    numbered ``*_key``, as the journal trigger keeps them."""

    day_key: int = 0
    day_wagered: Units = 0
    day_lost: Units = 0
    week_key: int = 0
    week_wagered: Units = 0
    week_lost: Units = 0
    month_key: int = 0
    month_wagered: Units = 0
    month_lost: Units = 0

    def current(self, period: Period, now: int) -> tuple[Units, Units]:
        """(wagered, lost) in the ``period`` containing ``now``: zero if the stored
        totals belong to an earlier one."""
        if period is Period.DAY:
            key, wagered, lost = self.day_key, self.day_wagered, self.day_lost
        elif period is Period.WEEK:
            key, wagered, lost = self.week_key, self.week_wagered, self.week_lost
        else:
            key, wagered, lost = self.month_key, self.month_wagered, self.month_lost
        return (wagered, lost) if key == key_of(period, now) else (0, 0)


_NOTHING_SET = tuple(Setting() for _ in SETTINGS)
_NO_TOTALS = Totals()
BLOCKED = "Your account is blocked"
EXCLUDED = "You are self-excluded from play"
SESSION_TIME = "Session time limit reached"


def over_limit_message(kind: str, period: Period) -> str:
    """The player's message for a bet that would break a money limit."""
    return f"This bet would exceed your {period.adjective} {kind} limit"


@dataclass(frozen=True, slots=True)
class LimitState:
    """An account's ``account_limits`` row: block, settings, running totals."""

    blocked: bool = False
    settings: tuple[Setting, ...] = _NOTHING_SET
    totals: Totals = _NO_TOTALS

    def setting(self, name: str) -> Setting:
        """The setting called ``name`` (one of ``SETTINGS``)."""
        return self.settings[SETTINGS.index(name)]

    def replace(self, name: str, setting: Setting) -> LimitState:
        """A copy with ``name`` set to ``setting``."""
        index = SETTINGS.index(name)
        settings = (*self.settings[:index], setting, *self.settings[index + 1 :])
        return LimitState(self.blocked, settings, self.totals)

    @classmethod
    def from_row(cls, row: Sequence[int | None]) -> LimitState | None:
        """The state of a row read as ``LIMIT_COLUMNS``; None when there is no row."""
        if row[0] is None:
            return None
        settings = tuple([Setting(row[i], row[i + 1], row[i + 2]) for i in _SETTING_AT])
        totals = Totals(*[int(v or 0) for v in row[_TOTALS_AT:]])
        return cls(bool(row[0]), settings, totals)

    def as_row(self) -> tuple[int | None, ...]:
        """The row of ``LIMIT_COLUMNS`` (``from_row``'s inverse)."""
        t = self.totals
        return (
            int(self.blocked),
            *(v for s in self.settings for v in (s.value, s.next, s.next_at)),
            *(t.day_key, t.day_wagered, t.day_lost, t.week_key, t.week_wagered, t.week_lost),
            *(t.month_key, t.month_wagered, t.month_lost),
        )

    def refusal(self, amount: Units, *, session_started: int, now: int) -> str | None:
        """The message refusing a bet of ``amount`` in a session opened at
        ``session_started``, or None when the bet breaks nothing (B19, B20).

        In this order: a block, a self-exclusion in force, the session's time limit,
        then (only for a bet that stakes money) the loss limits and the wager limits
        of the day, the week and the month: the bet is refused when the period's net
        loss (or stakes) plus the bet would exceed the limit.
        """
        if self.blocked:
            return BLOCKED
        settings = self.settings  # in the order of SETTINGS
        until = settings[7].at(now)
        if until is not None and now < until:
            return EXCLUDED
        minutes = settings[6].at(now)
        if minutes is not None and now >= session_started + minutes * MINUTE_US:
            return SESSION_TIME
        if amount <= 0:
            return None  # a freespin stakes nothing: no money limit concerns it
        for index in range(6):  # loss per day, week, month, then wager per day, week, month
            limit = settings[index].at(now)
            if limit is None:
                continue
            period = PERIODS[index % 3]
            wagered, lost = self.totals.current(period, now)
            if (lost if index < 3 else wagered) + amount > limit:
                return over_limit_message("loss" if index < 3 else "wager", period)
        return None


def change_limit(current: Setting, new: int | None, *, now: int) -> Setting:
    """A money or session limit after a request to make it ``new`` (None: no limit).

    A new or lower limit applies at once and drops a pending change, and so does the
    value in force asked for again (it cancels a pending raise); a higher limit or a
    removal applies after ``LIMIT_COOLING_OFF_US`` (a later request restarts it).
    """
    settled = current.settled(now)
    if new == settled.value:
        return Setting(new)
    if new is not None and (settled.value is None or new < settled.value):
        return Setting(new)
    return Setting(settled.value, new, now + LIMIT_COOLING_OFF_US)


def change_exclusion(current: Setting, until: int | None, *, now: int) -> Setting:
    """The self-exclusion after a request that it last until ``until`` (µs; None: end
    it; ``INDEFINITE``: no end).

    A new or longer exclusion applies at once; a shorter one, or its end, applies
    after ``EXCLUSION_COOLING_OFF_US``; the end in force asked for again cancels a
    pending change. An exclusion that has run out counts as none.
    """
    settled = current.settled(now)
    in_force = settled.value if settled.value is not None and settled.value > now else None
    if until == in_force:
        return Setting(in_force)
    if until is not None and (in_force is None or until > in_force):
        return Setting(until)
    return Setting(in_force, until, now + EXCLUSION_COOLING_OFF_US)
