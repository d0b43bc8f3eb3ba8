"""The round state machine as data (PROTOCOL.md B14–B16): every legal move, every
illegal one, and the properties the provider relies on."""

from __future__ import annotations

import itertools

import pytest

from reelbridge.provider.states import (
    FINAL,
    OWES_STAKE,
    TRANSITIONS,
    IllegalTransition,
    RoundEvent,
    RoundStatus,
    advance,
    allowed,
)

S, E = RoundStatus, RoundEvent
LEGAL = [
    (S.BETTING, E.BET_REFUSED, S.REJECTED),
    (S.BETTING, E.BET_UNKNOWN, S.REFUNDING),
    (S.BETTING, E.OUTCOME_STORED, S.SETTLING),
    (S.BETTING, E.BET_ACCEPTED, S.ACCEPTED),
    (S.ACCEPTED, E.OUTCOME_STORED, S.SETTLING),
    (S.ACCEPTED, E.ENGINE_VOIDED, S.REFUNDING),
    (S.SETTLING, E.WINS_DELIVERED, S.SETTLED),
    (S.REFUNDING, E.REFUND_DELIVERED, S.REFUNDED),
]
ILLEGAL = [
    (status, event)
    for status, event in itertools.product(RoundStatus, RoundEvent)
    if (status, event) not in {(s, e) for s, e, _ in LEGAL}
]


@pytest.mark.parametrize(("status", "event", "after"), LEGAL)
def test_every_legal_move_goes_where_the_table_says(
    status: RoundStatus, event: RoundEvent, after: RoundStatus
) -> None:
    assert allowed(status, event)
    assert advance(status, event) is after


@pytest.mark.parametrize(("status", "event"), ILLEGAL)
def test_every_other_move_is_refused(status: RoundStatus, event: RoundEvent) -> None:
    assert not allowed(status, event)
    with pytest.raises(IllegalTransition) as caught:
        advance(status, event)
    assert (caught.value.status, caught.value.event) == (status, event)
    assert str(status) in str(caught.value) and str(event) in str(caught.value)


def test_the_table_is_exactly_the_documented_moves() -> None:
    assert {(s, e): a for s, e, a in LEGAL} == TRANSITIONS


def test_final_states_take_no_event() -> None:
    assert {S.REJECTED, S.SETTLED, S.REFUNDED} == FINAL
    assert not any(status in FINAL for status, _ in TRANSITIONS)


def test_every_state_is_reachable_from_betting_and_every_path_ends_final() -> None:
    reached, frontier = {S.BETTING}, [S.BETTING]
    while frontier:
        status = frontier.pop()
        for (source, _), target in TRANSITIONS.items():
            if source is status and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(RoundStatus)
    # no cycles: a round always moves forward, so the relay's work is finite
    order = {S.BETTING: 0, S.ACCEPTED: 1, S.SETTLING: 2, S.REFUNDING: 2}
    for (source, _), target in TRANSITIONS.items():
        assert target in FINAL or order[target] > order[source]


def test_b15_once_the_bet_is_refunded_no_outcome_can_be_stored() -> None:
    # a bet answer that comes after the relay refunded it must not settle the round
    for status in (S.REFUNDING, S.REFUNDED, S.REJECTED):
        assert not allowed(status, E.OUTCOME_STORED)
        assert not allowed(status, E.BET_ACCEPTED)


def test_b16_a_stored_outcome_is_never_replaced_and_never_refunded() -> None:
    for event in RoundEvent:
        if event is not E.WINS_DELIVERED:
            assert not allowed(S.SETTLING, event), event
    assert S.SETTLING in OWES_STAKE and S.SETTLED in OWES_STAKE


def test_only_an_engine_may_void_and_only_before_the_outcome() -> None:
    voidable = [status for status, event in TRANSITIONS if event is E.ENGINE_VOIDED]
    assert voidable == [S.ACCEPTED]
