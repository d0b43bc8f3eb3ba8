"""Wallet scenarios of money and sessions (PROTOCOL.md B5–B8).

Every answer the kit reads is already held to B4 (HTTP 200, JSON) and B5 (a balance
is a JSON number with at most four decimals); these scenarios check the arithmetic.
"""

from __future__ import annotations

from reelbridge.protocol import format_amount, parse_amount_text
from reelbridge.testing.certify.wallet_check import WalletCheck
from reelbridge.testing.certify.wallet_scenarios import wallet


@wallet("B5_amount_as_string_or_number_is_the_same")
async def string_or_number(check: WalletCheck) -> str:
    """Bets of 1.5 and "1.5" both debit exactly 1.5."""
    seat = await check.setup.seat("10")
    rounds = []
    for quoted in (False, True):
        tx, rnd = check.new_id(), check.new_id("round")
        shown = '"1.5"' if quoted else "1.5"
        check.ok(
            await check.bet(seat, "1.5", tx=tx, round_id=rnd, quoted=quoted), f"bet of {shown}"
        )
        rounds.append((tx, rnd))
    await check.balance_is(seat, seat.start - 30_000, "two bets of 1.5", key=True)
    for tx, rnd in rounds:
        check.ok(await check.refund(seat, tx=tx, round_id=rnd), "refund of the kit's bet")
    return "both forms debited 1.5 exactly"


@wallet("B5_four_decimals_are_exact")
async def four_decimals(check: WalletCheck) -> str:
    """0.0001 moves one unit; 1.50000 (trailing zeros) is exactly 1.5."""
    seat = await check.setup.seat("10")
    rnd = check.new_id("round")
    check.ok(await check.bet(seat, "0.0001", tx=check.new_id(), round_id=rnd), "bet of 0.0001")
    check.ok(await check.bet(seat, "1.50000", tx=check.new_id(), round_id=rnd), "bet of 1.50000")
    await check.balance_is(seat, seat.start - 15_001, "bets of 0.0001 and 1.50000", key=True)
    check.ok(await check.win(seat, "1.5001", tx=check.new_id(), round_id=rnd), "win of 1.5001")
    await check.balance_is(seat, seat.start, "the win of 1.5001 after bets of 1.5001", key=True)
    return "exact to the fourth decimal"


@wallet("B5_balance_is_exact_after_many_small_bets")
async def many_small(check: WalletCheck) -> str:
    """60 bets of 0.1 and 0.0007 and wins leave an exact balance."""
    seat = await check.setup.seat("20")
    expected = seat.start
    for n in range(30):
        rnd = check.new_id("round")
        for amount in ("0.1", "0.0007"):
            balance = check.ok(
                await check.bet(seat, amount, tx=check.new_id(), round_id=rnd), f"bet {n}"
            )
            expected -= parse_amount_text(amount)
            check.check(
                balance == expected,
                f"after bet {n} of {amount} the balance is "
                f"{format_amount(balance)}, expected {format_amount(expected)}",
            )
        if n % 3 == 0:
            answer = await check.win(seat, "0.3021", tx=check.new_id(), round_id=rnd)
            expected += 3021
            balance = check.ok(answer, f"win {n} of 0.3021")
            check.check(
                balance == expected,
                f"after win {n} of 0.3021 the balance is "
                f"{format_amount(balance)}, expected {format_amount(expected)}",
            )
    await check.balance_is(seat, expected, "after 60 small bets and 10 wins", key=True)
    spent = seat.start - expected
    if spent:
        check.ok(
            await check.win(
                seat, format_amount(spent), tx=check.new_id(), round_id=check.new_id("round")
            ),
            "the kit pays back what it spent",
        )
    return f"every balance exact; {format_amount(spent)} spent and paid back"


@wallet("B6_bet_of_zero_or_less_is_amount_should_be_positive")
async def not_positive(check: WalletCheck) -> str:
    """Bets and tips of 0 and -1 are refused."""
    seat = await check.setup.seat("10")
    for type_, amount in (("bet", "0"), ("bet", "-1.0"), ("tip", "0.0"), ("bet", "-0.0001")):
        answer = await check.bet(
            seat, amount, tx=check.new_id(), round_id=check.new_id("round"), type=type_
        )
        check.refused(answer, "AMOUNT_SHOULD_BE_POSITIVE", f"{type_} of {amount}")
    await check.balance_is(seat, seat.start, "a refused bet moved money")
    return "all four refused, nothing written"


