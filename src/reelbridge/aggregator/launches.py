"""A game launched for a player from outside the lobby (``reelbridge aggregator launch``).

The same steps as the lobby's *Play for real* (``lobby.py``), driven from a terminal: a
wallet session opened through the admin API (or one already open), then the signed
game-url call to the provider with session, player, currency, language and return URL;
or, for demo play, one signed demo-url call (no wallet, no player). The answer is the
launch URL a player's browser (or ``reelbridge provider play``) opens.

A launch the provider refuses or that cannot reach it closes the session it opened
(nothing is left open for a game that never started) and raises ``LaunchError`` with a
message for a person.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import httpx

from reelbridge.aggregator.provider_client import ProviderCallError, ProviderClient
from reelbridge.client import AdminClient, AdminError
from reelbridge.protocol import DemoUrlRequest, ErrorReply, GameUrlRequest, UrlReply


class LaunchError(Exception):
    """The launch could not be made; ``message`` says why, for a person."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Launch:
    """What to launch, and for whom.

    Attributes:
        client_id: our client id at the provider (the same id as at the wallet).
        game_id: the provider's game id.
        language: the game client's language (the provider falls back to English).
        return_url: where the game's exit button leads (the casino's lobby).
        player_id: the player (real money only).
        currency: the player's account currency (real money only).
        session_id: a wallet session already open for this player and game; without
            it (real money) one is opened through the admin API.
        demo: demo play: a signed demo-url call, no wallet session.
    """

    client_id: str
    game_id: str
    language: str
    return_url: str
    player_id: str | None = None
    currency: str | None = None
    session_id: str | None = None
    demo: bool = False

    def problem(self) -> str | None:
        """Why this launch can't be asked for (None: it can)."""
        if self.demo and self.session_id:
            return "a demo launch has no wallet session (drop --session)"
        if not self.demo and not (self.player_id and self.currency):
            return "a real-money launch needs a player and --currency (or --demo)"
        return None


@dataclass(frozen=True)
class Launched:
    """A launch made: the URL to open, and the wallet session behind it (real money)."""

    url: str
    session_id: str | None
    opened_session: bool


async def launch_game(
    launch: Launch,
    *,
    provider_url: str,
    client_token: str,
    admin: AdminClient | None,
    timeout_seconds: float = 30.0,  # float ok: seconds
) -> Launched:
    """Launch ``launch`` at the provider; open (and on failure close) its wallet session.

    Args:
        launch: what to launch.
        provider_url: the provider's API base (``/api/game-url`` is under it).
        client_token: the client's token at the provider (it signs the call).
        admin: the wallet's admin API, to open the session (real money without
            ``session_id``); None otherwise.
        timeout_seconds: the budget of the provider call.

    Raises:
        LaunchError: bad arguments, the wallet refused the session, the provider is
            unreachable, answered something unreadable, or refused the launch.
    """
    problem = launch.problem()
    if problem is not None:
        raise LaunchError(problem)
    session_id, opened = launch.session_id, False
    if not launch.demo and session_id is None:
        if admin is None:
            raise LaunchError("opening a wallet session needs the admin API (or give --session)")
        session_id = await asyncio.to_thread(_open_session, admin, launch)
        opened = True
    try:
        url = await _ask_provider(launch, session_id, provider_url, client_token, timeout_seconds)
    except LaunchError:
        if opened and admin is not None and session_id is not None:
            await asyncio.to_thread(_close_session, admin, session_id)
        raise
    return Launched(url=url, session_id=session_id, opened_session=opened)


def _open_session(admin: AdminClient, launch: Launch) -> str:
    assert launch.player_id is not None and launch.currency is not None
    try:
        return admin.open_session(
            launch.client_id, launch.player_id, launch.currency, launch.game_id
        )
    except AdminError as exc:
        raise LaunchError(f"the wallet refused to open a session: {exc.message}") from None
    except httpx.HTTPError as exc:
        raise LaunchError(f"the wallet's admin API could not be reached: {exc}") from None


def _close_session(admin: AdminClient, session_id: str) -> None:
    # Best effort: if this fails too, the unused session just expires later.
    with contextlib.suppress(AdminError, httpx.HTTPError):
        admin.close_session(session_id, reason="the launch failed")


async def _ask_provider(
    launch: Launch,
    session_id: str | None,
    provider_url: str,
    token: str,
    seconds: float,  # float ok: a timeout
) -> str:
    async with httpx.AsyncClient(timeout=seconds) as http:
        client = ProviderClient(provider_url, token, http=http)
        try:
            reply: UrlReply | ErrorReply
            if launch.demo:
                reply = await client.demo_url(
                    DemoUrlRequest(
                        client_id=launch.client_id,
                        game_id=launch.game_id,
                        language=launch.language,
                        return_url=launch.return_url,
                    )
                )
            else:
                assert session_id is not None and launch.player_id and launch.currency
                reply = await client.game_url(
                    GameUrlRequest(
                        client_id=launch.client_id,
                        game_id=launch.game_id,
                        currency=launch.currency,
                        language=launch.language,
                        session_id=session_id,
                        player_id=launch.player_id,
                        return_url=launch.return_url,
                    )
                )
        except ProviderCallError as exc:
            raise LaunchError(f"the provider at {provider_url}: {exc}") from None
    if isinstance(reply, ErrorReply):
        raise LaunchError(f"the provider refused the launch: {reply.code}: {reply.message}")
    return reply.url
