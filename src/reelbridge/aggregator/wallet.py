"""The wallet endpoint: ``POST /wallet/{client_id}`` (PROTOCOL.md Part A and B 1–13).

Order of work for each request: size limit, signature over the raw bytes with that
client's tokens (B1, B2; a request carrying two ``X-Sign`` headers is ``INVALID_SIGN``:
which one would count is a guess), decode (B3), then one unit of work
(``ledger.wallet_call``).
Every answer is HTTP 200 with a JSON body (B4); this module is the single place where
exceptions become wire errors.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from reelbridge import ledger
from reelbridge._cache import TtlCache
from reelbridge.aggregator import admin_flows
from reelbridge.observability import AccessLog, AggregatorMetrics, set_request_id
from reelbridge.observability.logs import accepted_request_id
from reelbridge.protocol import (
    MAX_BODY_BYTES,
    Bet,
    ErrorCode,
    ErrorReply,
    InvalidSign,
    ProtocolError,
    WalletRequest,
    Win,
    WrongInput,
    decode_wallet_request,
    encode_error,
    encode_reply,
    verify,
)
from reelbridge.storage import Engine
from reelbridge.web.limits import AddressRefused, ClientLimits, TooManyRequests

log = logging.getLogger("reelbridge.wallet")
_JSON = b"application/json"
PREFIX = "/wallet/"
_CLIENT_ID = re.compile(r"[^\x00-\x1f\x7f]{1,255}")


class ClientTokens(TtlCache[str, "tuple[str, ...] | None"]):
    """Each client's tokens, cached so that verification costs no query.

    A rotation done through this process's admin API applies at once (``forget``);
    one done by another process applies within ``ttl_seconds``.
    """

    def __init__(self, *, engine: Engine, ttl_seconds: float = 2.0) -> None:  # float ok
        async def load(client_id: str) -> tuple[str, ...] | None:
            return await engine.read(lambda: admin_flows.client_tokens(client_id))

        super().__init__(load, ttl_seconds=ttl_seconds)


class WalletEndpoint:
    """The wallet endpoint, a raw ASGI app for ``POST /wallet/{client_id}``.

    It speaks ASGI directly (no Request/Response objects, no middleware: the profile of
    issue 10 put Starlette's machinery at ≈ 15 % of a wallet call); ``AggregatorApp``
    hands it every ``/wallet/…`` request before Starlette's routing. It does what the
    middleware does for the other routes itself: the request id (``X-Request-Id``, taken
    or made up, answered back, logged), the access line, the metrics of the call.
    """

    def __init__(
        self,
        *,
        engine: Engine,
        tokens: ClientTokens,
        clock: Callable[[], int],
        metrics: AggregatorMetrics,
        access: AccessLog,
        limits: ClientLimits,
    ) -> None:
        self._limits = limits
        self._engine = engine
        self._tokens = tokens
        self._clock = clock
        self._metrics = metrics
        self._access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request under ``/wallet/``."""
        client_id = scope["path"][len(PREFIX) :]
        if not client_id or "/" in client_id:
            await _plain(send, 404, b"Not Found")
            return
        if scope["method"] != "POST":
            await _plain(send, 405, b"Method Not Allowed", [(b"allow", b"POST")])
            return
        started = time.perf_counter()
        declared, signature, request_id, signs = None, None, None, 0
        for name, raw in scope["headers"]:  # lower-case names in ASGI (B1: any case)
            if name == b"content-length":
                declared = raw
            elif name == b"x-sign":
                signs += 1
                signature = raw.decode("latin-1")
            elif name == b"x-request-id":
                request_id = raw
        rid = accepted_request_id(request_id)
        set_request_id(rid)
        try:
            body = await _read_body(receive, declared)
        except WrongInput as error:
            call = encode_error(error), "unknown", str(error.code), 0  # too large: not read on
        else:
            if body is None:
                self._metrics.client_disconnects.inc()
                return  # the client went away: nobody to answer
            if signs > 1:
                signature = None  # two signatures: which one counts? neither (B1)
            peer = scope.get("client")
            call = await self._answer(client_id, body, signature, peer[0] if peer else None)
        payload, action, code, amount = call
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", _JSON),
                    (b"content-length", str(len(payload)).encode()),
                    (b"x-request-id", rid.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
        elapsed = time.perf_counter() - started
        self._metrics.wallet_call(action, code, elapsed, amount)
        if self._access.enabled:
            client = scope.get("client")
            self._access.write(
                f"POST {scope['path']} 200 {action} {code}",
                {"request_id": rid, "method": "POST", "path": scope["path"], "status": 200,
                 "client_id": client_id, "action": action, "code": code,
                 "duration_ms": round(elapsed * 1000, 3), "client": client[0] if client else None},
            )  # fmt: skip

    async def answer(
        self, client_id: str, body: bytes, signature: str | None, address: str | None = None
    ) -> bytes:
        """The protocol body answering one wallet call (always sent with HTTP 200, B4)."""
        return (await self._answer(client_id, body, signature, address))[0]

    async def _answer(
        self, client_id: str, body: bytes, signature: str | None, address: str | None
    ) -> tuple[bytes, str, str, int]:
        """The answer, the call's action, its code (``OK`` or the error's) and amount."""
        wallet_request = None
        try:
            if not _CLIENT_ID.fullmatch(client_id):
                raise InvalidSign  # no client has such an id: there is no token to match
            self._limits.check_address(client_id, address)
            tokens = await self._tokens.get(client_id)
            if tokens is None or not verify(body, signature, tokens):
                raise InvalidSign
            self._limits.take(client_id)  # signed by the client: its budget, nobody else's
            wallet_request = decode_wallet_request(body)
            now = self._clock()
            outcome = await ledger.wallet_call(self._engine, client_id, wallet_request, now=now)
            action = str(wallet_request.action)
            if isinstance(outcome, ErrorReply):  # a refusal kept as the id's answer (B9)
                return encode_reply(outcome), action, str(outcome.code), 0
            return encode_reply(outcome), action, "OK", _amount(wallet_request)
        except ProtocolError as error:
            if isinstance(error, TooManyRequests):
                self._metrics.rate_limited.labels(client_id).inc()
            elif isinstance(error, AddressRefused):
                self._metrics.address_refused.labels(client_id).inc()
            return encode_error(error), _action(wallet_request), str(error.code), 0
        except Exception:
            # Unknown failure: nothing was committed, but a bet's fate must look unknown
            # to the provider so that it refunds (Part A), never "known".
            log.exception("wallet call failed", extra={"client_id": client_id})
            code = (
                ErrorCode.BET_FAILED_UNKNOWN_ERROR
                if isinstance(wallet_request, Bet)
                else ErrorCode.INTERNAL_ERROR
            )
            return encode_error(ProtocolError(code)), _action(wallet_request), str(code), 0


def _action(request: WalletRequest | None) -> str:
    return "unknown" if request is None else str(request.action)


def _amount(request: WalletRequest) -> int:
    return request.amount if isinstance(request, Bet | Win) else 0


async def _read_body(receive: Receive, declared: bytes | None) -> bytes | None:
    """The body, or None when the client disconnected.

    Raises:
        WrongInput: the body is over the size limit (it is not read on).
    """
    too_large = WrongInput(message=f"Body larger than {MAX_BODY_BYTES} bytes")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _plain(
    send: Send, status: int, text: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(text)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": text})


class AggregatorApp(Starlette):
    """The aggregator's Starlette app, with the wallet endpoint served before routing.

    Every ``/wallet/…`` request goes straight to the raw ASGI ``WalletEndpoint``;
    everything else (admin API, health, lifespan) is Starlette's as usual.
    """

    def __init__(self, *, wallet: WalletEndpoint, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wallet = wallet

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one ASGI connection."""
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            await self.wallet(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
