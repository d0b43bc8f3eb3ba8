"""The back office at ``/backoffice``: players and their accounts (deposit and withdraw
with a required reason, written to the audit log), wallet sessions (open, close) and the
ledger (filters, CSV export). The rounds, campaigns, jackpots, anomalies, audit log,
reconciliation and charts are in ``backoffice_play`` and ``backoffice_ops``, the
responsible-gambling limits in ``backoffice_limits``; all share one ``LoginArea``.

Every change goes through the same units of work as the admin API (``admin_flows``),
with the logged-in person as the audit log's actor (``backoffice:NAME``). A page for
another concern is one more ``NavItem`` in ``NAV`` and a handler module mounted in
``site.py`` (as ``backoffice_limits`` is).
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelbridge.aggregator import admin_flows, reports
from reelbridge.aggregator.charts import balance_chart
from reelbridge.aggregator.listings import LISTINGS, ledger_check
from reelbridge.aggregator.provider_link import ProviderLink, ProviderProblem
from reelbridge.pages import Form, FormError, Login, LoginArea, NavItem, money
from reelbridge.protocol import display_amount
from reelbridge.storage import Engine
from reelbridge.web.http import list_page

P = "/backoffice"
NAV = (
    NavItem(P, "Overview"),
    NavItem(f"{P}/players", "Players"),
    NavItem(f"{P}/limits", "Limits"),
    NavItem(f"{P}/sessions", "Sessions"),
    NavItem(f"{P}/ledger", "Ledger"),
    NavItem(f"{P}/reconciliation", "Reconciliation"),
    NavItem(f"{P}/campaigns", "Freespins"),
    NavItem(f"{P}/jackpots", "Jackpots"),
    NavItem(f"{P}/anomalies", "Anomalies"),
    NavItem(f"{P}/audit", "Audit log"),
)
LEDGER_FILTERS = ("player_id", "round_id", "type", "action", "outcome", "game_id")
TYPES = ("bet", "win", "freespin", "jackpot", "tip", "deposit", "withdrawal")
ACTIONS = ("bet", "win", "refund", "deposit", "withdrawal")
CSV_ROWS = 50_000


def actor(login: Login) -> str:
    """The audit log's actor of a back-office change."""
    return f"backoffice:{login.who}"


def ledger_filters(query: str) -> dict[str, str]:
    """The ledger's filters from a query string (dates as µs bounds), for the listing.

    Raises:
        FormError: a filter that cannot be used (a bad date, an unknown type).
    """
    form = Form(query)
    found = {name: form.get(name) for name in LEDGER_FILTERS if form.get(name)}
    if "type" in found:
        form.choice("type", "Type", TYPES)
    if "action" in found:
        form.choice("action", "Action", ACTIONS)
    start, end = form.day("from", "From"), form.day("to", "To", end=True)
    if start is not None:
        found["created_from"] = str(start)
    if end is not None:
        found["created_to"] = str(end)
    return found


