"""Helpers of the browser suite: a casino (aggregator + provider over loopback HTTP) and
the few page actions every test uses.

The casino is wired as ``reelbridge demo`` wires it: each side knows the other's client,
the aggregator funds a player and opens a wallet session, and games are launched with
signed game-url / demo-url calls (``ProviderClient``), so the page under test is the
one a real lobby would open.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from reelbridge.aggregator.provider_client import ProviderClient
from reelbridge.bootstrap import build_aggregator, build_provider
from reelbridge.config import AggregatorSettings, ProviderSettings
from reelbridge.protocol import CreateFreespins, DemoUrlRequest, ErrorReply, GameUrlRequest
from reelbridge.testing import AdminClient, free_port, serve_in_thread

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

T = TypeVar("T")
AGGREGATOR_ADMIN = "aggregator-admin-token-of-the-e2e-suite"
PROVIDER_ADMIN = "provider-admin-token-of-the-e2e-suite"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
SETTLED = """Promise.all(document.getAnimations()
    .filter((a) => Number.isFinite(a.effect?.getComputedTiming().endTime))
    .map((a) => a.finished.catch(() => null)))"""
"""A page script that resolves once every finite animation and transition has ended."""
PHONE: ViewportSize = {"width": 375, "height": 740}


def unavailable(why: str) -> None:
    """Skip the browser tests, or fail them under ``CI=true`` (CI must never skip them)."""
    message = f"the browser tests cannot run: {why}"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)


def sync_api() -> ModuleType:
    """``playwright.sync_api`` for a test module (skipped, or failed on CI, without it)."""
    try:
        import playwright.sync_api as api
    except ImportError:
        unavailable("the playwright package is not installed (pip install playwright)")
    return api


def uid(prefix: str) -> str:
    """An identifier no other test uses."""
    return f"{prefix}-{secrets.token_hex(5)}"


def run_async(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on a loop of its own thread (Playwright's sync API owns this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(work())).result()  # type: ignore[arg-type]


@dataclass(frozen=True)
class Player:
    """A funded aggregator player with a wallet session for one game."""

    player_id: str
    session_id: str
    game_id: str
    currency: str


@dataclass
class Casino:
    """The aggregator (wallet, lobby) and the provider (games) of one test module."""

    aggregator_url: str
    provider_url: str
    wallet: AdminClient
    provider_admin: AdminClient
    client_id: str
    token: str

    @property
    def lobby(self) -> str:
        """The return URL given at launch: the aggregator's lobby."""
        return f"{self.aggregator_url}/"

    def new_player(
        self, balance: str = "100", *, game_id: str = "book-of-reels", currency: str = "EUR"
    ) -> Player:
        """A player funded with ``balance`` and a wallet session for ``game_id``."""
        player_id = uid("player")
        self.wallet.create_player(player_id, currency)
        if Decimal(balance):
            self.wallet.deposit(player_id, currency, balance, uid("deposit"))
        session_id = self.wallet.open_session(self.client_id, player_id, currency, game_id)
        return Player(player_id, session_id, game_id, currency)

    def balance(self, player: Player) -> Decimal:
        """The player's balance as the wallet holds it (admin API)."""
        page = self.wallet.get(
            "/admin/players", player_id=player.player_id, currency=player.currency
        )
        (row,) = page["items"]
        return Decimal(str(row["balance"]))

    def _call(self, request: Any, method: str) -> Any:
        async def work() -> Any:
            client = ProviderClient(self.provider_url, self.token)
            try:
                return await getattr(client, method)(request)
            finally:
                await client.aclose()

        reply = run_async(work)
        assert not isinstance(reply, ErrorReply), reply
        return reply

    def launch(self, player: Player, *, language: str = "en") -> str:
        """The launch URL of a real-money game for ``player`` (signed game-url call)."""
        request = GameUrlRequest(
            client_id=self.client_id,
            game_id=player.game_id,
            currency=player.currency,
            language=language,
            session_id=player.session_id,
            player_id=player.player_id,
            return_url=self.lobby,
        )
        return str(self._call(request, "game_url").url)

    def launch_demo(self, game_id: str = "classic-7s", *, language: str = "en") -> str:
        """The launch URL of a demo game (signed demo-url call)."""
        request = DemoUrlRequest(
            client_id=self.client_id, game_id=game_id, language=language, return_url=self.lobby
        )
        return str(self._call(request, "demo_url").url)

    def give_free_spins(self, player: Player, quantity: int, bet_id: int = 0) -> None:
        """Create a freespin campaign for ``player`` (signed create-campaign call)."""
        now = int(time.time())
        request = CreateFreespins(
            client_id=self.client_id,
            game_id=player.game_id,
            player_id=player.player_id,
            campaign_id=uid("campaign"),
            currency=player.currency,
            quantity=quantity,
            valid_from=now - 60,
            valid_until=now + 3600,
            bet_id=bet_id,
        )
        self._call(request, "create_freespins")


