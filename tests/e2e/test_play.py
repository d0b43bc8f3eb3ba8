"""Playing in a real browser: demo and real money, the wallet's refusals, keyboard,
autoplay and freespin campaigns (PROTOCOL.md Part A "What the provider must do on
errors", B4, B7, B17). The page never shows a balance the wallet has not confirmed.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from e2e.support import (
    DESKTOP,
    PHONE,
    Casino,
    open_game,
    rounds_played,
    running_casino,
    screenshot,
    shown_balance,
    spin,
    sync_api,
    win_shown,
)
from reelbridge.games import SeededRng
from reelbridge.testing import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = sync_api().expect


def test_demo_launch_plays_on_the_virtual_balance(tmp_path: Path, page: Page) -> None:
    # SeededRng(4): the first Classic 7s round wins on two lines (12.6× the stake)
    with running_casino(tmp_path, rng=SeededRng(4)) as casino:
        open_game(page, casino.launch_demo("classic-7s"))
        expect(page.get_by_test_id("mode")).to_have_text("Demo · play money")
        expected = shown_balance(page)
        assert expected == Decimal("1000")
        expect(page.get_by_test_id("stake").locator("option").first).to_have_text("FUN 0.50")
        for round_number in range(3):
            spin(page)
            expect(page.get_by_test_id("balance")).to_have_attribute("data-confirmed", "true")
            expected += win_shown(page) - Decimal("0.50")
            assert shown_balance(page) == expected
            if round_number == 0:
                assert win_shown(page) == Decimal("6.30")
                expect(page.locator(".paylines polyline.stroke")).to_have_count(2)
                screenshot(page, "demo-win-desktop")
                page.set_viewport_size(PHONE)
                screenshot(page, "demo-win-phone")
                page.set_viewport_size(DESKTOP)


def test_real_money_balance_is_the_wallets_after_every_spin(casino: Casino, page: Page) -> None:
    player = casino.new_player("50")
    open_game(page, casino.launch(player))
    expect(page.get_by_test_id("mode")).to_have_text("Real money")
    assert shown_balance(page) == casino.balance(player) == Decimal("50")
    page.get_by_test_id("stake").select_option("2")  # 1.00 EUR
    expected = Decimal("50")
    for _ in range(4):
        spin(page)
        expect(page.get_by_test_id("balance")).to_have_attribute("data-confirmed", "true")
        expected += win_shown(page) - Decimal("1.00")
        assert shown_balance(page) == casino.balance(player) == expected
    # the pools exist once a real-money stake fed them; the ticker shows the next poll's
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.get_by_test_id("jackpots").locator(".jackpot")).to_have_count(3)
    if expected == expected.quantize(Decimal("0.01")):  # not after a (rare) jackpot win
        expect(page.get_by_test_id("balance")).to_have_text(f"€{expected:,.2f}")
    screenshot(page, "real-desktop")


def test_a_bet_above_the_balance_shows_the_wallets_message(casino: Casino, page: Page) -> None:
    player = casino.new_player("0.05")
    open_game(page, casino.launch(player))
    expect(page.get_by_test_id("balance")).to_have_text("€0.05")
    spin(page)  # the smallest stake, 0.20 EUR
    expect(page.get_by_test_id("message")).to_have_text("Insufficient balance")
    expect(page.get_by_test_id("message")).to_have_attribute("data-kind", "error")
    # the answer carried no balance: the page waits for the wallet, then shows its figure
    expect(page.get_by_test_id("balance")).to_have_attribute("data-confirmed", "true")
    assert shown_balance(page) == casino.balance(player) == Decimal("0.05")
    screenshot(page, "real-insufficient-balance")


def test_the_space_bar_spins(casino: Casino, page: Page) -> None:
    open_game(page, casino.launch_demo("book-of-reels"))
    page.keyboard.press("Space")
    expect(page.locator("body")).to_have_attribute("data-state", "spinning")
    page.wait_for_selector("body[data-rounds='1'][data-state=idle]")
    # a focused button must not turn the space bar into a second action
    turbo = page.get_by_test_id("turbo")
    expect(turbo).to_have_attribute("aria-pressed", "true")
    turbo.focus()
    spin(page, key=True)
    assert rounds_played(page) == 2
    expect(turbo).to_have_attribute("aria-pressed", "true")


def test_autoplay_plays_until_its_stop_button_is_pressed(casino: Casino, page: Page) -> None:
    player = casino.new_player("100")
    open_game(page, casino.launch(player))
    page.get_by_test_id("autoplay").click()
    page.get_by_test_id("autoplay-10").click()
    expect(page.locator("body")).to_have_attribute("data-autoplay", "on")
    page.wait_for_selector("body[data-rounds='2']", timeout=60_000)
    expect(page.get_by_test_id("autoplay")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("autoplay").click()  # the stop button
    expect(page.locator("body")).to_have_attribute("data-autoplay", "off")
    page.wait_for_selector("body[data-state=idle]")
    played = rounds_played(page)
    page.wait_for_timeout(1500)
    assert rounds_played(page) == played < 10
    expect(page.get_by_test_id("balance")).to_have_attribute("data-confirmed", "true")
    assert shown_balance(page) == casino.balance(player)


def test_a_freespin_campaign_shows_its_spins_left_and_costs_nothing(
    casino: Casino, page: Page
) -> None:
    player = casino.new_player("20")
    casino.give_free_spins(player, quantity=3, bet_id=2)
    open_game(page, casino.launch(player))
    banner = page.get_by_test_id("campaign")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-remaining", "3")
    expect(banner).to_contain_text("Free spins left: 3")
    expect(page.get_by_test_id("stake")).to_be_disabled()
    expect(page.get_by_test_id("stake")).to_have_value("2")
    screenshot(page, "real-campaign")
    spin(page)
    expect(banner).to_have_attribute("data-remaining", "2")
    expect(page.get_by_test_id("balance")).to_have_attribute("data-confirmed", "true")
    # the campaign pays the stake: the wallet moved by the win alone
    win = Decimal(page.get_by_test_id("win").get_attribute("data-value") or "0")
    assert casino.balance(player) == Decimal("20") + win == shown_balance(page)


def test_an_unreachable_wallet_shows_unknown_error_and_no_guessed_balance(
    tmp_path: Path, page: Page
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/wallet"
    with running_casino(tmp_path, wallet_url=dead, relay_interval_seconds=60.0) as casino:
        player = casino.new_player("10")
        page.set_viewport_size(PHONE)
        page.goto(casino.launch(player))
        page.wait_for_selector("body[data-state=idle]")
        balance = page.get_by_test_id("balance")
        expect(balance).to_have_attribute("data-confirmed", "false")
        expect(balance).to_have_text("— …")
        spin(page)
        expect(page.get_by_test_id("message")).to_have_text("Unknown error")
        expect(balance).to_have_attribute("data-confirmed", "false")
        expect(balance).to_have_attribute("data-value", "")
        screenshot(page, "real-unknown-error-phone")


def test_the_sound_switch_turns_the_beeps_off_and_stays_off(casino: Casino, page: Page) -> None:
    url = casino.launch_demo("classic-7s")
    open_game(page, url)
    sound = page.get_by_test_id("sound")
    expect(sound).to_have_attribute("aria-pressed", "true")
    expect(sound).to_have_attribute("aria-label", "Sound")
    spin(page)  # with sound: the WebAudio beeps play without a script error
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "false")
    page.reload()
    page.wait_for_selector("body[data-state=idle]")
    expect(page.get_by_test_id("sound")).to_have_attribute("aria-pressed", "false")