class BackOffice:
    """The back office's core pages and forms."""

    def __init__(
        self,
        *,
        engine: Engine,
        area: LoginArea,
        link: ProviderLink,
        clock: Callable[[], int],
        session_ttl_seconds: int,
    ) -> None:
        self._engine = engine
        self._area = area
        self._link = link
        self._clock = clock
        self._ttl = session_ttl_seconds

    def routes(self) -> list[Route]:
        """Pages (GET) and forms (POST)."""
        page, action = self._area.page, self._area.action
        return [
            Route(f"{P}/players", page(self.players), methods=["GET"]),
            Route(f"{P}/players", action(self.create_player, self.players), methods=["POST"]),
            Route(f"{P}/players/{{player_id}}", page(self.player), methods=["GET"]),
            Route(
                f"{P}/players/{{player_id}}/money",
                action(self.move_money, self.player),
                methods=["POST"],
            ),
            Route(f"{P}/sessions", page(self.sessions), methods=["GET"]),
            Route(f"{P}/sessions", action(self.open_session, self.sessions), methods=["POST"]),
            Route(
                f"{P}/sessions/{{session_id}}/close",
                action(self.close_session, self.sessions),
                methods=["POST"],
            ),
            Route(f"{P}/ledger", page(self.ledger), methods=["GET"]),
            Route(f"{P}/ledger.csv", page(self.ledger_csv), methods=["GET"]),
        ]

    def _render(
        self, request: Request, login: Login, name: str, error: str | None, **context: Any
    ) -> Response:
        return self._area.pages.render(request, name, login=login, error=error, **context)

    # -- players ------------------------------------------------------------------

    async def players(self, request: Request, login: Login, error: str | None) -> Response:
        """Players and their balances."""
        params = {k: v for k, v in request.query_params.items() if k in ("player_id", "offset")}
        page = await list_page(self._engine, LISTINGS["players"], {"limit": "100", **params})
        return self._render(
            request, login, "bo_players.html", error, page=page, query=params.get("player_id", "")
        )

    async def create_player(self, request: Request, form: Form, login: Login) -> tuple[str, str]:
        """Create a player with an account in a currency."""
        player_id = form.required("player_id", "Player id")
        currency = form.currency()
        reason = form.text("reason", "Reason")
        now = self._clock()
        result = await self._engine.run(
            lambda: admin_flows.create_player(
                player_id, currency, actor=actor(login), reason=reason, now=now
            )
        )
        done = "created" if result["created"] else "already existed; account ready"
        return f"{P}/players/{quote(player_id, safe='')}", f"player {player_id} {done}"

    async def player(self, request: Request, login: Login, error: str | None) -> Response:
        """One player: accounts, money forms, balance over time, sessions, last rows."""
        player_id = request.path_params["player_id"]
        accounts = await list_page(
            self._engine, LISTINGS["players"], {"player_id": player_id, "limit": "50"}
        )
        if not accounts["items"]:
            raise FormError(f"there is no player {player_id!r}")
        currency = request.query_params.get("currency") or accounts["items"][0]["currency"]
        series = await self._engine.run(lambda: reports.balance_series(player_id, currency))
        sessions = await list_page(
            self._engine, LISTINGS["sessions"], {"player_id": player_id, "limit": "10"}
        )
        rows = await list_page(
            self._engine, LISTINGS["transactions"], {"player_id": player_id, "limit": "15"}
        )
        return self._render(
            request,
            login,
            "bo_player.html",
            error,
            player_id=player_id,
            accounts=accounts["items"],
            currency=currency,
            chart=balance_chart(series, currency),
            sessions=sessions["items"],
            rows=rows["items"],
            reference=f"bo-{secrets.token_urlsafe(9)}",
            **await self._choices(),
        )

    async def move_money(self, request: Request, form: Form, login: Login) -> tuple[str, str]:
        """A deposit or a withdrawal, with a required reason (idempotent on its reference,
        so a form sent twice moves the money once)."""
        player_id = request.path_params["player_id"]
        kind = form.choice("kind", "Operation", ("deposit", "withdrawal"))
        currency = form.currency()
        amount = form.amount("amount", "The amount")
        reason = form.text("reason", "A reason", required=True)
        reference = form.required("reference", "Reference")
        now = self._clock()
        result = await self._engine.run(
            lambda: admin_flows.move_money(
                kind, player_id, currency, amount, reference,
                actor=actor(login), reason=reason, now=now,
            )
        )  # fmt: skip
        shown = f"{display_amount(amount, currency)} {currency}"
        balance = f"{display_amount(result['balance'], currency)} {currency}"
        if result["replayed"]:
            message = f"this form was already sent: nothing changed (balance {balance})"
        else:
            message = f"{kind} of {shown} done: {player_id} now has {balance}"
        return f"{P}/players/{quote(player_id, safe='')}?currency={currency}", message

    # -- sessions -----------------------------------------------------------------

    async def _choices(self) -> dict[str, list[str]]:
        """Clients and games a session form offers (games from the catalogue)."""
        clients = await list_page(self._engine, LISTINGS["clients"], {"limit": "100"})
        games: list[str] = []
        try:
            games = [g.game_id for g in await self._link.catalogue()]
        except ProviderProblem:
            games = []
        return {"clients": [c["client_id"] for c in clients["items"]], "games": games}

    async def sessions(self, request: Request, login: Login, error: str | None) -> Response:
        """Wallet sessions, newest first; open and close."""
        keep = ("player_id", "status", "client_id", "game_id", "offset")
        params = {k: v for k, v in request.query_params.items() if k in keep and v}
        page = await list_page(self._engine, LISTINGS["sessions"], {"limit": "50", **params})
        return self._render(
            request,
            login,
            "bo_sessions.html",
            error,
            page=page,
            filters=params,
            **await self._choices(),
            base=f"{P}/sessions?" + urlencode({k: v for k, v in params.items() if k != "offset"}),
        )

    async def open_session(self, request: Request, form: Form, login: Login) -> tuple[str, str]:
        """Open a wallet session for a client, player, currency and game."""
        client_id = form.required("client_id", "Client")
        player_id = form.required("player_id", "Player")
        currency = form.currency()
        game_id = form.required("game_id", "Game")
        hours = form.integer("hours", "Hours", 1, 24 * 30, 24)
        reason = form.text("reason", "Reason")
        now = self._clock()
        session_id = secrets.token_urlsafe(24)
        await self._engine.run(
            lambda: admin_flows.open_session(
                session_id, client_id, player_id, currency, game_id,
                expires_at=now + hours * 3600 * 1_000_000,
                actor=actor(login), reason=reason, now=now,
            )
        )  # fmt: skip
        return f"{P}/sessions?player_id={quote(player_id)}", f"session {session_id} opened"

    async def close_session(self, request: Request, form: Form, login: Login) -> tuple[str, str]:
        """Close a session: no more bets; wins and refunds still land (B8)."""
        session_id = request.path_params["session_id"]
        reason = form.text("reason", "Reason")
        now = self._clock()
        await self._engine.run(
            lambda: admin_flows.close_session(
                session_id, actor=actor(login), reason=reason, now=now
            )
        )
        return f"{P}/sessions", f"session {session_id[:10]}… closed"

    # -- ledger -------------------------------------------------------------------

    async def ledger(self, request: Request, login: Login, error: str | None) -> Response:
        """The journal with filters; the ledger check on top."""
        filters = ledger_filters(request.url.query)
        offset = request.query_params.get("offset", "0")
        page = await list_page(
            self._engine, LISTINGS["transactions"], {**filters, "limit": "100", "offset": offset}
        )
        check = await self._engine.run(ledger_check)
        shown = {k: v for k, v in request.query_params.items() if k != "offset" and v}
        return self._render(
            request,
            login,
            "bo_ledger.html",
            error,
            page=page,
            check=check,
            filters=shown,
            types=TYPES,
            actions=ACTIONS,
            base=f"{P}/ledger?" + urlencode(shown) + ("&" if shown else ""),
            csv_url=f"{P}/ledger.csv?" + urlencode(shown),
        )

    async def ledger_csv(self, request: Request, login: Login, error: str | None) -> Response:
        """The filtered journal as CSV (exact amounts, as the wire writes them)."""
        filters = ledger_filters(request.url.query)
        spec = LISTINGS["transactions"]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(spec.columns)
        offset: int | None = 0
        while offset is not None and offset < CSV_ROWS:
            page = await list_page(
                self._engine, spec, {**filters, "limit": "500", "offset": str(offset)}
            )
            writer.writerows([row[c] for c in spec.columns] for row in page["items"])
            offset = page["next_offset"]
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="ledger.csv"'},
        )


__all__ = ["NAV", "BackOffice", "actor", "ledger_filters", "money"]
