"""Wallet scenarios of idempotency and refunds (PROTOCOL.md B9, B11–B13)."""

from __future__ import annotations

from reelbridge.protocol import format_amount
from reelbridge.testing.certify.wallet_check import WalletCheck
from reelbridge.testing.certify.wallet_scenarios import wallet

DENIED = "TRANSACTION_DENIED"


@wallet("B9_duplicate_bet_is_idempotent")
async def duplicate_bet(check: WalletCheck) -> str:
    """The same bet sent twice debits once and answers success."""
    seat = await check.setup.seat("10")
    tx, rnd = check.new_id(), check.new_id("round")
    first = check.ok(await check.bet(seat, "2.5", tx=tx, round_id=rnd), "the bet")
    again = await check.bet(seat, "2.5", tx=tx, round_id=rnd, note="the same bytes again")
    repeat = check.ok(again, "the same bet repeated", key=True)
    check.check(
        repeat == first,
        f"the repeat answered balance {format_amount(repeat)} after "
        f"{format_amount(first)}: the bet was applied twice",
        again.exchange,
    )
    await check.balance_is(seat, seat.start - 25_000, "a repeated bet must debit once", key=True)
    check.ok(await check.refund(seat, tx=tx, round_id=rnd), "refund of the kit's bet")
    return "debited once; the repeat answered the same balance"


@wallet("B9_duplicate_win_is_idempotent")
async def duplicate_win(check: WalletCheck) -> str:
    """The same win sent twice credits once."""
    seat = await check.setup.seat("10")
    tx, rnd = check.new_id(), check.new_id("round")
    check.ok(await check.bet(seat, "1.0", tx=check.new_id(), round_id=rnd), "the bet")
    check.ok(await check.win(seat, "3.0", tx=tx, round_id=rnd), "the win")
    check.ok(
        await check.win(seat, "3.0", tx=tx, round_id=rnd, note="the same bytes again"),
        "the repeated win",
        key=True,
    )
    await check.balance_is(seat, seat.start + 20_000, "a repeated win must credit once", key=True)
    return "credited once"


@wallet("B9_conflicting_duplicate_is_transaction_denied")
async def conflicting(check: WalletCheck) -> str:
    """One id with another amount or round is TRANSACTION_DENIED."""
    seat = await check.setup.seat("10")
    tx, rnd = check.new_id(), check.new_id("round")
    check.ok(await check.bet(seat, "1.0", tx=tx, round_id=rnd), "the bet")
    answer = await check.bet(seat, "2.0", tx=tx, round_id=rnd, note="same id, amount 2.0")
    check.refused(answer, DENIED, "the same bet id with another amount")
    answer = await check.bet(
        seat, "1.0", tx=tx, round_id=check.new_id("round"), note="same id, other round"
    )
    check.refused(answer, DENIED, "the same bet id in another round")
    answer = await check.win(seat, "1.0", tx=tx, round_id=rnd, note="the bet's id used for a win")
    check.refused(answer, DENIED, "a win reusing the bet's id")
    await check.balance_is(seat, seat.start - 10_000, "conflicting duplicates must move nothing")
    check.ok(await check.refund(seat, tx=tx, round_id=rnd), "refund of the kit's bet")
    return "all three conflicts denied, the first bet stands alone"


@wallet("B9_refused_bet_keeps_its_refusal")
async def sticky_refusal(check: WalletCheck) -> str:
    """A bet refused for funds is refused again after a deposit."""
    seat = await check.setup.seat("1")
    tx, rnd = check.new_id(), check.new_id("round")
    over = format_amount(seat.start + 10_000)
    check.refused(
        await check.bet(seat, over, tx=tx, round_id=rnd), "INSUFFICIENT_BALANCE", f"bet of {over}"
    )
    if seat.player_id is not None:
        await check.setup.deposit(seat.player_id, "5.0")
        credited = "a deposit of 5.0"
    else:  # without the admin API a win in another round raises the balance instead
        check.ok(
            await check.win(seat, "5.0", tx=check.new_id(), round_id=check.new_id("round")),
            "win of 5.0",
        )
        credited = "a win of 5.0"
    again = await check.bet(seat, over, tx=tx, round_id=rnd, note=f"the same bet after {credited}")
    check.refused(again, "INSUFFICIENT_BALANCE", f"the refused bet repeated after {credited}")
    await check.balance_is(seat, seat.start + 50_000, f"only {credited} may have moved money")
    return f"the refusal stuck after {credited}"


