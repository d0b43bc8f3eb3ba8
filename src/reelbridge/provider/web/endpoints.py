"""The endpoints the aggregator calls (PROTOCOL.md Part A, "Aggregator → provider").

Fixed paths, all POST: ``/api/demo-url``, ``/api/game-url``, ``/api/jackpots``,
``/api/freespins/create``, ``/api/freespins/cancel``, and the catalogue extension
``/api/games`` (signed like the others). The caller is named by the body's
``client_id``, so the body is probed for that one field, the signature is verified with
that client's tokens over the raw bytes (B1, B2), and only then is it decoded. Every
answer is HTTP 200 with the protocol body (B4), errors included.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import msgspec
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from reelbridge.observability import ProviderMetrics
from reelbridge.protocol import (
    SIGN_HEADER,
    CancelFreespins,
    CreateFreespins,
    DemoUrlRequest,
    ErrorCode,
    FreespinsCreated,
    GamesReply,
    GamesRequest,
    GameUrlRequest,
    Id,
    InvalidSign,
    Jackpot,
    JackpotsReply,
    JackpotsRequest,
    OkReply,
    ProtocolError,
    ProviderRequest,
    Reply,
    UrlReply,
    decode_provider_request,
    encode_error,
    encode_reply,
    verify,
)
from reelbridge.provider.clients import ClientDirectory, ClientRecord
from reelbridge.provider.errors import ProviderError
from reelbridge.provider.launch import LaunchService
from reelbridge.web import read_body
from reelbridge.web.limits import AddressRefused, ClientLimits, TooManyRequests

log = logging.getLogger("reelbridge.provider.api")
_R = TypeVar("_R", bound=ProviderRequest)


class _ClientProbe(msgspec.Struct):
    client_id: Id


class ProviderEndpoints:
    """The aggregator-facing API: verify, decode, ask ``LaunchService``, encode."""

    def __init__(
        self,
        *,
        clients: ClientDirectory,
        launches: LaunchService,
        metrics: ProviderMetrics,
        limits: ClientLimits,
    ) -> None:
        self._limits = limits
        self._clients = clients
        self._launches = launches
        self._metrics = metrics

    def routes(self) -> list[Route]:
        """The five POST routes."""
        table: list[tuple[str, Callable[[Request], Awaitable[Response]]]] = [
            ("/api/demo-url", self._endpoint(DemoUrlRequest, self.demo_url)),
            ("/api/game-url", self._endpoint(GameUrlRequest, self.game_url)),
            ("/api/jackpots", self._endpoint(JackpotsRequest, self.jackpots)),
            ("/api/freespins/create", self._endpoint(CreateFreespins, self.create_freespins)),
            ("/api/freespins/cancel", self._endpoint(CancelFreespins, self.cancel_freespins)),
            ("/api/games", self._endpoint(GamesRequest, self.games)),
        ]
        return [Route(path, handler, methods=["POST"]) for path, handler in table]

    def _endpoint(
        self, kind: type[_R], handler: Callable[[_R, ClientRecord], Awaitable[Reply]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            code = "OK"
            try:
                body = await read_body(request)
                signs = request.headers.getlist(SIGN_HEADER)
                address = request.client.host if request.client else None
                sign = signs[0] if len(signs) == 1 else None
                client = await self._authenticate(body, sign, address)
                payload = encode_reply(await handler(decode_provider_request(body, kind), client))
            except TooManyRequests as error:
                payload, code = encode_error(error), str(error.code)
                self._metrics.rate_limited.labels(error.client_id).inc()
            except AddressRefused as error:
                payload, code = encode_error(error), str(error.code)
                self._metrics.address_refused.labels(error.client_id).inc()
            except ProtocolError as error:
                payload, code = encode_error(error), str(error.code)
            except ProviderError as error:  # the one place provider errors become wire codes
                payload = encode_error(ProtocolError(error.wire, error.message))
                code = str(error.wire)
            except ClientDisconnect:
                raise  # nobody to answer: counted, not an error (RequestContext)
            except Exception:
                log.exception("provider endpoint %s failed", request.url.path)
                code = str(ErrorCode.INTERNAL_ERROR)
                payload = encode_error(ProtocolError(ErrorCode.INTERNAL_ERROR))
            self._metrics.requests.labels(request.url.path, code).inc()
            return Response(payload, media_type="application/json")

        return endpoint

    async def _authenticate(
        self, body: bytes, header: str | None, address: str | None
    ) -> ClientRecord:
        try:
            client_id = msgspec.json.decode(body, type=_ClientProbe).client_id
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            # Without a client there is no token to check against: unsigned as far as
            # we can tell. A signed body that is merely malformed gets WRONG_INPUT later.
            raise InvalidSign from None
        self._limits.check_address(client_id, address)
        client = await self._clients.get(client_id)
        if client is None or not verify(body, header, client.tokens):
            raise InvalidSign
        self._limits.take(client_id)  # signed by the client: its budget, nobody else's
        return client

    # -- the five calls ------------------------------------------------------------

    async def demo_url(self, request: DemoUrlRequest, client: ClientRecord) -> Reply:
        """A demo session with a virtual balance; it never calls the wallet."""
        return UrlReply(url=await self._launches.demo_url(request, client))

    async def game_url(self, request: GameUrlRequest, client: ClientRecord) -> Reply:
        """A real-money session bound to the aggregator's session (never shown in clear)."""
        return UrlReply(url=await self._launches.game_url(request, client))

    async def jackpots(self, request: JackpotsRequest, client: ClientRecord) -> Reply:
        """The live amount of every pool (per level and currency)."""
        pools = await self._launches.pools()
        return JackpotsReply(
            jackpots=tuple(
                Jackpot(name=p.level, amount=p.amount, currency=p.currency) for p in pools
            )
        )

    async def games(self, request: GamesRequest, client: ClientRecord) -> Reply:
        """The catalogue (a reelbridge extension): what a lobby may list and launch."""
        return GamesReply(games=await self._launches.catalogue())

    async def create_freespins(self, request: CreateFreespins, client: ClientRecord) -> Reply:
        """Create a campaign; the same ``campaign_id`` returns the same new id (B17)."""
        return FreespinsCreated(new_campaign_id=await self._launches.create_freespins(request))

    async def cancel_freespins(self, request: CancelFreespins, client: ClientRecord) -> Reply:
        """Void a campaign's unplayed spins (twice is success, unknown is an error)."""
        await self._launches.cancel_freespins(client.client_id, request.campaign_id)
        return OkReply()
