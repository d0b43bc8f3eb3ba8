"""``reelbridge sandbox`` in Debian's chromium, with reelbridge's provider pointed at it:
the engineer opens a funded session, launches the game through the page (a signed
game-url call), queues a fault, plays in the game's own tab, and watches every wallet
call arrive live with its signature verdict and answer; then exports the log."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from e2e.support import open_game, screenshot, spin, sync_api
from reelbridge.bootstrap import build_provider
from reelbridge.config import ProviderSettings
from reelbridge.sandbox import Sandbox, SandboxSettings
from reelbridge.testing import AdminClient, free_port, serve_in_thread

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

expect = sync_api().expect
PROVIDER_ADMIN = "provider-admin-token-of-the-sandbox-test"


@dataclass(frozen=True)
class Studio:
    """The sandbox and the studio's provider pointed at it."""

    sandbox_url: str
    provider_url: str
    token: str


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[Studio]:
    folder: Path = tmp_path_factory.mktemp("studio")
    token = f"sandbox-{secrets.token_hex(8)}"
    sandbox_port, provider_port = free_port(), free_port()
    sandbox = Sandbox(
        SandboxSettings(
            token=token,
            database_url=f"sqlite:///{folder / 'sandbox.db'}",
            public_url=f"http://127.0.0.1:{sandbox_port}",
            provider_url=f"http://127.0.0.1:{provider_port}",
        )
    )
    provider = build_provider(
        ProviderSettings(
            database_url=f"sqlite:///{folder / 'provider.db'}",
            admin_token=PROVIDER_ADMIN,
            public_url=f"http://127.0.0.1:{provider_port}",
            wallet_timeout_seconds=1.0,
            relay_interval_seconds=0.1,
            jackpots=None,
        )
    )
    with contextlib.ExitStack() as running:
        sandbox_url = running.enter_context(serve_in_thread(sandbox.app, port=sandbox_port))
        provider_url = running.enter_context(serve_in_thread(provider, port=provider_port))
        with AdminClient(provider_url, PROVIDER_ADMIN) as admin:  # the studio's configuration
            admin.post(
                "/admin/clients",
                {
                    "client_id": "sandbox",
                    "tokens": [token],
                    "wallet_url": f"{sandbox_url}/wallet/sandbox",
                },
            )
        yield Studio(sandbox_url, provider_url, token)


def test_an_engineer_plays_against_the_sandbox_and_watches_the_calls(
    studio: Studio, page: Page
) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(studio.sandbox_url)
    expect(page.get_by_test_id("wallet-url")).to_have_text(f"{studio.sandbox_url}/wallet/sandbox")
    expect(page.get_by_test_id("live")).to_have_text("live")
    screenshot(page, "sandbox-empty")

    form = page.get_by_test_id("session-form")
    form.get_by_label("Player").fill("alice")
    form.get_by_label("Deposit").fill("50.00")
    form.get_by_test_id("open-session").click()
    expect(page.get_by_test_id("notice")).to_contain_text("opened for alice")
    expect(page.get_by_test_id("balance")).to_have_text("50.0 EUR")

    page.get_by_test_id("launch").click()
    link = page.get_by_test_id("launch-url")
    expect(link).to_have_attribute("href", re.compile(rf"^{re.escape(studio.provider_url)}/game/"))

    faults = page.get_by_test_id("fault-form")
    faults.locator("select[name=action]").select_option("bet")
    faults.get_by_test_id("fault-kind").select_option("error")
    faults.locator("select[name=code]").select_option("BET_FAILED_UNKNOWN_ERROR")
    faults.get_by_test_id("queue-fault").click()
    expect(page.get_by_test_id("queue")).to_contain_text(
        "reply BET_FAILED_UNKNOWN_ERROR on bet call"
    )

    with page.context.expect_page() as opened:
        link.click()
    game = opened.value
    open_game(game, game.url)
    spin(game)  # the bet meets the fault: the provider shows "Unknown error" and refunds
    expect(game.get_by_text("Unknown error").first).to_be_visible()
    spin(game)  # a clean round: bet and win

    calls = page.get_by_test_id("calls")
    expect(calls.locator("[data-action=refund]")).to_have_count(1)
    expect(calls.locator("[data-action=win]")).to_have_count(1)  # live: no reload
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    faulted = calls.locator("[data-action=bet]").last
    expect(faulted.get_by_test_id("fault")).to_have_text("reply BET_FAILED_UNKNOWN_ERROR")
    expect(calls.get_by_test_id("signature").first).to_contain_text("valid")
    expect(calls.locator(".unsigned")).to_have_count(0)
    page.bring_to_front()
    faulted.locator("summary").click()
    expect(faulted.locator("pre.body").first).to_contain_text('"action": "bet"')
    expect(faulted.locator("pre.body").last).to_contain_text("BET_FAILED_UNKNOWN_ERROR")
    screenshot(page, "sandbox-calls")

    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert {c["action"] for c in exported} >= {"balance", "bet", "refund", "win"}
    assert all(c["signature_ok"] for c in exported)


def test_bad_input_is_shown_on_the_page(studio: Studio, page: Page) -> None:
    page.goto(studio.sandbox_url)
    faults = page.get_by_test_id("fault-form")
    faults.get_by_test_id("fault-kind").select_option("late")
    faults.locator("input[name=seconds]").fill("forever")
    faults.get_by_test_id("queue-fault").click()
    expect(page.get_by_test_id("error")).to_have_text("Seconds must be a number of seconds")
    screenshot(page, "sandbox-error")