@contextlib.contextmanager
def running_casino(
    folder: Path, *, rng: Any = None, wallet_url: str | None = None, **settings: Any
) -> Iterator[Casino]:
    """Both sides on SQLite files in ``folder``, served on loopback ports.

    ``wallet_url`` replaces the wallet address the provider is given (to make the
    wallet unreachable); ``settings`` are ``ProviderSettings`` fields.
    """
    folder.mkdir(parents=True, exist_ok=True)
    client_id, token = uid("casino"), "token-" + secrets.token_hex(16)
    provider_port = free_port()
    provider_url = f"http://127.0.0.1:{provider_port}"
    aggregator = build_aggregator(
        AggregatorSettings(
            database_url=f"sqlite:///{folder / 'aggregator.db'}", admin_token=AGGREGATOR_ADMIN
        )
    )
    provider = build_provider(
        ProviderSettings(
            database_url=f"sqlite:///{folder / 'provider.db'}",
            admin_token=PROVIDER_ADMIN,
            public_url=provider_url,
            **settings,
        ),
        rng=rng,
    )
    with contextlib.ExitStack() as exits:
        aggregator_url = exits.enter_context(serve_in_thread(aggregator))
        exits.enter_context(serve_in_thread(provider, port=provider_port))
        wallet = exits.enter_context(AdminClient(aggregator_url, AGGREGATOR_ADMIN))
        provider_admin = exits.enter_context(AdminClient(provider_url, PROVIDER_ADMIN))
        wallet.upsert_client(client_id, [token], reason="e2e")
        provider_admin.post(
            "/admin/clients",
            {
                "client_id": client_id,
                "tokens": [token],
                "wallet_url": wallet_url or f"{aggregator_url}/wallet/{client_id}",
                "reason": "e2e",
            },
        )
        yield Casino(aggregator_url, provider_url, wallet, provider_admin, client_id, token)


# -- the page ------------------------------------------------------------------------------


def open_game(page: Page, url: str) -> None:
    """Open a launch URL and wait until the game is ready to spin."""
    page.goto(url)
    page.wait_for_selector("body[data-state=idle]")
    page.wait_for_selector("[data-testid=balance][data-confirmed=true]")


def rounds_played(page: Page) -> int:
    """Rounds the page has finished (``body[data-rounds]``)."""
    return int(page.locator("body").get_attribute("data-rounds") or 0)


def spin(page: Page, *, key: bool = False, timeout: float = 60_000) -> None:
    """Spin once (button, or space bar) and wait until the round has been shown."""
    done = rounds_played(page) + 1
    if key:
        page.keyboard.press("Space")
    else:
        page.get_by_test_id("spin").click()
    page.wait_for_selector(f"body[data-rounds='{done}'][data-state=idle]", timeout=timeout)


def shown_balance(page: Page) -> Decimal:
    """The balance the page shows (its exact decimal, from ``data-value``)."""
    return Decimal(page.get_by_test_id("balance").get_attribute("data-value") or "NaN")


def win_shown(page: Page) -> Decimal:
    """The win of the last round the page shows (exact decimal; 0 when none)."""
    return Decimal(page.get_by_test_id("win").get_attribute("data-value") or "0")


def screenshot(page: Page, name: str, *, settle: bool = True) -> Path:
    """Save a screenshot under ``artifacts/screenshots/`` (kept by CI), once the page's
    animations have ended unless ``settle`` is false (a screen that is about to move)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if settle:
        page.evaluate(SETTLED)
    page.screenshot(path=str(path))
    return path
