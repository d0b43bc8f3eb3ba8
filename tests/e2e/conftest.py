"""Fixtures of the browser suite: Debian's Chromium driven by Playwright, and casinos.

The suite needs ``/usr/bin/chromium`` (``apt-get install chromium``) and the
``playwright`` Python package; it never uses a browser that Playwright downloads.
Without them the tests are skipped, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from e2e.support import DESKTOP, Casino, running_casino, sync_api, unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for one test module.

    Not for the session: Playwright's sync API keeps an event loop running on the main
    thread while it is open, which would break every asyncio test collected after it.
    """
    api = sync_api()
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile per test: desktop size (tests may resize their page),
    turbo on."""
    ctx = browser.new_context(viewport=DESKTOP, locale="en-US", reduced_motion="no-preference")
    ctx.set_default_timeout(20_000)
    # the player's turbo setting, on: the same rounds, shown in half the time
    ctx.add_init_script("try { localStorage.setItem('reelbridge.turbo', '1') } catch (e) {}")
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page of the test's browser profile; script errors fail the test."""
    errors: list[Any] = []
    tab = context.new_page()
    tab.on("pageerror", lambda error: errors.append(error))
    yield tab
    assert not errors, f"script errors in the page: {errors}"


@pytest.fixture(scope="module")
def casino(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[Casino]:
    """Aggregator + provider on SQLite, shared by a test module (tests use fresh players)."""
    with running_casino(tmp_path_factory.mktemp("casino")) as running:
        yield running
