"""The provider's client of the aggregator's wallet, and how replies are classified.

Every call is one POST of bytes taken from the outbox, signed with the client's first
token, with a hard time budget (5 s) and no transport retries: the outbox is the only
place that resends (B14). Transports only report what happened; ``classify`` decides.

Classification of a bet (PROTOCOL.md "What the provider must do on errors", B4):

==============================================  ===========  ==========================
what came back                                  class        the provider then
==============================================  ===========  ==========================
``status: true`` with a balance                 Accepted     draws the outcome
a known error (INSUFFICIENT_BALANCE, …)         Refused      shows the message, no refund
any other error code (incl. IN_PROGRESS)        Unknown      refunds, shows "Unknown error"
non-JSON, non-2xx, timeout, connection error    Unknown      refunds, shows "Unknown error"
==============================================  ===========  ==========================

For wins and refunds only ``Accepted`` counts as delivered; everything else is retried.
The production transport is ``wallet_http.Http11Transport``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from reelbridge._types import Units
from reelbridge.observability import ProviderMetrics, current_request_id, new_request_id
from reelbridge.protocol import (
    KNOWN_BET_ERRORS,
    BalanceReply,
    ErrorReply,
    WrongInput,
    decode_wallet_reply,
    sign,
)


@dataclass(frozen=True, slots=True)
class Accepted:
    """The wallet said yes; ``balance`` is the player's balance after the call."""

    balance: Units


@dataclass(frozen=True, slots=True)
class Refused:
    """A known error: the wallet's message is shown to the player."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Unknown:
    """The fate of the call is unknown (or the error is not a known one)."""

    reason: str


Outcome = Accepted | Refused | Unknown


@dataclass(frozen=True, slots=True)
class RawReply:
    """What a transport got back: an HTTP status and body."""

    status: int
    body: bytes


class TransportError(Exception):
    """No reply: connection refused or reset, timeout, or a broken response."""


class WalletTransport(Protocol):
    """Port: POST signed bytes to a wallet URL within a time budget."""

    async def post(
        self, url: str, body: bytes, signature: str, *, request_id: str = ""
    ) -> RawReply:
        """Send (with ``X-Request-Id: request_id`` when given); raise ``TransportError``
        when there is no reply."""


@dataclass(frozen=True, slots=True)
class CallContext:
    """What a wallet call is about (for metrics and the wallet-call log)."""

    action: str
    client_id: str = ""
    round_id: str = ""
    transaction_id: str = ""
    player_id: str = ""
    attempt: int = 1


def classify_reply(reply: RawReply, *, bet: bool) -> Outcome:
    """Classify a reply (see the module table); ``bet`` selects the bet rules."""
    if not 200 <= reply.status < 300:
        return Unknown(f"HTTP {reply.status}")
    try:
        decoded = decode_wallet_reply(reply.body)
    except WrongInput as exc:
        return Unknown(f"unreadable reply: {exc.message}"[:300])
    if isinstance(decoded, BalanceReply):
        return Accepted(decoded.balance)
    assert isinstance(decoded, ErrorReply)
    if bet and decoded.code in KNOWN_BET_ERRORS:
        return Refused(str(decoded.code), decoded.message)
    return Unknown(f"{decoded.code}: {decoded.message}"[:300])


class WalletClient:
    """Sends outbox bodies to a client's wallet and classifies the replies; counts each
    call (``ProviderMetrics``) and hands it to the wallet-call log (``CallRecorder``)."""

    def __init__(
        self,
        *,
        transport: WalletTransport,
        metrics: ProviderMetrics | None = None,
        recorder: CallRecorder | None = None,
    ) -> None:
        self._transport = transport
        self._metrics = metrics if metrics is not None else ProviderMetrics()
        self._recorder = recorder

    async def call(
        self,
        url: str,
        token: str,
        body: bytes,
        *,
        bet: bool,
        context: CallContext | None = None,
    ) -> Outcome:
        """Sign ``body`` with ``token``, POST it to ``url`` (with the current request's
        id, or a fresh one), classify the reply."""
        about = context if context is not None else CallContext("bet" if bet else "other")
        request_id = current_request_id() or new_request_id()
        started = time.perf_counter()
        reply: RawReply | None = None
        try:
            reply = await self._transport.post(url, body, sign(body, token), request_id=request_id)
        except TransportError as exc:
            outcome: Outcome = Unknown(str(exc) or "no reply")
        else:
            outcome = classify_reply(reply, bet=bet)
        seconds = time.perf_counter() - started  # float ok: a duration
        kind = type(outcome).__name__.lower()
        self._metrics.wallet_calls.labels(about.action, kind).inc()
        self._metrics.wallet_call_seconds.labels(about.action).observe(seconds)
        if self._recorder is not None:
            self._recorder.record(
                about, request_id=request_id, body=body, reply=reply, outcome=outcome,
                latency_us=int(seconds * 1_000_000),
            )  # fmt: skip
        return outcome


class CallRecorder(Protocol):
    """Port: keeps a record of every wallet call (``provider/call_log.py``)."""

    def record(
        self,
        context: CallContext,
        *,
        request_id: str,
        body: bytes,
        reply: RawReply | None,
        outcome: Outcome,
        latency_us: int,
    ) -> None:
        """Note one call (must not block: the call log writes in batches)."""
