"""The casino's lobby at ``/`` (also where a game's exit button leads).

It lists the provider's games from the signed catalogue call (thumbnail, RTP,
volatility, stakes) with *Play demo* (a signed demo-url call) and *Play for real* (a
wallet session for the chosen player, then a signed game-url call with session, player,
currency, language and the lobby as ``return_url``). The game opens in a frame under the
casino's bar, whose balance follows the game while it plays (``/lobby/balance``, polled).
Choosing any player is the demo's shortcut (``LobbySettings.demo``): a real casino
would log its player in; without it only demo play is offered.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from reelbridge.aggregator import admin_flows, reports
from reelbridge.aggregator.provider_link import ProviderLink, ProviderProblem, origin
from reelbridge.pages import CsrfError, Form, FormError, Guard, Pages, money
from reelbridge.pages.forms import MAX_FORM_BYTES
from reelbridge.protocol import (
    CatalogueGame,
    DemoUrlRequest,
    GameUrlRequest,
    ProtocolError,
    format_amount,
)
from reelbridge.storage import Engine
from reelbridge.web import AdminError, read_body

LANGUAGES = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "pt": "Português",
    "ru": "Русский",
    "tr": "Türkçe",
}


class Lobby:
    """The lobby's routes."""

    def __init__(
        self,
        *,
        engine: Engine,
        link: ProviderLink,
        guard: Guard,
        clock: Callable[[], int],
        session_ttl_seconds: int,
    ) -> None:
        self._engine = engine
        self._link = link
        self._guard = guard
        self._clock = clock
        self._ttl = session_ttl_seconds
        self.pages = Pages(
            package="reelbridge.aggregator", area="lobby", title="reelbridge casino", guard=guard
        )

    def routes(self) -> list[Route]:
        """``/``, the play form and page, the balance the play page polls."""
        return [
            Route("/", self.index, methods=["GET"]),
            Route("/lobby/play", self.play, methods=["POST"]),
            Route("/lobby/play", self.frame, methods=["GET"]),
            Route("/lobby/balance", self.balance, methods=["GET"]),
        ]

    @property
    def demo(self) -> bool:
        """Whether a visitor may play as any player."""
        return self._link.settings.demo

    async def _games(self) -> tuple[tuple[CatalogueGame, ...], str | None]:
        try:
            return await self._link.catalogue(), None
        except ProviderProblem as exc:
            return (), exc.message

    async def index(self, request: Request, error: str | None = None) -> Response:
        """The lobby."""
        status = 200 if error is None else 400
        games, problem = await self._games()
        choices = await self._engine.run(reports.accounts) if self.demo else []
        wanted = request.query_params.get("account", "")
        account = next((a for a in choices if a.key == wanted), choices[0] if choices else None)
        language = request.query_params.get("language", "en")
        language = language if language in LANGUAGES else "en"
        jackpots: list[Any] = []
        if account is not None and games:
            try:
                pools = await self._link.jackpots()
                jackpots = [j for j in pools if j.currency == account.currency]
            except ProviderProblem:
                jackpots = []  # the lobby works without its ticker
        placeholder = Response()
        visitor = self._guard.anonymous(request, placeholder)
        response = self.pages.render(
            request,
            "lobby.html",
            status=status,
            origins=[self._link.origin, *(origin(g.thumbnail) for g in games)],
            games=games,
            problem=problem,
            error=error,
            demo=self.demo,
            accounts=choices,
            account=account,
            language=language,
            languages=LANGUAGES,
            jackpots=jackpots,
            lobby_csrf=visitor.csrf,
        )
        response.raw_headers += [(k, v) for k, v in placeholder.raw_headers if k == b"set-cookie"]
        return response

    async def play(self, request: Request) -> Response:
        """Launch a game (demo or real money) and open it under the casino's bar."""
        try:
            form = Form(await read_body(request, MAX_FORM_BYTES))
            self._guard.check(request, form, anonymous=True)
            ticket = await self._launch(request, form)
        except CsrfError as exc:
            return await self.index(request, str(exc))
        except (FormError, ProviderProblem, AdminError, ProtocolError) as exc:
            return await self.index(request, getattr(exc, "message", None) or str(exc))
        return RedirectResponse(f"/lobby/play?t={quote(ticket)}", status_code=303)

    async def _launch(self, request: Request, form: Form) -> str:
        games = {g.game_id: g for g in await self._link.catalogue()}
        game = games.get(form.get("game_id"))
        if game is None:
            raise FormError("that game is not offered by the provider (reload the lobby)")
        language = form.choice("language", "Language", tuple(LANGUAGES))
        mode = form.choice("mode", "Mode", ("demo", "real"))
        account_key = form.get("account")
        back = (
            str(request.base_url).rstrip("/")
            + "/?"
            + urlencode({"account": account_key, "language": language})
        )
        if mode == "demo":
            url = await self._link.demo_url(
                DemoUrlRequest(
                    client_id=self._link.client_id,
                    game_id=game.game_id,
                    language=language,
                    return_url=back,
                )
            )
            return self._guard.signer.sign({"u": url, "g": game.name, "a": "", "l": language})
        if not self.demo:
            raise FormError("play for real needs a player login, which this lobby does not have")
        currency, _, player_id = account_key.partition(":")
        if await self._engine.run(lambda: reports.balance(player_id, currency)) is None:
            raise FormError("choose a player first (the list at the top)")
        url = await self._real(game.game_id, player_id, currency, language, back)
        return self._guard.signer.sign({"u": url, "g": game.name, "a": account_key, "l": language})

    async def _real(
        self, game_id: str, player_id: str, currency: str, language: str, back: str
    ) -> str:
        now = self._clock()
        session_id = secrets.token_urlsafe(24)
        await self._engine.run(
            lambda: admin_flows.open_session(
                session_id,
                self._link.client_id,
                player_id,
                currency,
                game_id,
                expires_at=now + self._ttl * 1_000_000,
                actor="lobby",
                reason="play for real in the lobby",
                now=now,
            )
        )
        return await self._link.game_url(
            GameUrlRequest(
                client_id=self._link.client_id,
                game_id=game_id,
                currency=currency,
                language=language,
                session_id=session_id,
                player_id=player_id,
                return_url=back,
            )
        )

    async def frame(self, request: Request) -> Response:
        """The game in a frame under the casino's bar (from a ticket the lobby signed)."""
        ticket = self._guard.signer.unsign(request.query_params.get("t"))
        url = "" if ticket is None else str(ticket.get("u", ""))
        if not url.startswith(("http://", "https://")):
            return RedirectResponse("/", status_code=303)
        account = str(ticket.get("a", "")) if ticket else ""
        currency, _, player_id = account.partition(":")
        return self.pages.render(
            request,
            "play.html",
            frames=[origin(url)],
            url=url,
            game=str(ticket.get("g", "")) if ticket else "",
            account=account,
            player_id=player_id,
            currency=currency,
            back="/?" + urlencode({"account": account, "language": ticket.get("l", "en")})
            if ticket
            else "/",
        )

    async def balance(self, request: Request) -> Response:
        """``{"balance", "display", "currency"}`` of ``?account=CUR:player`` (demo lobby)."""
        currency, _, player_id = request.query_params.get("account", "").partition(":")
        found = (
            await self._engine.run(lambda: reports.balance(player_id, currency))
            if self.demo and player_id
            else None
        )
        if found is None:
            return JSONResponse(
                {"error": {"code": "not_found", "message": "no such account"}}, status_code=404
            )
        return JSONResponse(
            {
                "balance": format_amount(found),
                "display": money(found, currency),
                "currency": currency,
            },
            headers={"Cache-Control": "no-store"},
        )
