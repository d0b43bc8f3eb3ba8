"""Provider scenarios of rounds under wallet faults (Part A "What the provider must do
on errors"; B14–B16). Each plays one round with faults queued at the kit's wallet."""

from __future__ import annotations

import itertools

from reelbridge.testing.certify.fault_wallet import Call, garbage
from reelbridge.testing.certify.provider_check import ProviderCheck, RoundSeen
from reelbridge.testing.certify.provider_scenarios import provider
from reelbridge.testing.faults import Fault, delay, http_status, not_json, reply

KNOWN_MESSAGE = "Not enough money (certify)"


def late(check: ProviderCheck) -> Fault:
    """The bet is applied at once but answered well after the provider's budget."""
    budget = check.target.wallet_timeout
    return delay(budget + max(1.0, budget / 5), forward="before")


def failing(times: int) -> list[Fault]:
    """``times`` failures of different kinds (a win or refund must be resent after each)."""
    kinds = itertools.cycle(
        (http_status(503), reply("INTERNAL_ERROR", "certify: try again"), garbage())
    )
    return [next(kinds) for _ in range(times)]


def _no_payout(check: ProviderCheck, seen: RoundSeen, why: str) -> None:
    wins = seen.of("win")
    if wins:
        check.fail(f"{why}, yet a win was sent for its round (B15)", *check.evidence_of(wins[0]))


def _refunded(check: ProviderCheck, seen: RoundSeen, why: str) -> str:
    refunds = [c for c in seen.of("refund") if c.accepted]
    if not refunds:
        check.fail(
            f"{why}: no refund of bet {seen.tx} was accepted within "
            f"{check.target.settle_timeout:g} s (Part A, B15)",
            *check.evidence_of(seen.bet, *seen.of("refund")),
        )
    _no_payout(check, seen, why)
    check.decided(*check.evidence_of(seen.bet, refunds[0]), key=True)
    shown = (seen.shown or {}).get("error")
    return "refunded" + (
        f"; the player saw {shown.get('message')!r}" if isinstance(shown, dict) else ""
    )


@provider("A_accepted_bet_is_closed_by_a_win")
async def plain_round(check: ProviderCheck) -> str:
    """A round with no fault: bet, then a win in the same round."""
    seen = await check.play_round(until="win", what="no fault")
    wins = [c for c in seen.of("win") if c.accepted]
    if not wins:
        check.fail(
            f"no win for round {seen.round_id} was accepted (a win of 0 closes a lost round)",
            *check.evidence_of(seen.bet, *seen.of("win")),
        )
    for field in ("session_id", "game_id"):
        if wins[0].fields.get(field) != seen.bet.fields.get(field):
            check.fail(
                f"the win's {field} differs from its bet's", *check.evidence_of(seen.bet, wins[0])
            )
    if seen.of("refund"):
        check.fail("an accepted bet was refunded", *check.evidence_of(seen.of("refund")[0]))
    check.decided(*check.evidence_of(seen.bet, wins[0]), key=True)
    return f"bet then win of {wins[0].fields.get('amount')} in round {seen.round_id}"


@provider("B15_bet_timeout_is_refunded")
async def timeout(check: ProviderCheck) -> str:
    """A bet answered after the budget is refunded and pays nothing."""
    fault = late(check)
    seen = await check.play_round(
        ("bet", fault), until="refund", what=f"the bet answers after {fault.seconds:g} s"
    )
    return _refunded(check, seen, f"the bet was answered after {fault.seconds:g} s")


@provider("B15_bet_unknown_error_is_refunded")
async def unknown_error(check: ProviderCheck) -> str:
    """BET_FAILED_UNKNOWN_ERROR on a bet is refunded."""
    seen = await check.play_round(
        ("bet", reply("BET_FAILED_UNKNOWN_ERROR")),
        until="refund",
        what="the bet gets BET_FAILED_UNKNOWN_ERROR",
    )
    return _refunded(check, seen, "the bet got BET_FAILED_UNKNOWN_ERROR")


@provider("B15_bet_garbage_answer_is_refunded")
async def garbage_answer(check: ProviderCheck) -> str:
    """A bet answered with a body that is not JSON is refunded."""
    seen = await check.play_round(
        ("bet", garbage()), until="refund", what="the bet gets a garbage body"
    )
    return _refunded(check, seen, "the bet got a body that is not JSON")


@provider("B15_bet_non_2xx_answer_is_refunded")
async def non_2xx(check: ProviderCheck) -> str:
    """A bet answered HTTP 502 (an HTML page) is refunded."""
    bad_gateway = Fault("http 502 html", status=502, body=not_json().body, media_type="text/html")
    seen = await check.play_round(
        ("bet", bad_gateway), until="refund", what="the bet gets HTTP 502"
    )
    return _refunded(check, seen, "the bet got HTTP 502")


