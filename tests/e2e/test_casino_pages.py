"""The casino side a person uses, in Debian's chromium: the issue's acceptance journey on
a fresh ``reelbridge demo`` (lobby → play for real → spin until a win → exit to the lobby
→ lobby, back-office ledger and wallet agree to the last 0.0001; a freespin campaign
created in the back office is shown by the game, played as type freespin, cancelled; a
round opened in the back office and in the console is replayed), then a tour that
screenshots every page on desktop and phone (``artifacts/screenshots/casino-*.png``).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from e2e.support import DESKTOP, PHONE, SCREENSHOTS, SETTLED, sync_api
from reelbridge.cli.demo import Demo, running_demo
from reelbridge.games import DEFAULT_JACKPOTS, SeededRng, get_game
from reelbridge.provider.catalog import percent
from reelbridge.testing import free_port

if TYPE_CHECKING:
    from playwright.sync_api import FrameLocator, Page

expect = sync_api().expect
# SeededRng(18086) on Book of Reels with the default jackpots: the first real-money round
# wins on four lines (see test_screens.py).
WINNING_SEED = 18086


def screenshot(page: Page, name: str) -> None:
    """A whole-page screenshot under ``artifacts/screenshots/`` once animations ended."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate(SETTLED)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def free_pair() -> int:
    """A port whose next port is free too (the demo takes both)."""
    for _ in range(50):
        port = free_port()
        try:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        return port
    raise AssertionError("no two free ports in a row")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``reelbridge demo`` on fresh data (as the command runs it), with a seeded draw."""
    folder = tmp_path_factory.mktemp("demo") / "data"
    with running_demo(folder, free_pair(), fresh=True, rng=SeededRng(WINNING_SEED)) as running:
        yield running


def admin_get(demo: Demo, path: str, *, provider: bool = False, **params: Any) -> Any:
    base, token = (
        (demo.provider_url, demo.provider_admin_token)
        if provider
        else (demo.lobby, demo.admin_token)
    )
    response = httpx.get(
        base + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


def wallet_balance(demo: Demo, player: str = "alice", currency: str = "EUR") -> Decimal:
    (row,) = admin_get(demo, "/admin/players", player_id=player, currency=currency)["items"]
    return Decimal(row["balance"])


def log_in(page: Page, url: str, token: str, name: str = "ana") -> None:
    page.goto(url)
    page.fill("input[name=name]", name)
    page.fill("input[name=token]", token)
    page.get_by_test_id("login").click()
    expect(page.get_by_test_id("flash")).to_contain_text(f"Welcome, {name}.")


def game(page: Page) -> FrameLocator:
    """The game in the play page's frame, once it can spin."""
    frame = page.frame_locator("[data-testid=game-frame]")
    frame.locator("body[data-state=idle]").wait_for(timeout=30_000)
    frame.locator("[data-testid=balance][data-confirmed=true]").wait_for(timeout=30_000)
    return frame


def spin(frame: FrameLocator) -> Decimal:
    """Spin once in the frame; the win shown."""
    rounds = int(frame.locator("body").get_attribute("data-rounds") or 0)
    frame.get_by_test_id("spin").click()
    frame.locator(f"body[data-rounds='{rounds + 1}'][data-state=idle]").wait_for(timeout=90_000)
    return Decimal(frame.get_by_test_id("win").get_attribute("data-value") or "0")


def play_for_real(page: Page, demo: Demo, game_id: str = "book-of-reels") -> FrameLocator:
    page.goto(f"{demo.lobby}/?account=EUR:alice&language=en")
    page.locator(f"[data-game={game_id}]").get_by_test_id("play-real").click()
    page.wait_for_url("**/lobby/play?t=*")
    return game(page)


def lobby_balance(page: Page) -> Decimal:
    return Decimal(page.get_by_test_id("lobby-balance").get_attribute("data-value") or "NaN")


