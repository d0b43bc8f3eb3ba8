"""The aggregator's pages, wired: the lobby at ``/`` and the back office at
``/backoffice`` (``bootstrap.build_aggregator`` mounts ``site_routes``; the engine and
the clock come from there)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute

from reelbridge.aggregator.backoffice import NAV, BackOffice, P
from reelbridge.aggregator.backoffice_limits import LimitsPages
from reelbridge.aggregator.backoffice_ops import OpsPages
from reelbridge.aggregator.backoffice_play import PlayPages
from reelbridge.aggregator.lobby import Lobby
from reelbridge.aggregator.provider_link import ProviderLink, ProviderProblem
from reelbridge.config import AggregatorSettings
from reelbridge.pages import Guard, LoginArea, Pages, derive_key, static_mount
from reelbridge.storage import Engine


def _translate(exc: Exception) -> tuple[int, str] | None:
    if isinstance(exc, ProviderProblem):
        return 502, exc.message
    return None


def site_routes(
    settings: AggregatorSettings, *, engine: Engine, clock: Callable[[], int]
) -> list[BaseRoute]:
    """The lobby's and back office's routes and the pages' static files."""
    link = ProviderLink(engine=engine, settings=settings.lobby)
    lobby = Lobby(
        engine=engine,
        link=link,
        guard=Guard(
            key=derive_key(settings.admin_token, "lobby"),
            cookie="rb_lobby",
            clock=clock,
            ttl_seconds=24 * 3600,
        ),
        clock=clock,
        session_ttl_seconds=settings.session_ttl_seconds,
    )
    guard = Guard(key=derive_key(settings.admin_token, "backoffice"), cookie="rb_bo", clock=clock)
    pages = Pages(
        package="reelbridge.aggregator",
        area="backoffice",
        title="Back office",
        guard=guard,
        home=P,
        prefix=P,
        nav=NAV,
    )
    area = LoginArea(
        pages=pages, admin_token=settings.admin_token, prefix=P, home=P, translate=_translate
    )
    core = BackOffice(
        engine=engine,
        area=area,
        link=link,
        clock=clock,
        session_ttl_seconds=settings.session_ttl_seconds,
    )
    play = PlayPages(engine=engine, area=area, link=link, clock=clock)
    ops = OpsPages(engine=engine, area=area, link=link, clock=clock)
    limits = LimitsPages(engine=engine, area=area, clock=clock)
    return [
        *lobby.routes(),
        *area.routes(),
        *core.routes(),
        *play.routes(),
        *ops.routes(),
        *limits.routes(),
        static_mount(),
    ]
