"""The back office's view of play: the overview (with GGR per game per day), a round
(the wallet's rows, the provider's recall of it and its screens), and the
reconciliation of provider rounds against wallet transactions."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelbridge.aggregator import reports
from reelbridge.aggregator.backoffice import P
from reelbridge.aggregator.charts import ggr_chart
from reelbridge.aggregator.listings import LISTINGS, ledger_check
from reelbridge.aggregator.provider_link import ProviderLink, ProviderProblem
from reelbridge.aggregator.reconcile import reconcile, screens, units, verdict
from reelbridge.pages import Login, LoginArea, money
from reelbridge.storage import Engine
from reelbridge.web.http import list_page

DAYS = 14


class PlayPages:
    """Overview, round view and reconciliation."""

    def __init__(
        self, *, engine: Engine, area: LoginArea, link: ProviderLink, clock: Callable[[], int]
    ) -> None:
        self._engine = engine
        self._area = area
        self._link = link
        self._clock = clock

    def routes(self) -> list[Route]:
        """The pages."""
        page = self._area.page
        return [
            Route(P, page(self.overview), methods=["GET"]),
            Route(f"{P}/rounds/{{round_id}}", page(self.round), methods=["GET"]),
            Route(f"{P}/reconciliation", page(self.reconciliation), methods=["GET"]),
        ]

    async def overview(self, request: Request, login: Login, error: str | None) -> Response:
        """Health of the ledger, activity, and GGR per game per day."""
        currencies = await self._engine.run(reports.currencies)
        currency = request.query_params.get("currency", "")
        currency = currency if currency in currencies else (currencies or ["EUR"])[0]
        today = self._clock() // reports.DAY_US
        days = list(range(today - DAYS + 1, today + 1))
        since = days[0] * reports.DAY_US
        rows = await self._engine.run(lambda: reports.ggr(currency, since=since))
        totals: dict[str, dict[str, int]] = {}
        for r in rows:
            entry = totals.setdefault(r.game_id, {"stakes": 0, "wins": 0, "ggr": 0, "rounds": 0})
            for key, amount in (("stakes", r.stakes), ("wins", r.wins), ("ggr", r.ggr)):
                entry[key] += amount
            entry["rounds"] += r.rounds
        check = await self._engine.run(ledger_check)
        accounts = await self._engine.run(reports.accounts)
        open_sessions = await list_page(
            self._engine, LISTINGS["sessions"], {"status": "open", "limit": "500"}
        )
        anomalies = await list_page(self._engine, LISTINGS["anomalies"], {"limit": "500"})
        latest = await list_page(self._engine, LISTINGS["transactions"], {"limit": "8"})
        return self._area.pages.render(
            request,
            "bo_overview.html",
            login=login,
            error=error,
            currency=currency,
            currencies=currencies,
            chart=ggr_chart(rows, currency, days),
            totals=totals,
            check=check,
            players=len({a.player_id for a in accounts}),
            open_sessions=len(open_sessions["items"]),
            anomalies=len(anomalies["items"]),
            rows=latest["items"],
            first_day=_day(days[0]),
            last_day=_day(days[-1]),
        )

    async def round(self, request: Request, login: Login, error: str | None) -> Response:
        """One round: the wallet's rows, the provider's recall and its screens."""
        round_id = request.path_params["round_id"]
        rows = await list_page(
            self._engine, LISTINGS["transactions"], {"round_id": round_id, "limit": "100"}
        )
        items = rows["items"]
        currency = items[0]["currency"] if items else ""
        recalled: Any = None
        problem = None
        if self._link.admin_configured:
            try:
                recalled = await self._link.admin(f"/admin/rounds/{quote(round_id, safe='')}")
            except ProviderProblem as exc:
                problem = exc.message
        else:
            problem = "the provider's admin API is not configured: no recall here"
        currency = currency or (recalled or {}).get("currency", "")
        client = items[0]["client_id"] if items else self._link.client_id
        wallet = await self._engine.run(lambda: reports.wallet_rounds(client, [round_id]))
        found = (
            verdict(recalled, wallet.get(round_id), round_id, lambda u: money(u, currency))
            if (recalled is not None or items)
            else None
        )
        return self._area.pages.render(
            request,
            "bo_round.html",
            login=login,
            error=error,
            round_id=round_id,
            rows=items,
            recalled=recalled,
            problem=problem,
            currency=currency,
            verdict=found,
            screens=screens((recalled or {}).get("outcome")),
        )

    async def reconciliation(self, request: Request, login: Login, error: str | None) -> Response:
        """The provider's last rounds for our client against the wallet's rows."""
        client_id = self._link.client_id
        problem, provider_rounds = None, []
        if not self._link.admin_configured or not client_id:
            problem = "the provider's admin API is not configured: nothing to reconcile against"
        else:
            try:
                page = await self._link.admin("/admin/rounds", client_id=client_id, limit=200)
                provider_rounds = list((page or {}).get("items", []))
            except ProviderProblem as exc:
                problem = exc.message
        ids = [str(r["round_id"]) for r in provider_rounds]
        wallet = await self._engine.run(lambda: reports.wallet_rounds(client_id, ids))
        since = min((int(r["created_at"]) for r in provider_rounds), default=self._clock())
        recent = await self._engine.run(lambda: reports.rounds_since(client_id, since))
        extra = [rid for rid in recent if rid not in wallet]
        wallet.update(await self._engine.run(lambda: reports.wallet_rounds(client_id, extra)))
        currency = {str(r["round_id"]): str(r.get("currency", "")) for r in provider_rounds}
        verdicts = reconcile(provider_rounds, wallet, extra, money)
        counts = {k: sum(v.kind == k for v in verdicts) for k in ("match", "in flight")}
        return self._area.pages.render(
            request,
            "bo_reconciliation.html",
            login=login,
            error=error,
            verdicts=verdicts,
            currency=currency,
            problem=problem,
            client_id=client_id,
            matched=counts["match"],
            in_flight=counts["in flight"],
            differences=len(verdicts) - counts["match"] - counts["in flight"],
            units=units,
        )


def _day(day: int) -> str:
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=day)).isoformat()
