"""The wallet endpoint: ``POST /wallet/{client_id}`` (PROTOCOL.md Part A and B 1–13).

Order of work for each request: size limit, signature over the raw bytes with that
client's tokens (B1, B2), decode (B3), then one unit of work (``ledger.handle``).
Every answer is HTTP 200 with a JSON body (B4); this module is the single place where
exceptions become wire errors.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from reelbridge import ledger
from reelbridge._cache import TtlCache
from reelbridge.aggregator import admin_flows
from reelbridge.protocol import (
    SIGN_HEADER,
    Bet,
    ErrorCode,
    InvalidSign,
    ProtocolError,
    decode_wallet_request,
    encode_error,
    encode_reply,
    verify,
)
from reelbridge.storage import Engine
from reelbridge.web import read_body

log = logging.getLogger("reelbridge.wallet")
_JSON = "application/json"
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
    """The ASGI endpoint of the wallet."""

    def __init__(self, *, engine: Engine, tokens: ClientTokens, clock: Callable[[], int]) -> None:
        self._engine = engine
        self._tokens = tokens
        self._clock = clock

    async def handle(self, request: Request) -> Response:
        """Handle one wallet call; always HTTP 200 with the protocol body (B4)."""
        client_id = request.path_params["client_id"]
        wallet_request = None
        try:
            body = await read_body(request)
            if not _CLIENT_ID.fullmatch(client_id):
                raise InvalidSign  # no client has such an id: there is no token to match
            tokens = await self._tokens.get(client_id)
            if tokens is None or not verify(body, request.headers.get(SIGN_HEADER), tokens):
                raise InvalidSign
            wallet_request = decode_wallet_request(body)
            now = self._clock()
            req = wallet_request
            outcome = await self._engine.run(lambda: ledger.handle(client_id, req, now=now))
            payload = encode_reply(outcome)
        except ProtocolError as error:
            payload = encode_error(error)
        except Exception:
            # Unknown failure: nothing was committed, but a bet's fate must look unknown
            # to the provider so that it refunds (Part A), never "known".
            log.exception("wallet call failed", extra={"client_id": client_id})
            code = (
                ErrorCode.BET_FAILED_UNKNOWN_ERROR
                if isinstance(wallet_request, Bet)
                else ErrorCode.INTERNAL_ERROR
            )
            payload = encode_error(ProtocolError(code))
        return Response(payload, media_type=_JSON)
