"""The game API the browser client and the headless player use (same endpoints).

``GET  /game/{token}``                      the game page
``GET  /game/static/{name}``                its scripts and styles (ES modules, no build)
``GET  /game/api/{token}/state``            game, stakes, balance, campaign, jackpots
``POST /game/api/{token}/spin``             ``{"bet_id": n}`` → the round's answer
``GET  /game/api/{token}/history``          the player's last rounds
``GET  /game/api/{token}/rounds/{round_id}`` recall one round, replayed from storage

Errors are ``{"error": {"code", "message"}}`` with a 4xx status. The client decides
nothing: outcomes and balances come from here, and a balance that is not confirmed by
the wallet is sent as ``null``, never guessed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from importlib import resources
from typing import Annotated, Any

import msgspec
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from reelbridge.protocol import format_amount
from reelbridge.provider import campaigns, jackpots, rounds
from reelbridge.provider.catalog import Catalog, jackpot_rules, rtp_figures
from reelbridge.provider.errors import UnknownRound
from reelbridge.provider.recall import recall, round_json
from reelbridge.provider.sessions import GameSession
from reelbridge.provider.spins import SpinService
from reelbridge.provider.web.errors import translate
from reelbridge.provider.web.thumbnails import thumbnail_endpoint
from reelbridge.storage import Engine
from reelbridge.web import int_param, json_body, json_endpoint

_STATIC_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\.(js|css|svg)")
_STATIC_TYPES = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
}
# The page loads nothing but its own files and talks to nothing but its own API; any
# casino may frame it (frame-ancestors is left open on purpose).
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SpinIn(msgspec.Struct, forbid_unknown_fields=True):
    bet_id: Annotated[int, msgspec.Meta(ge=0, le=1000)]


class GameApi:
    """Routes for the game client."""

    def __init__(
        self,
        *,
        engine: Engine,
        spins: SpinService,
        catalog: Catalog,
        clock: Callable[[], int],
    ) -> None:
        self._engine = engine
        self._spins = spins
        self._catalog = catalog
        self._clock = clock

    def routes(self) -> list[Route]:
        """The game page and its JSON API."""

        def api(handler: Callable[[Request], Any]) -> Any:
            return json_endpoint(handler, translate=translate)

        return [
            Route("/game/static/{name}", self.static, methods=["GET"]),
            Route(
                "/game/thumbnail/{game_id}.svg",
                thumbnail_endpoint(self._catalog),
                methods=["GET"],
            ),
            Route("/game/{token}", self.page, methods=["GET"]),
            Route("/game/api/{token}/state", api(self.state), methods=["GET"]),
            Route("/game/api/{token}/spin", api(self.spin), methods=["POST"]),
            Route("/game/api/{token}/history", api(self.history), methods=["GET"]),
            Route("/game/api/{token}/rounds/{round_id}", api(self.round), methods=["GET"]),
        ]

    async def page(self, request: Request) -> HTMLResponse:
        """The game client (static; it reads everything from the API)."""
        html = resources.files("reelbridge.provider").joinpath("static/game.html").read_text()
        return HTMLResponse(html, headers=_PAGE_HEADERS)

    async def static(self, request: Request) -> Response:
        """A script or style of the client, revalidated by its content hash (ETag)."""
        name = request.path_params["name"]
        match = _STATIC_NAME.fullmatch(name)
        if match is None:  # no path separators, no dot files: only the client's own files
            return Response("not found", status_code=404, media_type="text/plain")
        file = resources.files("reelbridge.provider").joinpath("static").joinpath(name)
        if not file.is_file():
            return Response("not found", status_code=404, media_type="text/plain")
        body = file.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"Cache-Control": "no-cache", "ETag": etag, "X-Content-Type-Options": "nosniff"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=_STATIC_TYPES[match.group(1)], headers=headers)

    async def state(self, request: Request) -> Any:
        """Everything the client needs to draw the game."""
        session, game = await self._spins.live_session(request.path_params["token"])
        now = self._clock()
        campaign = None
        if not session.demo:
            campaign = await self._engine.run(
                lambda: campaigns.playable(
                    session.client_id, session.player_id, session.game_id, session.currency, now=now
                )
            )
        pools = (
            [] if session.demo else await self._engine.run(lambda: jackpots.pools(session.currency))
        )
        balance = await self._spins.balance(session)
        plan = None if session.demo else self._catalog.jackpots
        first = game.stake_levels[0]
        return {
            "game": {
                "id": game.game_id,
                "name": game.name,
                **game.client(),
                "rtp": rtp_figures(game, plan, first)["total"]
                or rtp_figures(game, None, first)["base"],
                "rtp_split": rtp_figures(game, plan, first),
                "stakes": [
                    {
                        "bet_id": i,
                        "bet_per_line": format_amount(b),
                        "stake": format_amount(game.total_stake(b)),
                        "rtp": rtp_figures(game, plan, b),
                        "jackpots": jackpot_rules(plan, game.total_stake(b)),
                    }
                    for i, b in enumerate(game.stake_levels)
                ],
            },
            "session": _session_json(session),
            "balance": None if balance is None else format_amount(balance),
            "campaign": None
            if campaign is None
            else {
                "id": campaign.new_campaign_id,
                "remaining": campaign.remaining,
                "bet_per_line": format_amount(campaign.bet_per_line),
                "stake": format_amount(game.total_stake(campaign.bet_per_line)),
                "valid_until": campaign.valid_until // 1_000_000,
            },
            "jackpots": [
                {"name": p.level, "amount": format_amount(p.amount), "currency": p.currency}
                for p in pools
            ],
        }

    async def spin(self, request: Request) -> Any:
        """Play one round at the stake ``bet_id`` selects."""
        data = await json_body(request, SpinIn)
        return await self._spins.spin(request.path_params["token"], data.bet_id)

    async def history(self, request: Request) -> Any:
        """The player's last rounds (newest first)."""
        session, _ = await self._spins.live_session(request.path_params["token"])
        limit = int_param(request.query_params.get("limit", "20"), "limit", 1, 200)
        found = await self._engine.run(lambda: rounds.history(session, limit))
        return {"rounds": [round_json(r) for r in found]}

    async def round(self, request: Request) -> Any:
        """Recall one of the player's rounds, replayed from its stored draw."""
        session, _ = await self._spins.live_session(request.path_params["token"])
        round_id = request.path_params["round_id"]
        found = await self._engine.run(lambda: rounds.find(round_id))
        mine = found is not None and (
            found.launch_token == session.launch_token
            or (
                not session.demo
                and (found.client_id, found.player_id) == (session.client_id, session.player_id)
            )
        )
        if found is None or not mine:
            raise UnknownRound("no such round for this player")
        return recall(self._catalog.games.get(found.game_id), self._catalog.jackpots, found)


def _session_json(session: GameSession) -> dict[str, Any]:
    return {
        "demo": session.demo,
        "currency": session.currency,
        "language": session.language,
        "return_url": session.return_url,
    }
