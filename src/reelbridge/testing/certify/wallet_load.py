"""Wallet scenarios of concurrency and load (PROTOCOL.md B7, B10, and B5 under load)."""

from __future__ import annotations

import asyncio
import time

from reelbridge.protocol import format_amount
from reelbridge.testing.certify.wallet_check import WalletCheck
from reelbridge.testing.certify.wallet_probe import Answer
from reelbridge.testing.certify.wallet_scenarios import wallet

COPIES = 20
PARALLEL_BETS = 30


@wallet("B10_parallel_copies_of_one_bet_apply_once")
async def parallel_copies(check: WalletCheck) -> str:
    """Twenty copies of one bet sent at once debit once."""
    seat = await check.setup.seat("10")
    tx, rnd = check.new_id(), check.new_id("round")
    answers = await asyncio.gather(
        *(
            check.bet(seat, "1.0", tx=tx, round_id=rnd, note=f"copy {n + 1} of {COPIES}")
            for n in range(COPIES)
        )
    )
    ok = [a for a in answers if a.ok]
    for answer in answers:
        if not answer.ok and answer.code != "TRANSACTION_IN_PROGRESS":
            check.fail(
                f"a copy got {answer.describe()} (only success or TRANSACTION_IN_PROGRESS)",
                answer.exchange,
            )
    check.check(bool(ok), "no copy succeeded", answers[0].exchange)
    for answer in ok:
        check.check(
            answer.balance == seat.start - 10_000,
            f"a copy answered balance {format_amount(answer.balance or 0)}: applied more than once",
            answer.exchange,
        )
    await check.balance_is(
        seat, seat.start - 10_000, f"{COPIES} copies of one bet must debit once", key=True
    )
    check.ok(await check.refund(seat, tx=tx, round_id=rnd), "refund of the kit's bet")
    busy = COPIES - len(ok)
    return f"{len(ok)} copies answered success with one debit, {busy} TRANSACTION_IN_PROGRESS"


@wallet("B7_parallel_bets_never_overdraw")
async def parallel_bets(check: WalletCheck) -> str:
    """Thirty bets of 0.1 sent at once on a balance of 1.0: exactly ten are accepted."""
    seat = await check.setup.seat("1.0", fresh="needs a player holding exactly 1.0")
    answers = await asyncio.gather(
        *(
            check.bet(seat, "0.1", tx=check.new_id(), round_id=check.new_id("round"))
            for _ in range(PARALLEL_BETS)
        )
    )
    accepted = [a for a in answers if a.ok]
    for answer in answers:
        if not answer.ok and answer.code != "INSUFFICIENT_BALANCE":
            check.fail(f"a bet got {answer.describe()}", answer.exchange)
    check.check(
        len(accepted) == 10,
        f"{len(accepted)} bets of 0.1 accepted on a balance of 1.0",
        *(a.exchange for a in accepted[-1:]),
    )
    await check.balance_is(seat, 0, "ten bets of 0.1 on 1.0", key=True)
    return "10 accepted, 20 INSUFFICIENT_BALANCE, balance 0"


@wallet("B5_load_phase_keeps_balances_exact")
async def load(check: WalletCheck) -> str:
    """Bet + win rounds from concurrent clients: req/s and p99."""
    workers = check.target.load_workers
    seats = [await check.setup.seat("1") for _ in range(min(workers, 4))]
    deadline = time.monotonic() + check.target.load_seconds
    latencies: list[float] = []  # float ok: milliseconds, statistics
    problems: list[Answer] = []

    async def worker(n: int) -> None:
        seat = seats[n % len(seats)]
        while time.monotonic() < deadline and not problems:
            rnd = check.new_id("round")
            bet = await check.bet(seat, "0.0001", tx=check.new_id(), round_id=rnd)
            win = await check.win(seat, "0.0001", tx=check.new_id(), round_id=rnd)
            latencies.extend((bet.exchange.latency_ms, win.exchange.latency_ms))
            problems.extend(a for a in (bet, win) if not a.ok)

    started = time.monotonic()
    await asyncio.gather(*(worker(n) for n in range(workers)))
    elapsed = time.monotonic() - started
    if problems:
        check.fail(f"under load a call got {problems[0].describe()}", problems[0].exchange)
    for seat in seats:
        await check.balance_is(seat, seat.start, "bet and win of 0.0001 per round must net to zero")
    latencies.sort()
    rate = len(latencies) / elapsed if elapsed else 0.0
    p50 = latencies[len(latencies) // 2] if latencies else 0.0
    p99 = latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)] if latencies else 0.0
    check.metrics.update(
        {
            "requests": str(len(latencies)),
            "req/s": f"{rate:.0f}",
            "p50 ms": f"{p50:.1f}",
            "p99 ms": f"{p99:.1f}",
            "workers": str(workers),
        }
    )
    figures = f"{rate:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    return f"{len(latencies)} calls, {figures}; balances exact"
