"""The pure responsible-gambling rules (docs/PROTOCOL-part-b.md B19–B21): periods in
UTC, settings with pending changes, what a change does, and the order of refusals."""

from __future__ import annotations

import datetime

import pytest

from reelbridge.ledger.limits import (
    BLOCKED,
    DAY_US,
    EXCLUDED,
    EXCLUSION_COOLING_OFF_US,
    INDEFINITE,
    LIMIT_COLUMNS,
    LIMIT_COOLING_OFF_US,
    MINUTE_US,
    SESSION_TIME,
    LimitState,
    Period,
    Setting,
    Totals,
    change_exclusion,
    change_limit,
    key_of,
    over_limit_message,
    start_of,
)


def at(text: str) -> int:
    """µs of an ISO time in UTC (``2026-03-01T00:00:00``)."""
    moment = datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)
    return int(moment.timestamp()) * 1_000_000


NOW = at("2026-03-11T15:00:00")  # a Wednesday


@pytest.mark.parametrize(
    ("period", "last", "first"),
    [
        (Period.DAY, "2026-03-11T23:59:59", "2026-03-12T00:00:00"),
        (Period.WEEK, "2026-03-15T23:59:59", "2026-03-16T00:00:00"),  # Sunday → Monday
        (Period.MONTH, "2026-02-28T23:59:59", "2026-03-01T00:00:00"),
        (Period.MONTH, "2028-02-29T23:59:59", "2028-03-01T00:00:00"),  # a leap day
        (Period.MONTH, "2026-12-31T23:59:59", "2027-01-01T00:00:00"),
        (Period.WEEK, "1970-01-04T23:59:59", "1970-01-05T00:00:00"),  # the first Monday
    ],
)
def test_b20_a_period_ends_at_the_last_microsecond_before_its_utc_boundary(
    period: Period, last: str, first: str
) -> None:
    end, start = at(last) + 999_999, at(first)
    assert key_of(period, start) == key_of(period, end) + 1
    assert start_of(period, end) < start == start_of(period, start)
    assert start_of(period, start + 3 * DAY_US if period is not Period.DAY else start) == start


def test_b20_totals_of_an_earlier_period_count_as_zero() -> None:
    totals = Totals(
        key_of(Period.DAY, NOW) - 1, 5, 4, key_of(Period.WEEK, NOW), 7, 6,
        key_of(Period.MONTH, NOW), 9, 8,
    )  # fmt: skip
    assert totals.current(Period.DAY, NOW) == (0, 0)
    assert totals.current(Period.WEEK, NOW) == (7, 6)
    assert totals.current(Period.MONTH, NOW) == (9, 8)


def test_a_pending_change_applies_from_its_moment_on() -> None:
    setting = Setting(10, 20, NOW)
    assert (setting.at(NOW - 1), setting.at(NOW)) == (10, 20)
    assert setting.settled(NOW - 1) == setting and setting.settled(NOW) == Setting(20)
    assert Setting(10, None, NOW).at(NOW) is None  # a removal


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        (Setting(), 50, Setting(50)),  # a new limit: at once
        (Setting(50), 30, Setting(30)),  # lower: at once
        (Setting(50), 80, Setting(50, 80, NOW + LIMIT_COOLING_OFF_US)),  # higher: waits
        (Setting(50), None, Setting(50, None, NOW + LIMIT_COOLING_OFF_US)),  # removal: waits
        (Setting(50, 80, NOW + 5), 50, Setting(50)),  # the value in force: cancels the wait
        (Setting(50, 80, NOW + 5), 40, Setting(40)),  # lower: at once, the wait is gone
        (Setting(50, 80, NOW + 5), 90, Setting(50, 90, NOW + LIMIT_COOLING_OFF_US)),
        (Setting(50, 80, NOW), 60, Setting(60)),  # 80 was in force: 60 is lower
        (Setting(), None, Setting()),
    ],
)
def test_b21_a_limit_is_stricter_at_once_and_looser_after_24_hours(
    current: Setting, new: int | None, expected: Setting
) -> None:
    assert change_limit(current, new, now=NOW) == expected


