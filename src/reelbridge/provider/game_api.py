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
import json
import re
from collections.abc import Callable
from decimal import Decimal
from importlib import resources
from typing import Annotated, Any

import msgspec
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from reelbridge.games import Game, GamesError, Symbol
from reelbridge.protocol import GetBalance, encode_wallet_request, format_amount
from reelbridge.provider import rounds
from reelbridge.provider.directory import ClientDirectory
from reelbridge.provider.errors import SessionGone
from reelbridge.provider.rounds import GameSession
from reelbridge.provider.spins import Catalog, SpinService
from reelbridge.provider.wallet_client import Accepted, WalletClient
from reelbridge.storage import Engine, Flow, Sql, every, one
from reelbridge.web import NotFound, int_param, json_body, json_endpoint

_CAMPAIGN = Sql.of(
    """SELECT new_campaign_id, remaining, bet_per_line, valid_until FROM campaigns
        WHERE client_id = ? AND player_id = ? AND game_id = ? AND currency = ?
          AND status = 'active' AND remaining > 0 AND valid_from <= ? AND valid_until > ?
        ORDER BY valid_until, new_campaign_id LIMIT 1"""
)
_POOLS = Sql.of("SELECT level, amount FROM jackpot_pools WHERE currency = ? ORDER BY seed")
_ROUND_COLUMNS = (
    "round_id",
    "game_id",
    "kind",
    "bet_per_line",
    "stake",
    "status",
    "error_code",
    "error_message",
    "draw",
    "outcome",
    "win",
    "jackpot_level",
    "jackpot_win",
    "balance_after",
    "created_at",
    "launch_token",
    "client_id",
    "player_id",
)
_ROUND_SELECT = f"SELECT {', '.join(_ROUND_COLUMNS)} FROM rounds"
_HISTORY_PLAYER = Sql.of(
    _ROUND_SELECT + " WHERE client_id = ? AND player_id = ? ORDER BY created_at DESC LIMIT ?"
)
_HISTORY_DEMO = Sql.of(_ROUND_SELECT + " WHERE launch_token = ? ORDER BY created_at DESC LIMIT ?")
_ROUND = Sql.of(_ROUND_SELECT + " WHERE round_id = ?")
_MONEY = ("bet_per_line", "stake", "win", "jackpot_win", "balance_after")
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


def rtp_percent(game: Game) -> str:
    """The exact RTP as a percentage with two decimals (no float on the way)."""
    rtp = game.rtp
    return f"{(Decimal(rtp.numerator) * 100 / Decimal(rtp.denominator)).quantize(Decimal('0.01'))}"


def paytable(game: Game) -> dict[str, Any]:
    """The game's symbols, pays and feature, for the client's paytable screen.

    ``symbols[i].pays`` is ``[[count, multiplier], ...]``: multiples of the bet per line
    for ``line`` and ``wild`` symbols, of the total stake for the ``scatter``.
    ``free_games`` is ``{"awards": [[scatters, games], ...], "multiplier": m}`` or None.
    """
    definition = game.definition
    feature = definition.free_games
    return {
        "symbols": [_symbol_json(s) for s in definition.symbols],
        "free_games": None
        if feature is None
        else {
            "awards": [list(award) for award in feature.awards],
            "multiplier": feature.multiplier,
        },
    }


def _symbol_json(symbol: Symbol) -> dict[str, Any]:
    return {
        "name": symbol.name,
        "kind": symbol.kind.value,
        "pays": [list(pay) for pay in symbol.pays],
    }


def round_json(row: tuple[Any, ...]) -> dict[str, Any]:
    """A stored round as JSON (money as exact decimal strings, secrets left out)."""
    item = dict(zip(_ROUND_COLUMNS, row, strict=True))
    for key in _MONEY:
        if item[key] is not None:
            item[key] = format_amount(item[key])
    for key in ("draw", "outcome"):
        if item[key] is not None:
            item[key] = json.loads(item[key])
    for key in ("launch_token", "client_id"):
        del item[key]
    return item


def recall(game: Game | None, row: tuple[Any, ...]) -> dict[str, Any]:
    """A round with its replay from the stored draw, checked against the stored outcome."""
    item = round_json(row)
    verified = None
    if game is not None and item["draw"] is not None and item["outcome"] is not None:
        reels = item["draw"]["reels"] if isinstance(item["draw"], dict) else item["draw"]
        try:
            replayed = game.replay(row[_ROUND_COLUMNS.index("bet_per_line")], reels).to_json()
        except GamesError:
            replayed = None
        verified = replayed == item["outcome"]
    return {**item, "replay_verified": verified}


