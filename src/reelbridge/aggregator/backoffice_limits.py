"""The back office's responsible-gambling pages (docs/PROTOCOL-part-b.md B19–B21).

``/backoffice/limits`` lists the accounts that have limits, a self-exclusion or a block;
``/backoffice/players/{id}/limits`` shows one player's: per account the limits in force,
what the current day, week and month used of them, pending changes and when they apply,
and forms to set, raise, lower or remove limits, to self-exclude (until a date or
indefinitely) or end an exclusion, and to block or unblock. Every form needs a reason
(the audit log's) and goes through the same units of work as the admin API
(``limit_flows``): a stricter setting applies at once, a looser one after the
cooling-off, which the page then shows as pending.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reelbridge.aggregator import limit_flows
from reelbridge.aggregator.backoffice import P, actor
from reelbridge.aggregator.limit_flows import AccountLimits
from reelbridge.aggregator.limits_api import describe
from reelbridge.ledger.limits import (
    EXCLUSION_COOLING_OFF_US,
    INDEFINITE,
    LIMIT_COOLING_OFF_US,
    MAX_SESSION_MINUTES,
    MONEY_LIMITS,
)
from reelbridge.pages import Form, FormError, Login, LoginArea, when
from reelbridge.storage import Engine

LABELS = {
    "loss_day": "Loss per day",
    "loss_week": "Loss per week",
    "loss_month": "Loss per month",
    "wager_day": "Stakes per day",
    "wager_week": "Stakes per week",
    "wager_month": "Stakes per month",
    "session_minutes": "Session time (minutes)",
}


class LimitsPages:
    """Responsible-gambling pages and forms."""

    def __init__(self, *, engine: Engine, area: LoginArea, clock: Callable[[], int]) -> None:
        self._engine = engine
        self._area = area
        self._clock = clock

    def routes(self) -> list[Route]:
        """Pages (GET) and forms (POST)."""
        page, action = self._area.page, self._area.action
        base = f"{P}/players/{{player_id}}"
        return [
            Route(f"{P}/limits", page(self.overview), methods=["GET"]),
            Route(f"{base}/limits", page(self.player), methods=["GET"]),
            Route(f"{base}/limits", action(self.set_limits, self.player), methods=["POST"]),
            Route(f"{base}/exclusion", action(self.exclude, self.player), methods=["POST"]),
            Route(f"{base}/block", action(self.block, self.player), methods=["POST"]),
        ]

    async def overview(self, request: Request, login: Login, error: str | None) -> Response:
        """Accounts with limits, a self-exclusion or a block; a player finder."""
        wanted = request.query_params.get("player_id", "").strip()
        if wanted and error is None:
            return RedirectResponse(_back(wanted), status_code=303)
        now = self._clock()
        accounts = await self._engine.read(limit_flows.limited_accounts)
        return self._area.pages.render(
            request, "bo_limits.html", login=login, error=error,
            accounts=[describe(a, now) for a in accounts], labels=LABELS,
            money_limits=MONEY_LIMITS, indefinite=INDEFINITE,
        )  # fmt: skip

    async def player(self, request: Request, login: Login, error: str | None) -> Response:
        """One player's accounts, their limits and the forms that change them."""
        player_id = request.path_params["player_id"]
        now = self._clock()
        accounts = await self._engine.read(lambda: limit_flows.player_limits(player_id))
        return self._area.pages.render(
            request, "bo_player_limits.html", login=login, error=error, player_id=player_id,
            accounts=[describe(a, now) for a in accounts], labels=LABELS,
            money_limits=MONEY_LIMITS, indefinite=INDEFINITE,
            limit_hours=LIMIT_COOLING_OFF_US // 3_600_000_000,
            exclusion_days=EXCLUSION_COOLING_OFF_US // 86_400_000_000,
        )  # fmt: skip

    async def set_limits(self, request: Request, form: Form, login: Login) -> tuple[str, str]:
        """The limits form of one account: the fields that differ from the value in force
        are changed (an empty field: no limit); ``keep`` names a limit whose pending
        change is cancelled."""
        player_id = request.path_params["player_id"]
        currency = form.currency()
        reason = form.text("reason", "A reason", required=True)
        now = self._clock()
        accounts = await self._engine.read(lambda: limit_flows.player_limits(player_id))
        account = next((a for a in accounts if a.currency == currency), None)
        if account is None:
            raise FormError(f"{player_id} has no {currency} account")
        changes: dict[str, int | None] = {}
        keep = form.get("keep")
        if keep:
            if keep not in LABELS:
                raise FormError("choose a limit whose pending change to cancel")
            changes[keep] = account.state.setting(keep).at(now)
        else:
            for name in LABELS:
                new = _field(form, name)
                if new != account.state.setting(name).at(now):
                    changes[name] = new
        if not changes:
            raise FormError("nothing to change: every limit is as in force")
        saved, changed = await self._engine.run(
            lambda: limit_flows.set_limits(
                player_id, currency, changes, actor=actor(login), reason=reason, now=now
            )
        )
        return _back(player_id), _said(saved, changes, changed, keep)

    async def exclude(self, request: Request, form: Form, login: Login) -> tuple[str, str]:
        """Self-exclude until a date or indefinitely, or end the exclusion."""
        player_id = request.path_params["player_id"]
        reason = form.text("reason", "A reason", required=True)
        if form.get("end"):
            until: int | None = None
        elif form.get("indefinite"):
            until = INDEFINITE
        else:
            until = form.day("until", "Until")
            if until is None:
                raise FormError("choose the date the exclusion ends, or indefinite")
        now = self._clock()
        if until is not None and until <= now:
            raise FormError("a self-exclusion must end in the future")
        _, changed = await self._engine.run(
            lambda: limit_flows.set_exclusion(
                player_id, until, actor=actor(login), reason=reason, now=now
            )
        )
        if not changed:
            return _back(player_id), "nothing changed"
        if until is None:
            return _back(player_id), "the self-exclusion ends after the cooling-off"
        return _back(player_id), f"{player_id} is self-excluded"

    async def block(self, request: Request, form: Form, login: Login) -> tuple[str, str]:
        """Block or unblock the player's bets (at once)."""
        player_id = request.path_params["player_id"]
        blocked = form.choice("blocked", "Block", ("1", "0")) == "1"
        reason = form.text("reason", "A reason", required=True)
        now = self._clock()
        _, changed = await self._engine.run(
            lambda: limit_flows.set_blocked(
                player_id, blocked, actor=actor(login), reason=reason, now=now
            )
        )
        done = "blocked" if blocked else "unblocked"
        return _back(player_id), f"{player_id} {done}" if changed else f"already {done}"


def _field(form: Form, name: str) -> int | None:
    """A limit field: empty is no limit."""
    if not form.get(name):
        return None
    if name == "session_minutes":
        return form.integer(name, LABELS[name], 1, MAX_SESSION_MINUTES, 0)
    return form.amount(name, LABELS[name])


def _back(player_id: str) -> str:
    return f"{P}/players/{quote(player_id, safe='')}/limits"


def _said(saved: AccountLimits, changes: dict[str, Any], changed: bool, keep: str) -> str:
    if not changed:
        return "nothing changed"
    if keep:
        return f"the waiting change of {LABELS[keep].lower()} is cancelled"
    now_in_force = [LABELS[n].lower() for n in changes if saved.state.setting(n).next_at is None]
    waiting = [
        (LABELS[n].lower(), saved.state.setting(n).next_at)
        for n in changes
        if saved.state.setting(n).next_at is not None
    ]
    parts = [f"{', '.join(now_in_force)} in force now"] if now_in_force else []
    parts += [f"{name} changes on {when(at, '%Y-%m-%d %H:%M UTC')}" for name, at in waiting]
    return "limits saved: " + "; ".join(parts)