@pytest.mark.parametrize(
    ("current", "until", "expected"),
    [
        (Setting(), NOW + DAY_US, Setting(NOW + DAY_US)),
        (Setting(NOW + DAY_US), INDEFINITE, Setting(INDEFINITE)),  # longer: at once
        (Setting(INDEFINITE), None, Setting(INDEFINITE, None, NOW + EXCLUSION_COOLING_OFF_US)),
        (
            Setting(NOW + 30 * DAY_US),
            NOW + DAY_US,
            Setting(NOW + 30 * DAY_US, NOW + DAY_US, NOW + EXCLUSION_COOLING_OFF_US),
        ),
        (Setting(INDEFINITE, None, NOW + 9), INDEFINITE, Setting(INDEFINITE)),  # cancels
        (Setting(NOW - 1), None, Setting()),  # run out: nothing to end
        (Setting(NOW - 1), NOW + DAY_US, Setting(NOW + DAY_US)),  # a new one
    ],
)
def test_b21_a_self_exclusion_grows_at_once_and_ends_after_seven_days(
    current: Setting, until: int | None, expected: Setting
) -> None:
    assert change_exclusion(current, until, now=NOW) == expected


def _state(blocked: bool = False, totals: Totals | None = None, **settings: Setting) -> LimitState:
    state = LimitState(blocked=blocked, totals=totals or Totals())
    for name, setting in settings.items():
        state = state.replace(name, setting)
    return state


TODAY = Totals(
    key_of(Period.DAY, NOW), 30, 20, key_of(Period.WEEK, NOW), 60, 40,
    key_of(Period.MONTH, NOW), 90, -10,
)  # fmt: skip


def test_b19_refusals_come_in_their_order() -> None:
    everything = _state(
        True,
        TODAY,
        excluded_until=Setting(INDEFINITE),
        session_minutes=Setting(1),
        loss_day=Setting(1),
        wager_day=Setting(1),
    )
    started = NOW - 2 * MINUTE_US
    order = [BLOCKED, EXCLUDED, SESSION_TIME, over_limit_message("loss", Period.DAY)]
    seen = []
    state = everything
    for undo in (
        lambda s: LimitState(False, s.settings, s.totals),
        lambda s: s.replace("excluded_until", Setting()),
        lambda s: s.replace("session_minutes", Setting()),
        lambda s: s.replace("loss_day", Setting()),
    ):
        seen.append(state.refusal(1, session_started=started, now=NOW))
        state = undo(state)
    assert seen == order
    assert state.refusal(1, session_started=started, now=NOW) == over_limit_message(
        "wager", Period.DAY
    )


@pytest.mark.parametrize(
    ("name", "limit", "amount", "refused"),
    [
        ("loss_day", 25, 5, False),  # 20 lost + 5 = 25: at the limit
        ("loss_day", 25, 6, True),
        ("loss_week", 45, 6, True),
        ("loss_month", 1, 11, False),  # the month's net loss is −10: room for 11
        ("loss_month", 1, 12, True),
        ("wager_day", 31, 1, False),
        ("wager_week", 60, 1, True),
        ("wager_month", 91, 2, True),
    ],
)
def test_b19_a_money_limit_counts_the_period_plus_the_bet(
    name: str, limit: int, amount: int, refused: bool
) -> None:
    state = _state(totals=TODAY, **{name: Setting(limit)})
    answer = state.refusal(amount, session_started=NOW, now=NOW)
    kind, period = name.split("_")
    assert answer == (over_limit_message(kind, Period(period)) if refused else None)


def test_b19_a_freespin_meets_no_money_limit_but_the_exclusion() -> None:
    state = _state(totals=TODAY, loss_day=Setting(1), wager_day=Setting(1))
    assert state.refusal(0, session_started=NOW, now=NOW) is None
    excluded = state.replace("excluded_until", Setting(NOW + 1))
    assert excluded.refusal(0, session_started=NOW, now=NOW) == EXCLUDED


def test_b19_the_session_limit_counts_from_the_sessions_opening() -> None:
    state = _state(session_minutes=Setting(30))
    opened = NOW - 30 * MINUTE_US
    assert state.refusal(1, session_started=opened + 1, now=NOW) is None
    assert state.refusal(1, session_started=opened, now=NOW) == SESSION_TIME


def test_a_row_reads_back_as_it_was_written() -> None:
    state = _state(True, TODAY, loss_week=Setting(5, None, NOW), excluded_until=Setting(9))
    row = state.as_row()
    assert len(row) == len(LIMIT_COLUMNS)
    assert LimitState.from_row(row) == state
    assert LimitState.from_row((None,) * len(LIMIT_COLUMNS)) is None
