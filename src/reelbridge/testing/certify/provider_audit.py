"""Provider scenarios over every call of the run (B1, B14, B15): they run last and
judge all rounds together, including any a person played beyond those asked for."""

from __future__ import annotations

import asyncio
import time

from reelbridge.testing.certify.fault_wallet import Call
from reelbridge.testing.certify.provider_check import ProviderCheck, bet_fate
from reelbridge.testing.certify.provider_scenarios import provider
from reelbridge.testing.certify.runner import NotRun


def _bets(check: ProviderCheck) -> list[Call]:
    bets = check.wallet.calls(action="bet")
    if not bets:
        raise NotRun("no bet reached the kit's wallet (no round was played)")
    return bets


def _tx(call: Call) -> str:
    return call.fields.get("transaction_id", "")


def _owed(check: ProviderCheck, bet: Call) -> str | None:
    """What is still missing for ``bet`` to be settled, or None."""
    calls = check.wallet.calls(since=bet.seq)
    fate = bet_fate(bet, check.target.wallet_timeout)
    if fate == "accepted":
        rnd = bet.fields.get("round_id")
        if not any(
            c.action == "win" and c.accepted and c.fields.get("round_id") == rnd for c in calls
        ):
            return f"accepted bet {_tx(bet)}: no win accepted for round {rnd}"
    elif fate == "unknown":
        if not any(c.action == "refund" and c.accepted and _tx(c) == _tx(bet) for c in calls):
            return f"bet {_tx(bet)} with an unknown outcome: no refund accepted"
    elif fate == "pending":
        return f"bet {_tx(bet)} is still waiting for the kit's answer"
    return None


@provider("B14_every_bet_is_settled")
async def every_bet_settled(check: ProviderCheck) -> str:
    """Every accepted bet gets a win, every unknown one a refund, at last."""
    bets = _bets(check)
    deadline = time.monotonic() + check.target.settle_timeout
    while True:
        missing = [(b, m) for b in bets if (m := _owed(check, b)) is not None]
        if not missing:
            break
        if time.monotonic() > deadline:
            bet, why = missing[0]
            check.fail(
                f"{len(missing)} of {len(bets)} bets unsettled after "
                f"{check.target.settle_timeout:g} s; {why}",
                *check.evidence_of(bet),
            )
        await asyncio.sleep(0.1)
    check.decided(*check.evidence_of(bets[-1]), key=True)
    return f"all {len(bets)} bets settled"


@provider("B15_refunds_are_sent_when_due_and_only_then")
async def refunds_when_due(check: ProviderCheck) -> str:
    """Refunds follow exactly the bets whose outcome was unknown."""
    bets = _bets(check)
    refunds = check.wallet.calls(action="refund")
    due = 0
    for bet in bets:
        fate = bet_fate(bet, check.target.wallet_timeout)
        mine = [r for r in refunds if _tx(r) == _tx(bet)]
        if fate in ("accepted", "known") and mine:
            check.fail(
                f"bet {_tx(bet)} was {fate} (answered in time) but was refunded",
                *check.evidence_of(bet, mine[0]),
            )
        if fate == "unknown":
            due += 1
            if not mine:
                check.fail(
                    f"bet {_tx(bet)} had an unknown outcome but no refund was sent",
                    *check.evidence_of(bet),
                )
    check.decided(*check.evidence_of(bets[-1]), key=True)
    return f"{due} refund(s) due and sent, none for the {len(bets) - due} bets answered in time"


@provider("B15_nothing_is_paid_for_a_refunded_round")
async def nothing_paid(check: ProviderCheck) -> str:
    """No win is ever sent for a round whose bet was refunded."""
    calls = check.wallet.calls()
    refunded = {c.fields.get("round_id") for c in calls if c.action == "refund"}
    for call in calls:
        if call.action == "win" and call.fields.get("round_id") in refunded:
            refund = next(
                c
                for c in calls
                if c.action == "refund" and c.fields.get("round_id") == call.fields.get("round_id")
            )
            check.fail(
                f"round {call.fields.get('round_id')} was refunded and paid",
                *check.evidence_of(refund, call),
            )
    if not refunded:
        raise NotRun("no round was refunded in this run")
    last = [c for c in calls if c.action == "refund"][-1]
    check.decided(*check.evidence_of(last), key=True)
    return f"{len(refunded)} refunded round(s), none paid"


@provider("B1_wallet_calls_are_signed_over_their_bytes")
async def signed(check: ProviderCheck) -> str:
    """Every call the provider sent verifies with the token."""
    calls = check.wallet.calls()
    if not calls:
        raise NotRun("the provider sent no wallet call")
    for call in calls:
        if not call.sign_ok:
            bad = sum(not c.sign_ok for c in calls)
            check.fail(
                f"{bad} of {len(calls)} calls failed the signature check: {call.sign_reason}",
                *check.evidence_of(call),
            )
    check.decided(*check.evidence_of(calls[-1]), key=True)
    return f"all {len(calls)} calls verified"
