"""Registering remote game engines through the provider's admin API (bearer token).

``POST /admin/engines`` creates or replaces an engine with all its games::

    {"engine_id": "studio-x", "tokens": ["…", "…"],
     "launch_url": "https://studio.example/play?token={token}",
     "games": [{"game_id": "x-dragons", "name": "Dragons", "lines": 10,
                "stake_levels": ["0.01", "0.05", "0.10"], "rtp": "0.955"}],
     "reason": "onboarding"}

Stake levels are bets per line (decimal strings; a round costs bet per line × lines),
strictly increasing; ``rtp`` (optional) is the RTP the engine declares, as a fraction
``"p/q"`` or a decimal. The registration is audited (token fingerprints only) and live
at once (``RemoteGames``). ``GET /admin/engines`` lists the engines and their games.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from starlette.requests import Request
from starlette.routing import Route

from reelbridge.protocol import AmountError, parse_amount_text
from reelbridge.provider.engines import EngineSpec, GameSpec
from reelbridge.provider.remote_games import RemoteGames, parse_rtp
from reelbridge.provider.web.admin_api import Reason, Token, Url
from reelbridge.provider.web.errors import translate
from reelbridge.web import BadRequest, json_body, json_endpoint

EngineId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
GameId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern="^[^\\x00-\\x1f\\x7f]+$")]
Stake = Annotated[str, msgspec.Meta(min_length=1, max_length=30)]


class EngineGameIn(msgspec.Struct, forbid_unknown_fields=True):
    game_id: GameId
    name: Name
    lines: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    stake_levels: Annotated[list[Stake], msgspec.Meta(min_length=1, max_length=50)]
    rtp: Annotated[str, msgspec.Meta(max_length=60)] | None = None


class EngineIn(msgspec.Struct, forbid_unknown_fields=True):
    engine_id: EngineId
    tokens: Annotated[list[Token], msgspec.Meta(min_length=1, max_length=2)]
    launch_url: Url
    games: Annotated[list[EngineGameIn], msgspec.Meta(max_length=200)]
    reason: Reason = ""


def spec_of(data: EngineIn) -> EngineSpec:
    """The registration in units and exact fractions.

    Raises:
        BadRequest: a stake level that is not an amount with at most 4 decimals.
        BadEngine: an RTP that is not a fraction or decimal in (0, 1].
    """
    games = []
    for g in data.games:
        try:
            levels = tuple(parse_amount_text(b) for b in g.stake_levels)
        except AmountError as exc:
            raise BadRequest(f"{g.game_id}: stake level {exc}") from None
        rtp = None if g.rtp is None else str(parse_rtp(g.rtp))
        games.append(GameSpec(g.game_id, g.name, g.lines, levels, rtp))
    return EngineSpec(data.engine_id, tuple(data.tokens), data.launch_url, tuple(games))


class EngineAdmin:
    """``/admin/engines``: register and list remote engines."""

    def __init__(self, *, admin_token: str, games: RemoteGames, clock: Callable[[], int]) -> None:
        self._token = admin_token.encode()
        self._games = games
        self._clock = clock

    def routes(self) -> list[Route]:
        """POST and GET ``/admin/engines``."""

        def admin(handler: Any) -> Any:
            return json_endpoint(handler, bearer=self._token, translate=translate)

        return [
            Route("/admin/engines", admin(self.register), methods=["POST"]),
            Route("/admin/engines", admin(self.listing), methods=["GET"]),
        ]

    async def register(self, request: Request) -> Any:
        """Create or replace an engine and its games."""
        data = await json_body(request, EngineIn)
        spec = spec_of(data)
        actor = request.headers.get("x-actor", "admin")[:64] or "admin"
        return await self._games.register(spec, actor=actor, reason=data.reason, now=self._clock())

    async def listing(self, request: Request) -> Any:
        """Every engine and its games (tokens as fingerprints)."""
        return {"items": await self._games.listing()}
