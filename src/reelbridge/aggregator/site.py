"""The aggregator's pages, wired: the lobby at ``/`` and the back office at
``/backoffice`` (``bootstrap.build_aggregator`` mounts ``site_routes``; the engine and
the clock come from there)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute

from reelbridge.aggregator.lobby import Lobby
from reelbridge.aggregator.provider_link import ProviderLink
from reelbridge.config import AggregatorSettings
from reelbridge.pages import Guard, derive_key, static_mount
from reelbridge.storage import Engine


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
    return [*lobby.routes(), static_mount()]
