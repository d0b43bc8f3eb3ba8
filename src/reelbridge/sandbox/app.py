"""``reelbridge sandbox``: a fake aggregator a studio points its provider at.

One Starlette app: the kit's recording, fault-injecting wallet (``FaultWallet``: our
aggregator's wallet in process, on the sandbox's own database) at
``POST /wallet/{client_id}``, and a server-rendered page at ``/`` that lists every call
as it arrives (body, signature verdict and why, the answer, latency), queues faults for
the next calls, opens funded sessions, launches games at a provider with signed
game-url / demo-url calls, and exports the log (``/sandbox/export.json``).

Forms are protected by a per-process token only this page can read (``forms.check_csrf``);
bad input is answered with the page and a readable message (HTTP 400), never a 500.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from reelbridge.protocol import ErrorCode, ProtocolError
from reelbridge.sandbox.actions import (
    Admin,
    Launch,
    OpenSession,
    launch,
    open_session,
    refresh_balances,
)
from reelbridge.sandbox.forms import (
    ACTIONS,
    FAULT_KINDS,
    CsrfError,
    Form,
    FormError,
    check_csrf,
    fault_order,
    launch_order,
    session_order,
)
from reelbridge.sandbox.views import call_view, export
from reelbridge.testing.certify.fault_wallet import FaultWallet
from reelbridge.web import read_body

SHOWN_CALLS = 200
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class SandboxSettings:
    """How the sandbox starts.

    Attributes:
        token: the client's token (the provider signs its wallet calls with it, the
            sandbox its launch calls).
        database_url: the wallet's storage (``sqlite:///…`` or ``postgresql://…``).
        client_id: the client id the provider is configured with.
        public_url: the sandbox's base URL as the provider reaches it.
        provider_url: prefilled in the launch form.
    """

    token: str
    database_url: str
    client_id: str = "sandbox"
    public_url: str = "http://127.0.0.1:8090"
    provider_url: str = ""

    @property
    def wallet_url(self) -> str:
        """The wallet URL to configure at the provider."""
        return f"{self.public_url.rstrip('/')}/wallet/{self.client_id}"


class Sandbox:
    """The sandbox's state and its ASGI app (``.app``)."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.wallet = FaultWallet(database_url=settings.database_url)
        self.csrf = secrets.token_urlsafe(32)
        self.sessions: list[OpenSession] = []
        self.launches: list[Launch] = []
        self._notice: str | None = None
        self._http: httpx.AsyncClient | None = None
        self._templates = jinja2.Environment(
            loader=jinja2.PackageLoader("reelbridge.sandbox", "templates"),
            autoescape=jinja2.select_autoescape(["html"]),
            undefined=jinja2.StrictUndefined,
        )
        static = StaticFiles(packages=[("reelbridge.sandbox", "static")])
        routes = [
            Route("/", self.index, methods=["GET"]),
            Route("/sandbox/live", self.live, methods=["GET"]),
            Route("/sandbox/export.json", self.export, methods=["GET"]),
            Route("/sandbox/faults", self._form(self.add_fault), methods=["POST"]),
            Route("/sandbox/faults/remove", self._form(self.remove_fault), methods=["POST"]),
            Route("/sandbox/faults/clear", self._form(self.clear_faults), methods=["POST"]),
            Route("/sandbox/sessions", self._form(self.open_session), methods=["POST"]),
            Route("/sandbox/sessions/close", self._form(self.close_session), methods=["POST"]),
            Route("/sandbox/launch", self._form(self.launch), methods=["POST"]),
            Mount("/sandbox/static", app=static, name="static"),
            *self.wallet.routes(),
        ]
        self.app = Starlette(routes=routes, lifespan=self._lifespan)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        async with self.wallet.lifespan(app), httpx.AsyncClient(timeout=10) as http:
            await self._admin().post(
                "/admin/clients",
                {"client_id": self.settings.client_id, "tokens": [self.settings.token]},
            )
            self.wallet.remember_tokens(self.settings.client_id, [self.settings.token])
            self._http = http
            yield

    def _admin(self) -> Admin:
        assert self.wallet.upstream is not None, "the sandbox serves only inside its lifespan"
        return Admin(self.wallet.upstream, self.wallet.admin_token)

    # -- pages ------------------------------------------------------------------------

    def _render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self._templates.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status, headers=_HEADERS)

    async def _fragments(self, after: int) -> dict[str, Any]:
        calls = self.wallet.calls(since=after)[-SHOWN_CALLS:]
        pending = [c.seq for c in calls if not c.done]
        last = (min(pending) - 1) if pending else max([after, *(c.seq for c in calls)])
        await refresh_balances(self._admin(), self.sessions)
        return {
            "last": last,
            "calls": [call_view(c) for c in reversed(calls)],
            "rules": [(r, r.fault.name) for r in self.wallet.rules()],
            "sessions": self.sessions,
            "csrf": self.csrf,
        }

    async def index(self, request: Request) -> HTMLResponse:
        """The page."""
        return await self._page()

    async def _page(self, *, error: str | None = None, status: int = 200) -> HTMLResponse:
        notice, self._notice = self._notice, None
        return self._render(
            "index.html",
            status,
            settings=self.settings,
            launches=self.launches[::-1][:5],
            kinds=FAULT_KINDS,
            actions=ACTIONS,
            codes=[str(c) for c in ErrorCode],
            provider_url=self.settings.provider_url,
            notice=notice,
            error=error,
            **await self._fragments(0),
        )

    async def live(self, request: Request) -> JSONResponse:
        """New and changed rows since ``after``, and the fault and session lists."""
        raw = request.query_params.get("after", "0")
        after = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else 0
        parts = await self._fragments(after)
        rows = self._templates.get_template("_calls.html")
        return JSONResponse(
            {
                "last": parts["last"],
                "rows": [{"seq": v["seq"], "html": rows.render(calls=[v])} for v in parts["calls"]],
                "faults": self._templates.get_template("_faults.html").render(**parts),
                "sessions": self._templates.get_template("_sessions.html").render(**parts),
            }
        )

    async def export(self, request: Request) -> Response:
        """Every call as a JSON file."""
        body = json.dumps(export(self.wallet.calls()), indent=2, ensure_ascii=False)
        disposition = {"Content-Disposition": 'attachment; filename="sandbox-calls.json"'}
        return Response(body, media_type="application/json", headers=disposition)

    # -- forms ------------------------------------------------------------------------

    def _form(
        self, action: Callable[[Form], Awaitable[str]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                form = Form(await read_body(request, 16 * 1024))
                check_csrf(
                    form, self.csrf, request.headers.get("origin"), request.headers.get("host")
                )
                self._notice = await action(form)
            except CsrfError as exc:
                return await self._page(error=str(exc), status=403)
            except (FormError, ProtocolError) as exc:
                return await self._page(error=getattr(exc, "message", None) or str(exc), status=400)
            return RedirectResponse("/", status_code=303)

        return endpoint

    async def add_fault(self, form: Form) -> str:
        """Queue a fault for the next calls."""
        order = fault_order(form)
        self.wallet.add(order.fault, action=order.action, times=order.times)
        times = "until removed" if order.times is None else f"{order.times} time(s)"
        return f"queued: {order.fault.name} on {order.action or 'any'} call, {times}"

    async def remove_fault(self, form: Form) -> str:
        """Drop a queued fault."""
        rule = form.integer("rule", "Fault", 1, 10**9, 0)
        if not self.wallet.remove(rule):
            raise FormError(f"fault {rule} is no longer queued (it was used up or removed)")
        return f"fault {rule} removed"

    async def clear_faults(self, form: Form) -> str:
        """Drop every queued fault."""
        self.wallet.clear()
        return "every queued fault removed"

    async def open_session(self, form: Form) -> str:
        """Create and fund a player, open a session."""
        opened = await open_session(self._admin(), self.settings.client_id, session_order(form))
        self.sessions.append(opened)
        return f"session {opened.session_id} opened for {opened.player_id}"

    async def close_session(self, form: Form) -> str:
        """Close a session opened here."""
        session_id = form.required("session_id", "Session")
        session = next((s for s in self.sessions if s.session_id == session_id), None)
        if session is None:
            raise FormError("no such session was opened here")
        await self._admin().post(f"/admin/sessions/{session_id}/close", {"reason": "sandbox"})
        session.closed = True
        return f"session {session_id} closed: bets are refused, wins and refunds still land"

    async def launch(self, form: Form) -> str:
        """Launch a game at a provider."""
        order = launch_order(form)
        session = None
        if order.session_id is not None:
            session = next((s for s in self.sessions if s.session_id == order.session_id), None)
            if session is None:
                raise FormError("choose a session opened here")
        assert self._http is not None
        result = await launch(self._http, order, client_id=self.settings.client_id,
                              token=self.settings.token, session=session,
                              return_url=self.settings.public_url)  # fmt: skip
        self.launches.append(result)
        return "launched" if result.url else f"launch failed: {result.error}"


def build_sandbox(settings: SandboxSettings) -> Starlette:
    """The sandbox's ASGI app."""
    return Sandbox(settings).app
