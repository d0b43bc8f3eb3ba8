"""The studio console at the provider's ``/`` (behind its admin login): games with their
PAR sheets, clients and their wallet URLs, rounds with a visual replay of a recalled
round (the stored outcome drawn by the game client's own reels), the outbox (pending,
stuck, last error, attempts), campaigns and jackpot pools.

Read-only: every figure comes from the table modules' listings and the catalogue; the
console changes nothing, so its pages need a login and no form but logout.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reelbridge.games import SlotGame
from reelbridge.pages import Guard, Login, LoginArea, NavItem, Pages, derive_key, static_mount
from reelbridge.provider import call_log, rounds
from reelbridge.provider.catalog import Catalog, percent, rtp_figures, volatility_label
from reelbridge.provider.errors import ProviderError
from reelbridge.provider.outbox import LISTING as _OUTBOX
from reelbridge.provider.recall import recall
from reelbridge.provider.web.admin_api import LISTINGS
from reelbridge.provider.web.errors import translate
from reelbridge.storage import Engine
from reelbridge.web.http import list_page

C = "/console"
NAV = (
    NavItem("/", "Overview"),
    NavItem(f"{C}/games", "Games"),
    NavItem(f"{C}/rounds", "Rounds"),
    NavItem(f"{C}/outbox", "Outbox"),
    NavItem(f"{C}/clients", "Clients"),
    NavItem(f"{C}/campaigns", "Campaigns"),
    NavItem(f"{C}/jackpots", "Jackpots"),
)
STUCK_SECONDS = 60
OUTBOX = dataclasses.replace(_OUTBOX, order="id DESC")  # the console shows the newest first


def console_translate(exc: Exception) -> tuple[int, str] | None:
    """The provider's domain errors as a page's status and message."""
    if isinstance(exc, ProviderError):
        mapped = translate(exc)
        if mapped is not None:
            return mapped.status, mapped.message
    return None


class ParSheets:
    """Each game's PAR sheet, computed once off the event loop (seconds for a 5-reel
    game); a game without one (a plug-in known only by simulation) has None."""

    def __init__(self) -> None:
        self._known: dict[str, asyncio.Future[Any]] = {}

    async def of(self, game: SlotGame) -> Any:
        """The sheet, or None."""
        sheet = getattr(game, "par_sheet", None)
        if sheet is None:
            return None
        known = self._known.get(game.game_id)
        if known is None:
            known = asyncio.ensure_future(asyncio.to_thread(sheet))
            self._known[game.game_id] = known
        return await asyncio.shield(known)


class Console:
    """The console's routes."""

    def __init__(
        self,
        *,
        engine: Engine,
        catalog: Catalog,
        area: LoginArea,
        clock: Callable[[], int],
        fingerprint_key: bytes,
    ) -> None:
        self._key = fingerprint_key
        self._engine = engine
        self._catalog = catalog
        self._area = area
        self._clock = clock
        self._sheets = ParSheets()

    def routes(self) -> list[Route]:
        """Login, logout and the pages."""
        page = self._area.page
        return [
            *self._area.routes(),
            Route("/", page(self.overview), methods=["GET"]),
            Route(f"{C}/games", page(self.games), methods=["GET"]),
            Route(f"{C}/rounds", page(self.rounds), methods=["GET"]),
            Route(f"{C}/rounds/{{round_id}}", page(self.round), methods=["GET"]),
            Route(f"{C}/outbox", page(self.outbox), methods=["GET"]),
            Route(f"{C}/clients", page(self.listing("clients", "console_clients.html")),
                  methods=["GET"]),
            Route(f"{C}/campaigns", page(self.listing("campaigns", "console_campaigns.html")),
                  methods=["GET"]),
            Route(f"{C}/jackpots", page(self.listing("jackpots", "console_jackpots.html")),
                  methods=["GET"]),
        ]  # fmt: skip

    def _render(self, request: Request, login: Login, name: str, **context: Any) -> Response:
        return self._area.pages.render(request, name, login=login, **context)

    def _stuck_before(self) -> str:
        return str(self._clock() - STUCK_SECONDS * 1_000_000)

    async def overview(self, request: Request, login: Login, error: str | None) -> Response:
        """Rounds by status, the outbox's health, the games offered."""
        by_status = dict(await self._engine.run(rounds.count_by_status))
        stuck = await list_page(
            self._engine, OUTBOX, {"created_before": self._stuck_before(), "limit": "500"}
        )
        pending = await list_page(self._engine, OUTBOX, {"status": "pending", "limit": "500"})
        latest = await list_page(self._engine, LISTINGS["rounds"], {"limit": "10"})
        return self._render(
            request, login, "console_overview.html", error=error, by_status=by_status,
            stuck=stuck["items"], pending=len(pending["items"]), rows=latest["items"],
            games=list(self._catalog.games.values()), excluded=self._catalog.excluded,
        )  # fmt: skip

    async def games(self, request: Request, login: Login, error: str | None) -> Response:
        """Each game's PAR sheet and its RTP per stake (base, jackpots, total)."""
        sheets = []
        for game in self._catalog.games.values():
            sheet = await self._sheets.of(game)
            stakes = [
                {"bet_per_line": b, "stake": game.total_stake(b),
                 "rtp": rtp_figures(game, self._catalog.jackpots, b)}
                for b in game.stake_levels
            ]  # fmt: skip
            sheets.append(
                {
                    "game": game,
                    "source": self._catalog.sources.get(game.game_id, "built-in"),
                    "stakes": stakes,
                    "sheet": None if sheet is None else _sheet(sheet),
                }
            )
        jackpot = None if self._catalog.jackpots is None else percent(self._catalog.jackpots.rtp())
        return self._render(
            request, login, "console_games.html", error=error, sheets=sheets, jackpot=jackpot,
            excluded=self._catalog.excluded,
        )  # fmt: skip

    async def rounds(self, request: Request, login: Login, error: str | None) -> Response:
        """Rounds, newest first, with filters."""
        keep = ("player_id", "status", "kind", "game_id", "client_id", "offset")
        params = {k: v for k, v in request.query_params.items() if k in keep and v}
        page = await list_page(self._engine, LISTINGS["rounds"], {"limit": "100", **params})
        shown = {k: v for k, v in params.items() if k != "offset"}
        return self._render(
            request, login, "console_rounds.html", error=error, page=page, filters=shown,
            base=f"{C}/rounds?" + urlencode(shown) + ("&" if shown else ""),
        )  # fmt: skip

    async def round(self, request: Request, login: Login, error: str | None) -> Response:
        """One round recalled from storage, with the reels the player saw."""
        round_id = request.path_params["round_id"]
        found = await self._engine.run(lambda: rounds.find(round_id))
        if found is None:
            return self._render(
                request, login, "error.html", error=None, status=404,
                message=f"there is no round {round_id!r}",
            )  # fmt: skip
        game = self._catalog.games.get(found.game_id)
        item = recall(game, self._catalog.jackpots, found)
        calls = await list_page(self._engine, call_log.LISTING, {"round_id": round_id})
        return self._render(
            request, login, "console_round.html", error=error, r=item, calls=calls["items"][::-1],
            replay=None if game is None or not isinstance(item.get("outcome"), dict)
            else {"game": game.client(), "outcome": item["outcome"], "currency": item["currency"]},
        )  # fmt: skip

    async def outbox(self, request: Request, login: Login, error: str | None) -> Response:
        """The outbox: pending and stuck entries first, with attempts and last error."""
        view = request.query_params.get("view", "undelivered")
        params: dict[str, str] = {"limit": "200"}
        if view == "stuck":
            params["created_before"] = self._stuck_before()
        elif view in ("pending", "sending", "delivered", "failed"):
            params["status"] = view
        page = await list_page(self._engine, OUTBOX, params)
        items = page["items"]
        if view == "undelivered":
            items = [i for i in items if i["status"] in ("pending", "sending")]
        if view == "undelivered" and not items:
            page = await list_page(self._engine, OUTBOX, {"limit": "200"})
            items, view = page["items"], "all"
        return self._render(
            request, login, "console_outbox.html", error=error, items=items, view=view,
            stuck_seconds=STUCK_SECONDS, now=self._clock(),
        )  # fmt: skip

    def listing(self, name: str, template: str) -> Any:
        """A page showing one listing (clients, campaigns, jackpots)."""

        async def handler(request: Request, login: Login, error: str | None) -> Response:
            page = await list_page(self._engine, LISTINGS[name], {"limit": "200"}, key=self._key)
            return self._render(request, login, template, error=error, items=page["items"])

        return handler