@wallet("B11_refund_credits_the_stake_once")
async def refund_once(check: WalletCheck) -> str:
    """A refund gives the stake back once; a repeat answers success."""
    seat = await check.setup.seat("10")
    tx, rnd = check.new_id(), check.new_id("round")
    check.ok(await check.bet(seat, "4.0", tx=tx, round_id=rnd), "the bet")
    check.ok(await check.refund(seat, tx=tx, round_id=rnd), "the refund")
    check.ok(
        await check.refund(seat, tx=tx, round_id=rnd, note="the same refund again"),
        "the repeated refund",
        key=True,
    )
    await check.balance_is(seat, seat.start, "bet, refund, refund again", key=True)
    return "stake credited back once"


@wallet("B11_refund_before_the_bet_denies_the_late_bet")
async def refund_first(check: WalletCheck) -> str:
    """Refund of an unseen bet succeeds; the late bet is denied."""
    seat = await check.setup.seat("10")
    tx, rnd = check.new_id(), check.new_id("round")
    check.ok(
        await check.refund(seat, tx=tx, round_id=rnd, note="the bet was never sent"),
        "refund of an unseen bet",
    )
    await check.balance_is(seat, seat.start, "a refund of an unseen bet moved money")
    late = await check.bet(
        seat, "3.0", tx=tx, round_id=rnd, note="the bet arrives after its refund"
    )
    check.refused(late, DENIED, "the bet arriving after its refund")
    await check.balance_is(seat, seat.start, "the late bet must debit nothing", key=True)
    return "the refund was remembered; the late bet debited nothing"


@wallet("B12_refund_after_a_win_is_transaction_denied")
async def refund_after_win(check: WalletCheck) -> str:
    """A refund of a bet whose round has a win is denied."""
    seat = await check.setup.seat("10")
    tx, rnd = check.new_id(), check.new_id("round")
    check.ok(await check.bet(seat, "2.0", tx=tx, round_id=rnd), "the bet")
    check.ok(await check.win(seat, "3.0", tx=check.new_id(), round_id=rnd), "the win")
    check.refused(
        await check.refund(seat, tx=tx, round_id=rnd), DENIED, "refund after the round's win"
    )
    await check.balance_is(seat, seat.start + 10_000, "the settled round must stay as it was")
    return "denied; the settled round kept its bet and win"


@wallet("B13_win_without_a_bet_is_credited")
async def win_alone(check: WalletCheck) -> str:
    """A win in a round with no bet (jackpot, feature) lands."""
    seat = await check.setup.seat("0")
    answer = await check.win(
        seat, "7.0", tx=check.new_id(), round_id=check.new_id("round"), type="jackpot"
    )
    balance = check.ok(answer, "a jackpot win with no bet in its round", key=True)
    check.check(
        balance == seat.start + 70_000, f"balance {format_amount(balance)} after a win of 7.0"
    )
    return "credited"


@wallet("B13_win_after_a_refund_is_transaction_denied")
async def win_after_refund(check: WalletCheck) -> str:
    """A win for a round whose bet was refunded is denied."""
    seat = await check.setup.seat("10")
    tx, rnd = check.new_id(), check.new_id("round")
    check.ok(await check.bet(seat, "2.0", tx=tx, round_id=rnd), "the bet")
    check.ok(await check.refund(seat, tx=tx, round_id=rnd), "the refund")
    check.refused(
        await check.win(seat, "5.0", tx=check.new_id(), round_id=rnd), DENIED, "win after refund"
    )
    await check.balance_is(seat, seat.start, "nothing may be paid for a refunded round")
    return "denied; nothing paid"