@provider("A_known_bet_error_is_shown_and_not_refunded")
async def known_error(check: ProviderCheck) -> str:
    """INSUFFICIENT_BALANCE: its message, no refund, no win."""
    seen = await check.play_round(
        ("bet", reply("INSUFFICIENT_BALANCE", KNOWN_MESSAGE)),
        until="quiet",
        what="the bet gets INSUFFICIENT_BALANCE",
    )
    if seen.of("refund"):
        check.fail(
            "a bet refused with a known error was refunded",
            *check.evidence_of(seen.of("refund")[0]),
        )
    _no_payout(check, seen, "the bet was refused")
    check.decided(*check.evidence_of(seen.bet), key=True)
    error = (seen.shown or {}).get("error")
    if seen.shown is not None:
        message = error.get("message") if isinstance(error, dict) else None
        check.check(
            message == KNOWN_MESSAGE,
            f"the player was shown {message!r}, not the wallet's message {KNOWN_MESSAGE!r}",
        )
        return f"no refund, no win; the player saw {KNOWN_MESSAGE!r}"
    return "no refund, no win"


def _attempts(check: ProviderCheck, calls: list[Call], what: str) -> dict[str, list[Call]]:
    by_tx: dict[str, list[Call]] = {}
    for call in calls:
        by_tx.setdefault(call.fields.get("transaction_id", ""), []).append(call)
    if not any(c.accepted for c in calls):
        check.fail(
            f"the {what} was never accepted within {check.target.settle_timeout:g} s "
            f"(it must be resent until success)",
            *check.evidence_of(*calls[-1:]),
        )
    return by_tx


def _identical(check: ProviderCheck, calls: list[Call], what: str) -> str:
    failures = check.target.failures
    by_tx = _attempts(check, calls, what)
    for tx, attempts in by_tx.items():
        for attempt in attempts[1:]:
            if attempt.body != attempts[0].body:
                check.fail(
                    f"{what} {tx} was resent with other bytes (B14)",
                    *check.evidence_of(attempts[0], attempt),
                )
            if attempt.signature != attempts[0].signature:
                check.fail(
                    f"{what} {tx} was resent with another signature",
                    *check.evidence_of(attempts[0], attempt),
                )
    # The failures were served to the next calls, whichever transaction (a jackpot win
    # is a second one): each failure must have been followed by a resend.
    check.check(
        len(calls) >= failures + len(by_tx),
        f"{len(calls)} {what} attempt(s) for {failures} failure(s): not resent after a failure",
        *check.evidence_of(*calls[-1:]),
    )
    first = next(iter(by_tx.values()))
    check.decided(*check.evidence_of(first[0], first[-1]), key=True)
    return f"{len(calls)} attempts, each resend byte for byte and signature the same"


@provider("B14_failed_win_is_resent_with_identical_bytes")
async def win_resent(check: ProviderCheck) -> str:
    """A win refused N times is resent, byte for byte."""
    faults = [("win", f) for f in failing(check.target.failures)]
    seen = await check.play_round(*faults, until="win", what=f"the win fails {len(faults)} times")
    return _identical(check, seen.of("win"), "win")


@provider("B14_failed_refund_is_resent_with_identical_bytes")
async def refund_resent(check: ProviderCheck) -> str:
    """A refund refused N times is resent, byte for byte."""
    faults = [("bet", reply("BET_FAILED_UNKNOWN_ERROR"))] + [
        ("refund", f) for f in failing(check.target.failures)
    ]
    seen = await check.play_round(
        *faults, until="refund", what=f"the refund fails {len(faults) - 1} times"
    )
    if not seen.of("refund"):
        check.fail(
            "the bet got BET_FAILED_UNKNOWN_ERROR but no refund came", *check.evidence_of(seen.bet)
        )
    return _identical(check, seen.of("refund"), "refund")


@provider("B16_resent_win_keeps_its_outcome")
async def win_outcome(check: ProviderCheck) -> str:
    """Every resend of a win carries the amount drawn the first time."""
    faults = [("win", f) for f in failing(check.target.failures)]
    seen = await check.play_round(*faults, until="win", what=f"the win fails {len(faults)} times")
    wins = seen.of("win")
    for tx, attempts in _attempts(check, wins, "win").items():
        amounts = {a.fields.get("amount") for a in attempts}
        if len(amounts) > 1:
            check.fail(
                f"win {tx} was resent with other amounts {sorted(map(str, amounts))}: "
                "the outcome was drawn again (B16)",
                *check.evidence_of(*attempts[:2]),
            )
    shown = (seen.shown or {}).get("win")
    base = [a for a in wins if a.fields.get("type") == "win"]
    if isinstance(shown, str) and base:
        paid = base[-1].fields.get("amount", "")
        check.check(
            _same_amount(paid, shown),
            f"the player was shown a win of {shown}, the wallet was sent {paid}",
            *check.evidence_of(base[-1]),
        )
    check.decided(*check.evidence_of(wins[0], wins[-1]), key=True)
    return f"{len(wins)} attempts, one amount" + (f" (the {shown} the player saw)" if shown else "")


def _same_amount(a: str, b: str) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False