class GameApi:
    """Routes for the game client."""

    def __init__(
        self,
        *,
        engine: Engine,
        spins: SpinService,
        catalog: Catalog,
        clients: ClientDirectory,
        wallet: WalletClient,
        clock: Callable[[], int],
    ) -> None:
        self._engine = engine
        self._spins = spins
        self._catalog = catalog
        self._clients = clients
        self._wallet = wallet
        self._clock = clock

    def routes(self) -> list[Route]:
        """The game page and its JSON API."""
        return [
            Route("/game/static/{name}", self.static, methods=["GET"]),
            Route("/game/{token}", self.page, methods=["GET"]),
            Route("/game/api/{token}/state", json_endpoint(self.state), methods=["GET"]),
            Route("/game/api/{token}/spin", json_endpoint(self.spin), methods=["POST"]),
            Route("/game/api/{token}/history", json_endpoint(self.history), methods=["GET"]),
            Route(
                "/game/api/{token}/rounds/{round_id}",
                json_endpoint(self.round),
                methods=["GET"],
            ),
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

    async def _session(self, request: Request) -> GameSession:
        token = request.path_params["token"]
        session = await self._engine.run(lambda: rounds.session(token))
        if session is None or self._clock() >= session.expires_at:
            raise SessionGone("this game session is unknown or expired: launch the game again")
        return session

    async def _balance(self, session: GameSession) -> int | None:
        if session.demo:
            return session.balance
        client = await self._clients.get(session.client_id)
        if client is None:
            return None
        body = encode_wallet_request(GetBalance(session_id=session.session_id))
        outcome = await self._wallet.call(client.wallet_url, client.tokens[0], body, bet=False)
        return outcome.balance if isinstance(outcome, Accepted) else None

    async def state(self, request: Request) -> Any:
        """Everything the client needs to draw the game."""
        session = await self._session(request)
        game = self._catalog.game(session.game_id)
        if game is None:
            raise SessionGone(f"game {session.game_id} is no longer offered")
        now = self._clock()
        campaign, pools = await self._engine.run(lambda: _extras(session, now))
        balance = await self._balance(session)
        lines = len(game.lines)
        return {
            "game": {
                "id": game.game_id,
                "name": game.name,
                "rows": game.rows,
                "reels": len(game.reels),
                "lines": [list(line) for line in game.lines],
                "rtp": rtp_percent(game),
                **paytable(game),
                "stakes": [
                    {
                        "bet_id": i,
                        "bet_per_line": format_amount(b),
                        "stake": format_amount(b * lines),
                    }
                    for i, b in enumerate(game.stake_levels)
                ],
            },
            "session": {
                "demo": session.demo,
                "currency": session.currency,
                "language": session.language,
                "return_url": session.return_url,
            },
            "balance": None if balance is None else format_amount(balance),
            "campaign": None
            if campaign is None
            else {
                "id": campaign[0],
                "remaining": int(campaign[1]),
                "bet_per_line": format_amount(int(campaign[2])),
                "stake": format_amount(int(campaign[2]) * lines),
                "valid_until": int(campaign[3]) // 1_000_000,
            },
            "jackpots": [
                {"name": p[0], "amount": format_amount(int(p[1])), "currency": session.currency}
                for p in pools
            ],
        }

    async def spin(self, request: Request) -> Any:
        """Play one round at the stake ``bet_id`` selects."""
        data = await json_body(request, SpinIn)
        return await self._spins.spin(request.path_params["token"], data.bet_id)

    async def history(self, request: Request) -> Any:
        """The player's last rounds (newest first)."""
        session = await self._session(request)
        limit = int_param(request.query_params.get("limit", "20"), "limit", 1, 200)
        rows = await self._engine.run(lambda: _history(session, limit))
        return {"rounds": [round_json(r) for r in rows]}

    async def round(self, request: Request) -> Any:
        """Recall one of the player's rounds, replayed from its stored draw."""
        session = await self._session(request)
        round_id = request.path_params["round_id"]
        row = await self._engine.run(lambda: _round(round_id))
        owner = (row[16], row[17]) if row is not None else None
        if row is None or (
            row[15] != session.launch_token
            and (session.demo or owner != (session.client_id, session.player_id))
        ):
            raise NotFound("no such round for this player")
        return recall(self._catalog.game(row[1]), row)


def _extras(session: GameSession, now: int) -> Flow[tuple[Any, list[Any]]]:
    campaign = None
    if not session.demo:
        campaign = yield one(
            _CAMPAIGN,
            session.client_id,
            session.player_id,
            session.game_id,
            session.currency,
            now,
            now,
        )
    pools = yield every(_POOLS, session.currency)
    return campaign, pools


def _history(session: GameSession, limit: int) -> Flow[list[tuple[Any, ...]]]:
    if session.demo:
        rows = yield every(_HISTORY_DEMO, session.launch_token, limit)
    else:
        rows = yield every(_HISTORY_PLAYER, session.client_id, session.player_id, limit)
    return list(rows)


def _round(round_id: str) -> Flow[tuple[Any, ...] | None]:
    row = yield one(_ROUND, round_id)
    return None if row is None else tuple(row)
