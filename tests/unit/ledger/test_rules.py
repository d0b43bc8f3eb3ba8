"""The wallet's decision table (``reelbridge.ledger.rules``), row by row, without I/O."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reelbridge.ledger.rules import (
    OK,
    RoundState,
    SessionState,
    Stored,
    check_bet,
    check_win,
    decide_bet,
    decide_refund,
    decide_win,
    replay,
    same_content,
)
from reelbridge.protocol import (
    LEDGER_LIMIT,
    Bet,
    BetType,
    ErrorCode,
    ProtocolError,
    Refund,
    Win,
    WinType,
    WrongInput,
)

NOW = 1_000_000
SESSION = SessionState(
    session_id="s1",
    client_id="c1",
    player_id="p1",
    currency="EUR",
    game_id="g1",
    account_id=10,
    house_id=1,
    open=True,
    expires_at=NOW + 1,
    balance=50_000,
    started_at=NOW - 1,
)
NO_ROUND = RoundState(bets=0, live_bets=0, wins=0)


def bet(amount: int = 10_000, kind: BetType = BetType.BET, **changes: str) -> Bet:
    fields = {"session_id": "s1", "transaction_id": "t1", "round_id": "r1", "game_id": "g1"}
    return Bet(type=kind, amount=amount, **{**fields, **changes})


def win(amount: int = 10_000, **changes: str) -> Win:
    fields = {"session_id": "s1", "transaction_id": "w1", "round_id": "r1", "game_id": "g1"}
    return Win(type=WinType.WIN, amount=amount, **{**fields, **changes})


def refund(**changes: str) -> Refund:
    fields = {"session_id": "s1", "transaction_id": "t1", "round_id": "r1", "game_id": "g1"}
    return Refund(**{**fields, **changes})


def stored(outcome: str = OK, action: str = "bet", amount: int = 10_000) -> Stored:
    return Stored(action, action, "s1", "r1", "g1", amount, outcome, "", refunded=False)


# -- request-only checks (B3, B6) --------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (bet(0), ErrorCode.AMOUNT_SHOULD_BE_POSITIVE),
        (bet(-1, BetType.TIP), ErrorCode.AMOUNT_SHOULD_BE_POSITIVE),
        (bet(1, BetType.FREESPIN), ErrorCode.WRONG_INPUT_PARAMETERS),
        (bet(LEDGER_LIMIT + 1), ErrorCode.WRONG_INPUT_PARAMETERS),
    ],
    ids=["zero bet", "negative tip", "freespin with a stake", "over the ledger"],
)
def test_check_bet_refuses_amounts_outside_the_rules(request_: Bet, error: ErrorCode) -> None:
    with pytest.raises(ProtocolError) as raised:
        check_bet(request_)
    assert raised.value.code is error
    assert raised.value.transaction_id == "t1"


def test_check_bet_accepts_positive_stakes_and_free_spins_of_zero() -> None:
    check_bet(bet(1))
    check_bet(bet(1, BetType.TIP))
    check_bet(bet(0, BetType.FREESPIN))


def test_check_win_accepts_zero_and_refuses_negative_or_overflowing_amounts() -> None:
    check_win(win(0))
    with pytest.raises(ProtocolError) as negative:
        check_win(win(-1))
    assert negative.value.code is ErrorCode.AMOUNT_SHOULD_BE_POSITIVE
    with pytest.raises(WrongInput):
        check_win(win(LEDGER_LIMIT + 1))


# -- bets (B7, B8, B11) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("session", "refunded_before", "amount", "code"),
    [
        (replace(SESSION, open=False), False, 1, ErrorCode.SESSION_NOT_FOUND),
        (replace(SESSION, expires_at=NOW), False, 1, ErrorCode.SESSION_NOT_FOUND),
        (SESSION, True, 1, ErrorCode.TRANSACTION_DENIED),
        (SESSION, False, 50_001, ErrorCode.INSUFFICIENT_BALANCE),
    ],
    ids=["closed", "expired", "refunded before it arrived", "larger than the balance"],
)
def test_decide_bet_refusals(
    session: SessionState, refunded_before: bool, amount: int, code: ErrorCode
) -> None:
    decision = decide_bet(bet(amount), session, now=NOW, refunded_before=refunded_before)
    assert (decision.code, decision.delta, decision.outcome) == (code, 0, str(code))


def test_decide_bet_of_the_whole_balance_debits_it() -> None:
    decision = decide_bet(bet(50_000), SESSION, now=NOW, refunded_before=False)
    assert (decision.code, decision.delta, decision.outcome) == (None, -50_000, OK)


# -- wins (B8, B13) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("round_", "accepted"),
    [
        (NO_ROUND, True),
        (RoundState(bets=2, live_bets=1, wins=0), True),
        (RoundState(bets=1, live_bets=1, wins=1), True),
        (RoundState(bets=2, live_bets=0, wins=0), False),
    ],
    ids=["no bet", "one bet standing", "second win", "all bets undone"],
)
def test_decide_win_credits_unless_the_rounds_bets_were_all_undone(
    round_: RoundState, accepted: bool
) -> None:
    decision = decide_win(win(7), replace(SESSION, open=False), round_)
    if accepted:
        assert (decision.code, decision.delta) == (None, 7)
    else:
        assert (decision.code, decision.delta) == (ErrorCode.TRANSACTION_DENIED, 0)


def test_decide_win_over_the_ledger_limit_is_denied_as_an_anomaly() -> None:
    decision = decide_win(win(LEDGER_LIMIT), SESSION, NO_ROUND)
    assert decision.code is ErrorCode.TRANSACTION_DENIED
    assert decision.delta == 0 and decision.anomaly


# -- refunds (B11, B12) ----------------------------------------------------------------------


def test_decide_refund_of_an_unseen_bet_succeeds_and_moves_nothing() -> None:
    decision = decide_refund(refund(), SESSION, None, NO_ROUND)
    assert (decision.code, decision.delta, decision.undoes_bet) == (None, 0, False)


def test_decide_refund_of_a_standing_bet_gives_the_stake_back() -> None:
    decision = decide_refund(refund(), SESSION, stored(amount=1234), RoundState(1, 1, 0))
    assert (decision.code, decision.delta, decision.undoes_bet) == (None, 1234, True)


def test_decide_refund_of_a_refused_bet_succeeds_and_moves_nothing() -> None:
    refused_bet = stored(outcome=str(ErrorCode.INSUFFICIENT_BALANCE))
    decision = decide_refund(refund(), SESSION, refused_bet, RoundState(1, 0, 0))
    assert (decision.code, decision.delta, decision.undoes_bet) == (None, 0, False)


@pytest.mark.parametrize(
    ("request_", "found"),
    [
        (refund(), stored(action="win")),
        (refund(round_id="r2"), stored()),
        (refund(session_id="s2"), stored()),
        (refund(game_id="g2"), stored()),
    ],
    ids=["names a win", "other round", "other session", "other game"],
)
def test_decide_refund_not_matching_its_bet_is_denied(request_: Refund, found: Stored) -> None:
    decision = decide_refund(request_, SESSION, found, RoundState(1, 1, 0))
    assert (decision.code, decision.delta, decision.anomaly) == (
        ErrorCode.TRANSACTION_DENIED,
        0,
        None,
    )


def test_decide_refund_after_the_rounds_win_is_denied_and_an_anomaly() -> None:
    decision = decide_refund(refund(), SESSION, stored(), RoundState(1, 1, 1))
    assert (decision.code, decision.delta) == (ErrorCode.TRANSACTION_DENIED, 0)
    assert decision.anomaly


# -- replay (B9) -------------------------------------------------------------------------------


def test_replay_of_the_same_content_answers_the_stored_success() -> None:
    request_ = bet(10_000)
    assert same_content(request_, stored())
    replay(request_, stored())  # returns: the caller answers the current balance


def test_replay_of_a_stored_refusal_raises_it_again() -> None:
    with pytest.raises(ProtocolError) as raised:
        replay(bet(10_000), stored(outcome=str(ErrorCode.INSUFFICIENT_BALANCE)))
    assert raised.value.code is ErrorCode.INSUFFICIENT_BALANCE


@pytest.mark.parametrize(
    "request_",
    [bet(10_001), bet(10_000, BetType.TIP), bet(round_id="r2"), bet(session_id="s2"), win()],
    ids=["amount", "type", "round", "session", "action"],
)
def test_replay_with_other_content_is_denied(request_: Bet | Win) -> None:
    assert not same_content(request_, stored())
    with pytest.raises(ProtocolError) as raised:
        replay(request_, stored())
    assert raised.value.code is ErrorCode.TRANSACTION_DENIED


def test_refund_replay_compares_session_round_and_game() -> None:
    first = Stored("refund", "", "s1", "r1", "g1", 0, OK, "", refunded=False)
    assert same_content(refund(), first)
    assert not same_content(refund(round_id="r2"), first)