def test_the_acceptance_journey(page: Page, demo: Demo) -> None:
    csp: list[str] = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security" in m.text else None)

    # the lobby: the provider's games, a player, a balance
    page.goto(f"{demo.lobby}/")
    expect(page.get_by_test_id("game")).to_have_count(2)
    disclosed = percent(get_game("book-of-reels").rtp + DEFAULT_JACKPOTS.rtp())  # base + jackpots
    expect(page.locator("[data-game=book-of-reels] [data-testid=rtp]")).to_have_text(
        f"RTP {disclosed}%"
    )
    assert lobby_balance(page) == wallet_balance(demo) == Decimal("1000")
    screenshot(page, "casino-lobby-desktop")

    # play for real, spin until a win; the casino bar follows the wallet
    frame = play_for_real(page, demo)
    for _ in range(30):
        if spin(frame) > 0:
            break
    else:
        raise AssertionError("no win in 30 spins")
    game_balance = Decimal(frame.get_by_test_id("balance").get_attribute("data-value") or "")
    page.wait_for_function(
        "v => document.querySelector('[data-testid=lobby-balance]').dataset.value === v",
        arg=_exact(game_balance),
    )
    screenshot(page, "casino-play-real-win")

    # exit returns to the lobby; lobby, ledger and wallet agree to the last 0.0001
    frame.get_by_test_id("exit").click()
    page.wait_for_url(f"{demo.lobby}/?account=EUR%3Aalice&language=en")
    wallet = wallet_balance(demo)
    assert lobby_balance(page) == wallet == game_balance
    log_in(page, f"{demo.lobby}/backoffice", demo.admin_token)
    page.goto(f"{demo.lobby}/backoffice/ledger?player_id=alice")
    newest = page.get_by_test_id("ledger-row").first
    assert Decimal(newest.get_attribute("data-balance-after") or "") == wallet
    winning_round = admin_get(demo, "/admin/rounds", provider=True, player_id="alice")["items"][0]
    assert Decimal(winning_round["win"]) > 0

    # a freespin campaign from the back office: shown by the game, played as freespin
    page.goto(f"{demo.lobby}/backoffice/campaigns")
    page.get_by_test_id("campaign-player").select_option("EUR:alice")
    page.get_by_test_id("campaign-stake").select_option("book-of-reels|0")
    page.get_by_test_id("campaign-quantity").fill("3")
    campaign_id = page.get_by_test_id("campaign-id").input_value()
    page.get_by_test_id("create-campaign").click()
    expect(page.get_by_test_id("flash")).to_contain_text(f"campaign {campaign_id}: 3 free spins")
    row = page.locator(f"[data-campaign='{campaign_id}']")
    expect(row.get_by_test_id("spins-left")).to_have_text("3")
    frame = play_for_real(page, demo)
    expect(frame.get_by_test_id("campaign")).to_be_visible()
    expect(frame.get_by_test_id("campaign")).to_have_attribute("data-remaining", "3")
    before = wallet_balance(demo)
    spin(frame)
    freespin = admin_get(demo, "/admin/rounds", provider=True, player_id="alice")["items"][0]
    assert freespin["kind"] == "freespin"
    rows = admin_get(demo, "/admin/transactions", round_id=freespin["round_id"])["items"]
    bet = next(r for r in rows if r["action"] == "bet")
    assert (bet["type"], Decimal(bet["amount"])) == ("freespin", 0)
    assert {r["type"] for r in rows if r["action"] == "win"} <= {"freespin"}
    assert wallet_balance(demo) == before + Decimal(freespin["win"] or "0")
    page.goto(f"{demo.lobby}/backoffice/campaigns")
    expect(row.get_by_test_id("spins-left")).to_have_text("2")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    row.get_by_test_id("cancel-campaign").click()
    expect(page.get_by_test_id("flash")).to_contain_text("cancelled")
    expect(row).to_contain_text("cancelled")
    expect(row.get_by_test_id("cancel-campaign")).to_have_count(0)
    assert asked == [f"Cancel campaign {campaign_id}? Its 2 unplayed spins become void."]
    frame = play_for_real(page, demo)
    expect(frame.get_by_test_id("campaign")).to_be_hidden()

    # a round opened in the back office shows its replay; the console draws its reels
    page.goto(f"{demo.lobby}/backoffice/rounds/{winning_round['round_id']}")
    expect(page.get_by_test_id("verdict")).to_contain_text("agree")
    expect(page.get_by_test_id("replay-verified")).to_contain_text("verified")
    expect(page.get_by_test_id("screen").first.locator(".sym.win")).not_to_have_count(0)
    screenshot(page, "casino-backoffice-round")
    log_in(page, f"{demo.provider_url}/", demo.provider_admin_token, "studio")
    page.goto(f"{demo.provider_url}/console/rounds/{winning_round['round_id']}")
    page.wait_for_selector("#replay[data-ready=true]")
    expect(page.locator("#replay .cell")).to_have_count(15)
    expect(page.locator("#replay .cell.win")).not_to_have_count(0)
    expect(page.locator("#replay .paylines polyline")).not_to_have_count(0)
    screenshot(page, "casino-console-round-replay")
    assert csp == [], csp


