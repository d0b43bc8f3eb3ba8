"""An area of pages behind a login (the back office, the studio console).

``LoginArea`` serves the login and logout forms and wraps an area's handlers: a page
needs a login (else it redirects to the login page); an action (a form's POST) needs a
login *and* the form's CSRF token, and either redirects with a flash message or shows
the page it came from again with the reason it was refused (HTTP 400), having changed
nothing. The login is the side's admin token and a name, which the audit log records.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reelbridge.pages.auth import Login
from reelbridge.pages.forms import MAX_FORM_BYTES, CsrfError, Form, FormError
from reelbridge.pages.render import Pages
from reelbridge.protocol import ProtocolError
from reelbridge.storage import StorageError
from reelbridge.web import AdminError, read_body

log = logging.getLogger("reelbridge.pages")
_NAME = re.compile(r"[A-Za-z0-9 ._@-]{1,40}")

PageHandler = Callable[[Request, Login, str | None], Awaitable[Response]]
"""Renders a page for a login, with an error message from a refused form (or None)."""
ActionHandler = Callable[[Request, Form, Login], Awaitable[tuple[str, str]]]
"""Carries out a form; answers where to go next and what to tell the person there."""
Translate = Callable[[Exception], tuple[int, str] | None]
"""An area's own errors as (HTTP status, message); None: not one of them."""


class LoginArea:
    """Login, logout and the guards of one area's pages and forms."""

    def __init__(
        self,
        *,
        pages: Pages,
        admin_token: str,
        prefix: str,
        home: str,
        translate: Translate | None = None,
    ) -> None:
        self.pages = pages
        self._token = admin_token.encode()
        self.prefix = prefix
        self.home = home
        self._translate = translate

    def routes(self) -> list[Route]:
        """The login page, its form and logout."""
        return [
            Route(f"{self.prefix}/login", self.login_page, methods=["GET"]),
            Route(f"{self.prefix}/login", self.login, methods=["POST"]),
            Route(f"{self.prefix}/logout", self.logout, methods=["POST"]),
        ]

    # -- login --------------------------------------------------------------------

    def _next(self, request: Request) -> str:
        target = request.query_params.get("next", "")
        # only a path of this area: never a redirect to another site
        if target.startswith(self.prefix + "/") or target in (self.home, self.prefix):
            return target if "//" not in target and "\\" not in target else self.home
        return self.home

    async def login_page(
        self, request: Request, error: str | None = None, status: int = 200
    ) -> Response:
        """The login form."""
        placeholder = Response()
        visitor = self.pages.guard.anonymous(request, placeholder)
        response = self.pages.render(
            request,
            "login.html",
            status=status,
            csrf_token=visitor.csrf,
            error=error,
            action=f"{self.prefix}/login?next={quote(self._next(request), safe='/')}",
        )
        for key, value in placeholder.raw_headers:
            if key == b"set-cookie":
                response.raw_headers.append((key, value))
        return response

    async def login(self, request: Request) -> Response:
        """Check the admin token; log in under the name given."""
        try:
            form = Form(await read_body(request, MAX_FORM_BYTES))
            self.pages.guard.check(request, form, anonymous=True)
            name = form.get("name")
            if not _NAME.fullmatch(name):
                raise FormError("your name (for the audit log): 1–40 letters, digits, . _ @ -")
            if not hmac.compare_digest(form.get("token").encode(), self._token):
                return await self.login_page(request, "wrong admin token", status=401)
        except FormError as exc:
            return await self.login_page(request, str(exc), status=400)
        except ProtocolError as exc:
            return await self.login_page(request, exc.message, status=400)
        response = RedirectResponse(self._next(request), status_code=303)
        self.pages.guard.log_in(response, request, name)
        self.pages.guard.flash(response, request, f"Welcome, {name}.")
        return response

    async def logout(self, request: Request) -> Response:
        """Log out (a form with the CSRF token: no other site can log you out)."""
        response = RedirectResponse(f"{self.prefix}/login", status_code=303)
        try:
            form = Form(await read_body(request, MAX_FORM_BYTES))
            self.pages.guard.check(request, form)
        except (FormError, ProtocolError):
            return RedirectResponse(self.home, status_code=303)
        self.pages.guard.log_out(response)
        self.pages.guard.flash(response, request, "You are logged out.")
        return response

    # -- guards -------------------------------------------------------------------

    def _to_login(self, request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(
            f"{self.prefix}/login?next={quote(target, safe='/')}", status_code=303
        )

    def _problem(self, exc: Exception) -> tuple[int, str] | None:
        if isinstance(exc, FormError):
            return 400, str(exc)
        if isinstance(exc, AdminError):
            return exc.status, exc.message
        if isinstance(exc, ProtocolError):
            return 400, exc.message
        if isinstance(exc, StorageError):
            log.error("page failed: %s", exc)
            return 503, "the database is unavailable: retry in a moment"
        return None if self._translate is None else self._translate(exc)

    async def _error_page(self, request: Request, login: Login, status: int, text: str) -> Response:
        return self.pages.render(request, "error.html", login=login, status=status, message=text)

    def page(self, handler: PageHandler) -> Callable[[Request], Awaitable[Response]]:
        """A page that needs a login."""

        async def endpoint(request: Request) -> Response:
            login = self.pages.guard.current(request)
            if login is None:
                return self._to_login(request)
            try:
                return await handler(request, login, None)
            except Exception as exc:
                problem = self._problem(exc)
                if problem is None:
                    raise
                return await self._error_page(request, login, *problem)

        return endpoint

    def action(
        self, handler: ActionHandler, back: PageHandler
    ) -> Callable[[Request], Awaitable[Response]]:
        """A form's POST: login and CSRF token checked, then ``handler``; a refusal shows
        ``back`` (the page of the form) with the reason."""

        async def endpoint(request: Request) -> Response:
            login = self.pages.guard.current(request)
            try:
                form = Form(await read_body(request, MAX_FORM_BYTES))
                login = self.pages.guard.check(request, form)
                location, message = await handler(request, form, login)
            except CsrfError as exc:
                if login is None:
                    return self._to_login(request)
                return await self._refused(request, login, back, str(exc), 403)
            except Exception as exc:
                problem = self._problem(exc)
                if problem is None or login is None:
                    raise
                return await self._refused(request, login, back, problem[1], problem[0])
            response = RedirectResponse(location, status_code=303)
            self.pages.guard.flash(response, request, message)
            return response

        return endpoint

    async def _refused(
        self, request: Request, login: Login, back: PageHandler, text: str, status: int
    ) -> Response:
        try:
            response = await back(request, login, text)
        except Exception as exc:
            problem = self._problem(exc)
            if problem is None:
                raise
            return await self._error_page(request, login, status, text)
        response.status_code = status
        return response
