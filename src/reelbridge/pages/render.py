"""Rendering the pages: one Jinja2 environment per area, shared filters and layout,
security headers, and the money and time formats every page uses.

Templates of an area (``reelbridge.aggregator`` or ``reelbridge.provider``) live in its
``templates/`` folder and extend ``layout.html`` of this package; static files are this
package's ``static/`` folder, served at ``/pages/static/`` by both sides (no CDN: every
page works offline).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from reelbridge.pages.auth import Guard, Login
from reelbridge.protocol import display_amount, format_amount, parse_amount_text
from reelbridge.protocol.money import AmountError

STATIC_PATH = "/pages/static"


def money(value: Any, currency: str = "") -> str:
    """An amount (units, or the listings' exact decimal text) in the currency's decimals,
    grouped, never rounded; an empty cell for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return display_amount(value, currency)
    try:
        return display_amount(parse_amount_text(str(value)), currency)
    except AmountError:
        return str(value)


def exact(value: Any) -> str:
    """An amount as exact decimal text (``data-value`` attributes tests and scripts read)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return format_amount(value)
    return "" if value is None else str(value)


def when(microseconds: Any, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A stored timestamp (µs since the epoch) in UTC."""
    if not isinstance(microseconds, int) or isinstance(microseconds, bool):
        return ""
    moment = datetime.datetime.fromtimestamp(microseconds / 1_000_000, datetime.UTC)
    return moment.strftime(fmt)


def static_mount() -> Mount:
    """The route of the shared static files (CSS, scripts)."""
    return Mount(STATIC_PATH, app=StaticFiles(packages=[("reelbridge.pages", "static")]))


@dataclass(frozen=True)
class NavItem:
    """A link of an area's navigation."""

    path: str
    label: str


class Pages:
    """Renders an area's templates with its navigation, login and flash message."""

    def __init__(
        self,
        *,
        package: str,
        area: str,
        title: str,
        guard: Guard,
        home: str = "/",
        prefix: str = "",
        nav: Iterable[NavItem] = (),
    ) -> None:
        self.area = area
        self.title = title
        self.guard = guard
        self.nav = tuple(nav)
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(
                [
                    jinja2.PackageLoader(package, "templates"),
                    jinja2.PackageLoader("reelbridge.pages", "templates"),
                ]
            ),
            autoescape=jinja2.select_autoescape(["html", "svg"]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["money"] = money
        self._env.filters["when"] = when
        self._env.filters["exact"] = exact
        self._env.globals.update(static=STATIC_PATH, home=home, prefix=prefix)

    def compile_all(self) -> list[str]:
        """Compile every template this area can render (a test catches a syntax error
        before a person meets it); their names."""
        names = self._env.list_templates(extensions=["html"])
        for name in names:
            self._env.get_template(name)
        return names

    def render(
        self,
        request: Request,
        name: str,
        *,
        login: Login | None = None,
        status: int = 200,
        origins: Iterable[str] = (),
        frames: Iterable[str] = (),
        **context: Any,
    ) -> HTMLResponse:
        """A page. ``origins`` may serve images and receive forms' redirects (the
        provider's thumbnails and game pages); ``frames`` may be shown in a frame."""
        flash = self.guard.flash_of(request)
        html = self._env.get_template(name).render(
            area=self.area,
            area_title=self.title,
            nav=self.nav,
            path=request.url.path,
            login=login,
            csrf="" if login is None else login.csrf,
            flash=flash,
            **context,
        )
        extra = " ".join(sorted(set(origins)))
        framed = " ".join(sorted(set(frames))) or "'none'"
        policy = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: {extra}; form-action 'self' {extra}; "
            f"frame-src {framed}; frame-ancestors 'none'; base-uri 'none'; "
            "object-src 'none'"
        )
        response = HTMLResponse(
            html,
            status_code=status,
            headers={
                "Content-Security-Policy": " ".join(policy.split()),
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "same-origin",
                "Cache-Control": "no-store",
            },
        )
        self.guard.clear_flash(request, response)
        return response
