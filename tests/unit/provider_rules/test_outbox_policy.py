"""The outbox's resend policy as pure functions (PROTOCOL.md B14, STYLE.md 8).

Resends of wins and refunds: the first within 1 s, then capped exponential backoff up
to 60 s, with jitter that spreads them over [base/2, base).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelbridge.provider.outbox import CAP_US, FIRST_RESEND_US, JITTER_STEPS, backoff_delay_us
from reelbridge.provider.states import (
    OutboxKind,
    OutboxStatus,
    after_failed_attempt,
    initial_status,
    resent_until_delivered,
)

JITTER = st.integers(min_value=0, max_value=JITTER_STEPS - 1)
TOP = JITTER_STEPS - 1


def base_of(attempts: int) -> int:
    """The un-jittered delay: 1 s doubling per attempt, capped at 60 s."""
    return min(CAP_US, FIRST_RESEND_US << (attempts - 1))


def test_the_constants_are_the_protocols_one_second_and_sixty_seconds() -> None:
    assert (FIRST_RESEND_US, CAP_US) == (1_000_000, 60_000_000)


@given(JITTER)
def test_the_first_resend_comes_within_one_second(jitter: int) -> None:
    assert 500_000 <= backoff_delay_us(1, jitter) < 1_000_000


@given(st.integers(min_value=1, max_value=10_000), JITTER)
def test_every_delay_lies_in_half_to_whole_of_its_capped_base(attempts: int, jitter: int) -> None:
    base = base_of(min(attempts, 40))
    assert base // 2 <= backoff_delay_us(attempts, jitter) < base


@pytest.mark.parametrize(
    ("attempts", "base"),
    [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 60), (8, 60), (100, 60), (10**9, 60)],
)
def test_the_base_doubles_per_attempt_up_to_the_sixty_second_cap(attempts: int, base: int) -> None:
    assert backoff_delay_us(attempts, 0) == base * 1_000_000 // 2
    assert base * 1_000_000 // 2 < backoff_delay_us(attempts, TOP) < base * 1_000_000


def test_the_base_never_decreases_as_attempts_grow() -> None:
    delays = [backoff_delay_us(n, 0) for n in range(1, 200)]
    assert delays == sorted(delays)
    assert max(backoff_delay_us(n, TOP) for n in range(1, 200)) < CAP_US


@given(st.integers(min_value=1, max_value=64), JITTER, JITTER)
def test_more_jitter_never_means_a_shorter_delay(attempts: int, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert backoff_delay_us(attempts, low) <= backoff_delay_us(attempts, high)


@pytest.mark.parametrize("jitter", [-1, -(10**30), JITTER_STEPS, 5 * JITTER_STEPS, 10**30])
def test_jitter_outside_its_range_is_clamped_into_the_bounds(jitter: int) -> None:
    for attempts in (1, 3, 30):
        base = base_of(attempts)
        assert base // 2 <= backoff_delay_us(attempts, jitter) < base


@pytest.mark.parametrize("attempts", [0, -1, -100])
def test_attempts_below_one_count_as_the_first(attempts: int) -> None:
    assert backoff_delay_us(attempts, 500_000) == backoff_delay_us(1, 500_000)


@pytest.mark.parametrize(
    ("kind", "resent"), [(OutboxKind.WIN, True), (OutboxKind.REFUND, True), (OutboxKind.BET, False)]
)
def test_b14_only_wins_and_refunds_are_resent_a_bet_is_refunded_instead(
    kind: OutboxKind, resent: bool
) -> None:
    assert resent_until_delivered(kind) is resent
    # what a failed attempt leaves: due again (pending), or finished (failed, refunded)
    expected = OutboxStatus.PENDING if resent else OutboxStatus.FAILED
    assert after_failed_attempt(kind) is expected


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (OutboxKind.BET, OutboxStatus.SENDING),
        (OutboxKind.WIN, OutboxStatus.PENDING),
        (OutboxKind.REFUND, OutboxStatus.PENDING),
    ],
)
def test_b14_a_bet_starts_in_flight_with_its_spin_and_the_rest_waits_for_delivery(
    kind: OutboxKind, status: OutboxStatus
) -> None:
    assert initial_status(kind) is status
