"""The round API for remote game engines: a studio's own engine (C#, Node, Go, …) plays
its rounds through reelbridge, which keeps the wallet protocol for it.

Signing. Every request names its engine in the ``X-Engine-Id`` header and carries
``X-Sign``: the lowercase hex HMAC-SHA256 of the raw request body keyed with one of the
engine's tokens (two may be valid during a rotation), exactly as the wallet protocol
signs (PROTOCOL.md B1). A ``GET`` has no body: its signed bytes are its path (e.g.
``/engine/v1/sessions/AbC…``, no host, no query). Settle and cancel bodies repeat the
``engine_round_id`` of their path, so no signed body can be replayed onto another
round. The signature is checked over the exact bytes before the body is parsed.

Routes (JSON in and out; money as decimal strings with at most 4 decimals):

``POST /engine/v1/rounds`` ``{"engine_round_id", "launch_token", "bet_id"}``
    → ``{"round_id", "engine_round_id", "status", "kind", "stake", "balance", "error",
    "campaign_id"}``; ``status`` is ``accepted`` (the bet is held: produce the outcome
    now), ``rejected`` (a known wallet error: show ``error.message``), ``refunded`` or
    ``refunding`` (the bet's fate was unknown: it is being undone; show "Unknown
    error"). Repeating the request answers the stored state (later ``settling`` or
    ``settled``); the same id with another launch token or ``bet_id`` is a 409.
``POST /engine/v1/rounds/{engine_round_id}/settle``
    ``{"engine_round_id", "outcome": {…}, "win": "1.50"}`` → ``{"round_id",
    "engine_round_id", "status": "settled"|"settling", "win", "balance", "jackpot"}``.
    Repeating it answers the same; another outcome or win is a 409, as is settling a
    round that is rejected or refunded; an unknown round is a 404.
``POST /engine/v1/rounds/{engine_round_id}/cancel`` ``{"engine_round_id", "reason"}``
    → ``{"round_id", "engine_round_id", "status", "balance", "error"}``: an accepted
    round without outcome is voided and its bet refunded; twice is the same; a settled
    round is a 409.
``GET /engine/v1/sessions/{launch_token}``
    → player, currency, language, return URL, demo flag, balance, the game's stakes,
    the playable freespin campaign and the jackpots.

Errors are ``{"error": {"code", "message"}}`` with a 4xx status: 400 bad input, 401
unknown engine or wrong signature, 404 unknown session or round, 409 conflict (code
``spin_in_progress`` when the session's or the round's bet is still in flight: repeat
shortly). A 503 means the database is unavailable: repeat later.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.routing import Route

from reelbridge.protocol import SIGN_HEADER, AmountError, ProtocolError, parse_amount_text, verify
from reelbridge.provider.errors import EngineUnauthorized
from reelbridge.provider.remote_games import RemoteGames
from reelbridge.provider.remote_service import RemoteRounds
from reelbridge.provider.web.errors import translate
from reelbridge.web import BadRequest, json_endpoint, read_body

ENGINE_HEADER = "X-Engine-Id"
MAX_OUTCOME_DEPTH = 32
EngineRoundId = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[!-~]+$")]
LaunchToken = Annotated[str, msgspec.Meta(min_length=1, max_length=256, pattern=r"^[!-~]+$")]
_T = TypeVar("_T")


class OpenIn(msgspec.Struct, forbid_unknown_fields=True):
    engine_round_id: EngineRoundId
    launch_token: LaunchToken
    bet_id: Annotated[int, msgspec.Meta(ge=0, le=1000)]


class SettleIn(msgspec.Struct, forbid_unknown_fields=True):
    engine_round_id: EngineRoundId
    outcome: dict[str, Any]
    win: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    engine_round_id: EngineRoundId
    reason: Annotated[str, msgspec.Meta(max_length=200, pattern="^[^\\x00]*$")] = ""


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def parse_win(text: str) -> int:
    """The win of a settle request, in units.

    Raises:
        BadRequest: not a decimal string with at most 4 decimals, or negative.
    """
    try:
        win = parse_amount_text(text)
    except AmountError as exc:
        raise BadRequest(f"win: {exc}") from None
    if win < 0:
        raise BadRequest("win must not be negative (a losing round wins 0)")
    return win


class EngineApi:
    """Routes of the engine API: verify the engine, decode, ask ``RemoteRounds``."""

    def __init__(self, *, rounds: RemoteRounds, games: RemoteGames) -> None:
        self._rounds = rounds
        self._games = games

    def routes(self) -> list[Route]:
        """The four routes under ``/engine/v1``."""

        def api(handler: Any) -> Any:
            return json_endpoint(handler, translate=translate)

        base = "/engine/v1"
        return [
            Route(f"{base}/rounds", api(self.open), methods=["POST"]),
            Route(f"{base}/rounds/{{engine_round_id}}/settle", api(self.settle), methods=["POST"]),
            Route(f"{base}/rounds/{{engine_round_id}}/cancel", api(self.cancel), methods=["POST"]),
            Route(f"{base}/sessions/{{launch_token}}", api(self.session), methods=["GET"]),
        ]

    async def _engine(self, request: Request, signed: bytes) -> str:
        """The calling engine, once its signature over ``signed`` checks out."""
        await self._games.sync()
        engine_id = request.headers.get(ENGINE_HEADER, "")
        record = self._games.engine(engine_id)
        if record is None:
            raise EngineUnauthorized(
                f"no engine {engine_id[:64]!r} is registered ({ENGINE_HEADER})"
            )
        if not verify(signed, request.headers.get(SIGN_HEADER), record.tokens):
            raise EngineUnauthorized(f"{SIGN_HEADER} does not verify with the engine's tokens")
        return engine_id

    async def _signed(self, request: Request, kind: type[_T]) -> tuple[str, _T]:
        try:
            body = await read_body(request)
        except ProtocolError as error:
            raise BadRequest(error.message) from None
        engine_id = await self._engine(request, body)
        try:
            data = msgspec.json.decode(body, type=kind)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise BadRequest(f"invalid request body: {exc}"[:300]) from None
        return engine_id, data

    def _path_round(self, request: Request, named: str) -> str:
        in_path = str(request.path_params["engine_round_id"])
        if in_path != named:
            raise BadRequest("the body's engine_round_id must be the one in the path")
        return in_path

    async def open(self, request: Request) -> Any:
        """Open a round: send its bet (or take the demo stake)."""
        engine_id, data = await self._signed(request, OpenIn)
        return await self._rounds.open(
            engine_id, data.engine_round_id, data.launch_token, data.bet_id
        )

    async def settle(self, request: Request) -> Any:
        """Store an accepted round's outcome and send its win(s)."""
        engine_id, data = await self._signed(request, SettleIn)
        round_id = self._path_round(request, data.engine_round_id)
        win = parse_win(data.win)
        if _depth(data.outcome) > MAX_OUTCOME_DEPTH:
            raise BadRequest(f"outcome nests deeper than {MAX_OUTCOME_DEPTH} levels")
        return await self._rounds.settle(engine_id, round_id, data.outcome, win)

    async def cancel(self, request: Request) -> Any:
        """Void an accepted round: its bet is refunded."""
        engine_id, data = await self._signed(request, CancelIn)
        round_id = self._path_round(request, data.engine_round_id)
        return await self._rounds.cancel(engine_id, round_id, data.reason)

    async def session(self, request: Request) -> Any:
        """A launched session, as the engine draws it (the signed bytes: the path)."""
        path = request.scope.get("raw_path") or request.url.path.encode()
        engine_id = await self._engine(request, bytes(path).split(b"?", 1)[0])
        return await self._rounds.session(engine_id, str(request.path_params["launch_token"]))
