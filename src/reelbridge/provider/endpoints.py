"""The endpoints the aggregator calls (PROTOCOL.md Part A, "Aggregator → provider").

Fixed paths, all POST: ``/api/demo-url``, ``/api/game-url``, ``/api/jackpots``,
``/api/freespins/create``, ``/api/freespins/cancel``. The caller is named by the body's
``client_id``, so the body is probed for that one field, the signature is verified with
that client's tokens over the raw bytes (B1, B2), and only then is it decoded. Every
answer is HTTP 200 with the protocol body (B4), errors included.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelbridge.config import ProviderSettings
from reelbridge.games import Game
from reelbridge.protocol import (
    SIGN_HEADER,
    CancelFreespins,
    CreateFreespins,
    DemoUrlRequest,
    ErrorCode,
    FreespinsCreated,
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
    WrongInput,
    decode_provider_request,
    encode_error,
    encode_reply,
    verify,
)
from reelbridge.provider import launch
from reelbridge.provider.directory import ClientDirectory
from reelbridge.provider.launch import ClientRecord, NewSession
from reelbridge.provider.spins import Catalog
from reelbridge.storage import Engine, Flow, Sql, every
from reelbridge.web import read_body

log = logging.getLogger("reelbridge.provider.api")
_R = TypeVar("_R", bound=ProviderRequest)
_LANGUAGE = re.compile(r"[a-z]{2}")
DEMO_CURRENCY = "FUN"

_POOLS = Sql.of("SELECT level, currency, amount FROM jackpot_pools ORDER BY currency, seed")


class _ClientProbe(msgspec.Struct):
    client_id: Id


class ProviderEndpoints:
    """The aggregator-facing API."""

    def __init__(
        self,
        *,
        engine: Engine,
        clients: ClientDirectory,
        catalog: Catalog,
        settings: ProviderSettings,
        clock: Callable[[], int],
    ) -> None:
        self._engine = engine
        self._clients = clients
        self._catalog = catalog
        self._settings = settings
        self._clock = clock

    def routes(self) -> list[Route]:
        """The five POST routes."""
        table: list[tuple[str, Callable[[Request], Awaitable[Response]]]] = [
            ("/api/demo-url", self._endpoint(DemoUrlRequest, self.demo_url)),
            ("/api/game-url", self._endpoint(GameUrlRequest, self.game_url)),
            ("/api/jackpots", self._endpoint(JackpotsRequest, self.jackpots)),
            ("/api/freespins/create", self._endpoint(CreateFreespins, self.create_freespins)),
            ("/api/freespins/cancel", self._endpoint(CancelFreespins, self.cancel_freespins)),
        ]
        return [Route(path, handler, methods=["POST"]) for path, handler in table]

    def _endpoint(
        self, kind: type[_R], handler: Callable[[_R, ClientRecord], Awaitable[Reply]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                body = await read_body(request)
                client = await self._authenticate(body, request.headers.get(SIGN_HEADER))
                payload = encode_reply(await handler(decode_provider_request(body, kind), client))
            except ProtocolError as error:
                payload = encode_error(error)
            except Exception:
                log.exception("provider endpoint %s failed", request.url.path)
                payload = encode_error(ProtocolError(ErrorCode.INTERNAL_ERROR))
            return Response(payload, media_type="application/json")

        return endpoint

    async def _authenticate(self, body: bytes, header: str | None) -> ClientRecord:
        try:
            client_id = msgspec.json.decode(body, type=_ClientProbe).client_id
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            # Without a client there is no token to check against: unsigned as far as
            # we can tell. A signed body that is merely malformed gets WRONG_INPUT later.
            raise InvalidSign from None
        client = await self._clients.get(client_id)
        if client is None or not verify(body, header, client.tokens):
            raise InvalidSign
        return client

    # -- the five calls ------------------------------------------------------------

    def _game(self, game_id: str) -> Game:
        game = self._catalog.game(game_id)
        if game is None:
            raise WrongInput(message=f"Unknown game_id {game_id[:60]!r}")
        return game

    def _language(self, language: str) -> str:
        code = language.lower()[:2]
        return code if _LANGUAGE.fullmatch(code) and code in self._catalog.languages else "en"

    def _launch_url(self, token: str) -> str:
        return f"{self._settings.public_url.rstrip('/')}/game/{token}"

    async def _launch(self, session: NewSession) -> UrlReply:
        now = self._clock()
        await self._engine.run(lambda: launch.create_session(session, now=now))
        return UrlReply(url=self._launch_url(session.launch_token))

    async def demo_url(self, request: DemoUrlRequest, client: ClientRecord) -> Reply:
        """A demo session with a virtual balance; it never calls the wallet."""
        self._game(request.game_id)
        return await self._launch(
            NewSession(
                launch_token=secrets.token_urlsafe(32),
                client_id=client.client_id,
                session_id="",
                player_id="",
                currency=DEMO_CURRENCY,
                game_id=request.game_id,
                language=self._language(request.language),
                return_url=request.return_url,
                demo=True,
                balance=self._settings.demo_balance,
                expires_at=self._clock() + self._settings.session_ttl_seconds * 1_000_000,
            )
        )

    async def game_url(self, request: GameUrlRequest, client: ClientRecord) -> Reply:
        """A real-money session bound to the aggregator's session (never shown in clear)."""
        self._game(request.game_id)
        if request.currency not in self._catalog.currencies:
            raise WrongInput(message=f"Currency {request.currency[:10]!r} is not offered")
        return await self._launch(
            NewSession(
                launch_token=secrets.token_urlsafe(32),
                client_id=client.client_id,
                session_id=request.session_id,
                player_id=request.player_id,
                currency=request.currency,
                game_id=request.game_id,
                language=self._language(request.language),
                return_url=request.return_url,
                demo=False,
                balance=None,
                expires_at=self._clock() + self._settings.session_ttl_seconds * 1_000_000,
            )
        )

    async def jackpots(self, request: JackpotsRequest, client: ClientRecord) -> Reply:
        """The live amount of every pool (per level and currency)."""
        rows = await self._engine.run(_pools)
        return JackpotsReply(
            jackpots=tuple(Jackpot(name=r[0], amount=int(r[2]), currency=r[1]) for r in rows)
        )

    async def create_freespins(self, request: CreateFreespins, client: ClientRecord) -> Reply:
        """Create a campaign; the same ``campaign_id`` returns the same new id (B17)."""
        game = self._game(request.game_id)
        if request.currency not in self._catalog.currencies:
            raise WrongInput(message=f"Currency {request.currency[:10]!r} is not offered")
        if not 0 <= request.bet_id < len(game.stake_levels):
            raise WrongInput(message=f"No stake level with bet_id {request.bet_id}")
        if request.valid_until <= request.valid_from:
            raise WrongInput(message="valid_until must be after valid_from")
        if request.valid_until * 1_000_000 <= self._clock():
            raise WrongInput(message="The campaign has already ended")
        new_id = "fs-" + secrets.token_hex(12)
        now = self._clock()
        stored = await self._engine.run(
            lambda: launch.create_campaign(
                request,
                new_campaign_id=new_id,
                bet_per_line=game.stake_levels[request.bet_id],
                now=now,
            )
        )
        return FreespinsCreated(new_campaign_id=stored)

    async def cancel_freespins(self, request: CancelFreespins, client: ClientRecord) -> Reply:
        """Void a campaign's unplayed spins (twice is success, unknown is an error)."""
        now = self._clock()
        await self._engine.run(
            lambda: launch.cancel_campaign(client.client_id, request.campaign_id, now=now)
        )
        return OkReply()


def _pools() -> Flow[list[tuple[Any, ...]]]:
    rows: list[tuple[Any, ...]] = yield every(_POOLS)
    return rows