def _sheet(sheet: Any) -> dict[str, Any]:
    """A PAR sheet's figures as the console shows them (percentages exact to 0.01)."""
    std = sheet.std_dev  # float ok: a statistic, not money
    return {
        "rtp": percent(sheet.rtp),
        "lines": percent(sheet.rtp_lines),
        "scatter": percent(sheet.rtp_scatter),
        "feature": percent(sheet.rtp_feature),
        "hit": percent(sheet.hit_frequency),
        "feature_frequency": percent(sheet.feature_frequency),
        "one_in": f"{round(1 / sheet.feature_frequency):,}" if sheet.feature_frequency else "—",
        "std_dev": f"{std:.2f}",
        "volatility": volatility_label(std),
        "max_base": f"{round(sheet.max_base_win):,}",
        "screens": f"{sheet.screens:,}",
        "by_symbol": sorted(
            ((name, percent(v)) for name, v in sheet.rtp_by_symbol.items()),
            key=lambda p: -float(p[1]),  # float ok: sorting percentages
        ),
    }


def console_routes(
    *,
    engine: Engine,
    catalog: Catalog,
    admin_token: str,
    clock: Callable[[], int],
    fingerprint_key: bytes,
) -> list[BaseRoute]:
    """The console's routes and the pages' static files (mounted by ``bootstrap``)."""
    guard = Guard(key=derive_key(admin_token, "console"), cookie="rb_console", clock=clock)
    pages = Pages(
        package="reelbridge.provider",
        area="console",
        title="Studio console",
        guard=guard,
        home="/",
        prefix=C,
        nav=NAV,
    )
    area = LoginArea(
        pages=pages, admin_token=admin_token, prefix=C, home="/", translate=console_translate
    )
    console = Console(
        engine=engine, catalog=catalog, area=area, clock=clock, fingerprint_key=fingerprint_key
    )
    return [*console.routes(), static_mount()]