def _exact(value: Decimal) -> str:
    """The wire's text of an amount: shortest, at least one decimal (``1000.3``)."""
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


BACK_OFFICE = {
    "overview": "",
    "players": "/players",
    "player": "/players/alice",
    "limits": "/limits",
    "player-limits": "/players/alice/limits",
    "sessions": "/sessions",
    "ledger": "/ledger",
    "reconciliation": "/reconciliation",
    "campaigns": "/campaigns",
    "jackpots": "/jackpots",
    "anomalies": "/anomalies",
    "audit": "/audit",
}
CONSOLE = {
    "overview": "/",
    "games": "/console/games",
    "rounds": "/console/rounds",
    "outbox": "/console/outbox",
    "clients": "/console/clients",
    "campaigns": "/console/campaigns",
    "jackpots": "/console/jackpots",
}


def no_horizontal_scroll(page: Page) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_every_page_on_desktop_and_phone(page: Page, demo: Demo) -> None:
    page.goto(f"{demo.lobby}/backoffice")
    expect(page.get_by_test_id("login-form")).to_be_visible()
    screenshot(page, "casino-backoffice-login")
    log_in(page, f"{demo.lobby}/backoffice", demo.admin_token)
    for name, path in BACK_OFFICE.items():
        response = page.goto(f"{demo.lobby}/backoffice{path}")
        assert response is not None and response.status == 200, name
        screenshot(page, f"casino-backoffice-{name}")
    page.goto(f"{demo.provider_url}/")
    screenshot(page, "casino-console-login")
    log_in(page, f"{demo.provider_url}/", demo.provider_admin_token, "studio")
    for name, path in CONSOLE.items():
        response = page.goto(f"{demo.provider_url}{path}")
        assert response is not None and response.status == 200, name
        screenshot(page, f"casino-console-{name}")

    page.set_viewport_size(PHONE)
    page.goto(f"{demo.lobby}/?account=EUR:alice")
    no_horizontal_scroll(page)
    screenshot(page, "casino-lobby-phone")
    page.locator("[data-game=classic-7s]").get_by_test_id("play-demo").click()
    game(page)
    screenshot(page, "casino-play-demo-phone")
    for name in ("overview", "player", "ledger"):
        page.goto(f"{demo.lobby}/backoffice{BACK_OFFICE[name]}")
        screenshot(page, f"casino-backoffice-{name}-phone")
    rounds = admin_get(demo, "/admin/rounds", provider=True, kind="real")["items"]
    page.goto(f"{demo.provider_url}/console/rounds/{rounds[-1]['round_id']}")
    page.wait_for_selector("#replay[data-ready=true]")
    screenshot(page, "casino-console-round-phone")
    page.set_viewport_size(DESKTOP)
