"""``GET /game/thumbnail/{game_id}.svg``: a lobby card for each game, drawn by the server.

No image files to ship or fetch: the card is an SVG made from the game's name and its
best-paying symbols, with colours derived from the game id (stable across restarts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from html import escape

from starlette.requests import Request
from starlette.responses import Response

from reelbridge.games import SlotGame
from reelbridge.provider.catalog import Catalog

_HEADERS = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}


def _hue(game_id: str) -> int:
    return int.from_bytes(hashlib.sha256(game_id.encode()).digest()[:2], "big") % 360


def _best_symbols(game: SlotGame, count: int = 3) -> list[str]:
    symbols = game.client().get("symbols", [])
    ranked = sorted(
        (s for s in symbols if s.get("kind") == "line"),
        key=lambda s: max((pay[1] for pay in s.get("pays", [])), default=0),
        reverse=True,
    )
    return [str(s["name"]) for s in ranked[:count]]


def card(game: SlotGame) -> str:
    """The SVG of a game's card (320×200)."""
    hue = _hue(game.game_id)
    name = escape(game.name)
    chips = "".join(
        f'<g transform="translate({40 + i * 88},112)"><rect width="76" height="44" rx="10" '
        f'fill="hsl({hue},45%,18%)" stroke="hsl({hue},70%,62%)" stroke-width="2"/>'
        f'<text x="38" y="28" text-anchor="middle" font-size="13" font-weight="700" '
        f'fill="hsl({(hue + 40) % 360},90%,78%)">{escape(symbol[:8])}</text></g>'
        for i, symbol in enumerate(_best_symbols(game))
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 200" role="img" '
        f'aria-label="{name}">'
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="hsl({hue},65%,30%)"/>'
        f'<stop offset="1" stop-color="hsl({(hue + 50) % 360},70%,14%)"/></linearGradient></defs>'
        '<rect width="320" height="200" rx="16" fill="url(#g)"/>'
        f'<text x="160" y="72" text-anchor="middle" font-family="Georgia, serif" '
        f'font-size="30" font-weight="700" fill="#fff8e7">{name}</text>'
        f"{chips}</svg>"
    )


def thumbnail_endpoint(catalog: Catalog) -> Callable[[Request], Awaitable[Response]]:
    """The handler: the card of a game this provider offers, or 404."""

    async def thumbnail(request: Request) -> Response:
        game = catalog.games.get(request.path_params["game_id"])
        if game is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(card(game), media_type="image/svg+xml", headers=_HEADERS)

    return thumbnail