@wallet("B6_freespin_bet_of_zero_and_win_of_zero_are_accepted")
async def zero_amounts(check: WalletCheck) -> str:
    """A freespin bet of 0 and a win of 0 succeed."""
    seat = await check.setup.seat("10")
    rnd = check.new_id("round")
    check.ok(
        await check.bet(seat, "0", tx=check.new_id(), round_id=rnd, type="freespin"),
        "freespin bet of 0",
        key=True,
    )
    check.ok(
        await check.win(seat, "0", tx=check.new_id(), round_id=rnd, type="freespin"),
        "freespin win of 0",
        key=True,
    )
    rnd = check.new_id("round")
    check.ok(await check.bet(seat, "1.0", tx=check.new_id(), round_id=rnd), "bet of 1.0")
    check.ok(
        await check.win(seat, "0.0", tx=check.new_id(), round_id=rnd),
        "win of 0 closing a losing round",
        key=True,
    )
    answer = await check.win(seat, "-1.0", tx=check.new_id(), round_id=check.new_id("round"))
    check.refused(answer, ("AMOUNT_SHOULD_BE_POSITIVE", "WRONG_INPUT_PARAMETERS"), "win of -1.0")
    await check.balance_is(seat, seat.start - 10_000, "a freespin round, a lost round of 1.0")
    check.ok(
        await check.win(seat, "1.0", tx=check.new_id(), round_id=check.new_id("round")), "pay back"
    )
    return "zero amounts accepted where the rules allow them; a negative win refused"


@wallet("B7_bet_over_the_balance_is_insufficient_balance")
async def over_balance(check: WalletCheck) -> str:
    """A bet one unit over the balance changes nothing."""
    seat = await check.setup.seat("10")
    over = format_amount(seat.start + 1)
    answer = await check.bet(seat, over, tx=check.new_id(), round_id=check.new_id("round"))
    check.refused(
        answer, "INSUFFICIENT_BALANCE", f"bet of {over} on a balance of {format_amount(seat.start)}"
    )
    await check.balance_is(seat, seat.start, "a refused bet moved money")
    return "refused, balance unchanged"


@wallet("B8_unknown_session_is_session_not_found")
async def unknown_session(check: WalletCheck) -> str:
    """Bet and balance on an unknown session: SESSION_NOT_FOUND."""
    seat = await check.setup.seat("0")
    ghost = type(seat)(check.new_id("no-such-session"), seat.game_id, 0)
    check.refused(await check.balance(ghost), "SESSION_NOT_FOUND", "balance of an unknown session")
    answer = await check.bet(ghost, "1.0", tx=check.new_id(), round_id=check.new_id("round"))
    check.refused(answer, "SESSION_NOT_FOUND", "bet on an unknown session")
    return "both SESSION_NOT_FOUND"


@wallet("B8_closed_session_refuses_bets_but_wins_and_refunds_land")
async def closed_session(check: WalletCheck) -> str:
    """After close: bet refused, win and refund paid."""
    seat = await check.setup.seat("10", fresh="closes a session")
    won, refunded = check.new_id("round"), check.new_id("round")
    check.ok(await check.bet(seat, "1.0", tx=check.new_id(), round_id=won), "bet before closing")
    bet_tx = check.new_id()
    check.ok(await check.bet(seat, "2.0", tx=bet_tx, round_id=refunded), "bet before closing")
    await check.setup.close(seat)
    answer = await check.bet(seat, "1.0", tx=check.new_id(), round_id=check.new_id("round"))
    check.refused(answer, "SESSION_NOT_FOUND", "bet on a closed session")
    check.ok(
        await check.win(seat, "5.0", tx=check.new_id(), round_id=won),
        "win on a closed session",
        key=True,
    )
    balance = check.ok(
        await check.refund(seat, tx=bet_tx, round_id=refunded),
        "refund on a closed session",
        key=True,
    )
    expected = seat.start - 10_000 + 50_000
    check.check(
        balance == expected, f"balance {format_amount(balance)}, expected {format_amount(expected)}"
    )
    return "money owed to the player landed after the session closed"
