"""How the provider classifies the wallet's replies (PROTOCOL.md Part A "What the
provider must do on errors", B4): one case per row of the table in wallet_client.py.

A bet: success → Accepted; a known error → Refused (the message is shown, no refund);
any other error, an unreadable body, a non-2xx status or no reply → Unknown (refund).
A win or refund: only success is Accepted; everything else is Unknown (resend).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from reelbridge.protocol import SIGN_HEADER, sign
from reelbridge.provider.wallet_client import (
    Accepted,
    RawReply,
    Refused,
    TransportError,
    Unknown,
    WalletClient,
    classify_reply,
)

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a loop of its own thread, whatever runs on the test's thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def error(code: str, message: str = "") -> RawReply:
    """A protocol error body with HTTP 200."""
    return RawReply(200, json.dumps({"status": False, "code": code, "message": message}).encode())


@pytest.mark.parametrize("bet", [True, False])
@pytest.mark.parametrize(
    ("body", "units"),
    [
        (b'{"status": true, "balance": 100.0001}', 1_000_001),
        (b'{"status":true,"balance":0}', 0),
        (b'{"status": true, "balance": "12.5"}', 125_000),
        (b'{"balance": 7, "status": true, "extra": [1]}', 70_000),
    ],
)
def test_success_with_a_balance_is_accepted(body: bytes, units: int, bet: bool) -> None:
    assert classify_reply(RawReply(200, body), bet=bet) == Accepted(units)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("INSUFFICIENT_BALANCE", "Insufficient balance"),
        ("INTERNAL_ERROR", "Not enough limits"),
        ("BET_FAILED_KNOWN_ERROR", "Limit reached"),
        ("SESSION_NOT_FOUND", "Session expired"),
        ("TRANSACTION_DENIED", "Bet was already refunded"),
        ("AMOUNT_SHOULD_BE_POSITIVE", "Amount should be positive"),
    ],
)
def test_a_known_bet_error_is_refused_with_the_wallets_message(code: str, message: str) -> None:
    assert classify_reply(error(code, message), bet=True) == Refused(code, message)


def test_a_known_error_without_a_message_gets_the_codes_default_message() -> None:
    outcome = classify_reply(
        RawReply(200, b'{"status":false,"code":"INSUFFICIENT_BALANCE"}'), bet=True
    )
    assert outcome == Refused("INSUFFICIENT_BALANCE", "Insufficient balance")


@pytest.mark.parametrize(
    "code",
    [
        "BET_FAILED_UNKNOWN_ERROR",
        "TRANSACTION_IN_PROGRESS",
        "TRANSACTION_PREPARING_ERROR",
        "INVALID_SIGN",
        "WRONG_INPUT_PARAMETERS",
        "ACTION_IS_NOT_EXIST",
    ],
)
def test_any_other_bet_error_code_is_unknown(code: str) -> None:
    outcome = classify_reply(error(code, "whatever"), bet=True)
    assert isinstance(outcome, Unknown) and code in outcome.reason


@pytest.mark.parametrize(
    "code",
    ["INSUFFICIENT_BALANCE", "INTERNAL_ERROR", "TRANSACTION_DENIED", "TRANSACTION_IN_PROGRESS"],
)
def test_every_error_on_a_win_or_refund_is_unknown_so_it_is_resent(code: str) -> None:
    assert isinstance(classify_reply(error(code, "no"), bet=False), Unknown)


@pytest.mark.parametrize("bet", [True, False])
@pytest.mark.parametrize(
    "reply",
    [
        RawReply(200, b"<html>Bad Gateway</html>"),
        RawReply(200, b""),
        RawReply(200, b"[]"),
        RawReply(200, b"null"),
        RawReply(200, b'{"status": true}'),  # success without a balance
        RawReply(200, b'{"status": true, "balance": 1e3}'),  # an exponent is not exact
        RawReply(200, b'{"status": true, "balance": 1.00001}'),  # five decimals
        RawReply(200, b'{"status": true, "balance": NaN}'),
        RawReply(200, b'{"status": "true", "balance": 1}'),
        RawReply(200, b'{"status": false, "code": "NOT_A_CODE", "message": "x"}'),
        RawReply(200, b'{"status": false}'),
        RawReply(200, b'{"status": true, "balance": 1} junk'),
        RawReply(200, b'{"status": true, "balance": 1}' + b" " * 70_000),  # over 64 KiB
        RawReply(500, b'{"status": true, "balance": 100}'),  # the status decides first
        RawReply(503, b"Service Unavailable"),
        RawReply(302, b""),
        RawReply(404, b'{"status": false, "code": "INSUFFICIENT_BALANCE", "message": "x"}'),
    ],
)
def test_unreadable_or_non_2xx_replies_are_unknown(reply: RawReply, bet: bool) -> None:
    assert isinstance(classify_reply(reply, bet=bet), Unknown)


class _Transport:
    """A fake transport: records what it was given; raises or answers as told."""

    def __init__(self, answer: RawReply | TransportError) -> None:
        self.answer = answer
        self.sent: list[tuple[str, bytes, str]] = []

    async def post(
        self, url: str, body: bytes, signature: str, *, request_id: str = ""
    ) -> RawReply:
        self.sent.append((url, body, signature))
        if isinstance(self.answer, TransportError):
            raise self.answer
        return self.answer


@pytest.mark.parametrize("bet", [True, False])
def test_no_reply_at_all_is_unknown(bet: bool) -> None:
    transport = _Transport(TransportError("TimeoutError"))
    outcome = run(WalletClient(transport=transport).call("http://w", "tok", b"{}", bet=bet))
    assert outcome == Unknown("TimeoutError")


def test_the_client_signs_and_sends_exactly_the_outbox_bytes() -> None:
    body = b'{"action":"win","amount":1.5,"url":"a\\/b"}'
    transport = _Transport(RawReply(200, b'{"status":true,"balance":3}'))
    outcome = run(WalletClient(transport=transport).call("http://w/x", "tok", body, bet=False))
    assert outcome == Accepted(30_000)
    assert transport.sent == [("http://w/x", body, sign(body, "tok"))]
    assert SIGN_HEADER == "X-Sign"
