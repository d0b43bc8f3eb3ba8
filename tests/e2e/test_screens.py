"""What the player sees: languages, the exit to the lobby, the paytable with its RTP and
jackpot disclosure (PROTOCOL.md B18), a phone screen, and a winning round with free games
played back screen by screen.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from e2e.support import (
    DESKTOP,
    PHONE,
    Casino,
    open_game,
    running_casino,
    screenshot,
    shown_balance,
    spin,
    sync_api,
    win_shown,
)
from reelbridge.games import DEFAULT_JACKPOTS, SeededRng, get_game

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = sync_api().expect

# SeededRng(18086) on Book of Reels with the default jackpots: the first real-money round
# wins on four lines (3× the stake), the second triggers 10 free games that pay.
WINNING_SEED = 18086


@pytest.mark.parametrize(
    ("language", "balance", "spin_label", "lang"),
    [
        ("de", "Guthaben", "Drehen", "de"),
        ("ru", "Баланс", "Крутить", "ru"),
        ("es", "Saldo", "Girar", "es"),
        ("pt", "Saldo", "Girar", "pt"),
        ("tr", "Bakiye", "Çevir", "tr"),
        ("xx", "Balance", "Spin", "en"),
    ],
)
def test_the_launch_language_chooses_the_strings(
    casino: Casino, page: Page, language: str, balance: str, spin_label: str, lang: str
) -> None:
    open_game(page, casino.launch_demo("book-of-reels", language=language))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator(".balance-meter .label")).to_have_text(balance)
    expect(page.get_by_test_id("spin")).to_have_attribute("aria-label", spin_label)
    expect(page.get_by_test_id("language")).to_have_value(lang)


def test_the_player_can_switch_the_language(casino: Casino, page: Page) -> None:
    player = casino.new_player("10")
    open_game(page, casino.launch(player, language="de"))
    expect(page.get_by_test_id("balance")).to_have_text("10,00 €")
    page.get_by_test_id("language").select_option("en")
    expect(page.locator(".balance-meter .label")).to_have_text("Balance")
    expect(page.get_by_test_id("balance")).to_have_text("€10.00")
    expect(page.get_by_test_id("message")).to_have_text("Press SPIN or the space bar")


def test_exit_goes_to_the_return_url(casino: Casino, page: Page) -> None:
    open_game(page, casino.launch_demo("classic-7s"))
    exit_link = page.get_by_test_id("exit")
    expect(exit_link).to_have_attribute("href", casino.lobby)
    expect(exit_link).to_have_attribute("aria-label", "Exit to lobby")
    exit_link.click()
    page.wait_for_url(casino.lobby)
    assert page.url == casino.lobby


def test_the_paytable_shows_the_rtp_symbols_and_lines(casino: Casino, page: Page) -> None:
    open_game(page, casino.launch_demo("book-of-reels"))
    page.get_by_test_id("paytable").click()
    dialog = page.get_by_test_id("paytable-dialog")
    expect(dialog).to_be_visible()
    base = get_game("book-of-reels").rtp  # a demo takes no part in jackpots: the base return
    expect(page.get_by_test_id("rtp")).to_have_text(
        f"Theoretical return to player (RTP): {_percent(base)}"
    )
    expect(dialog.locator(".pay-card")).to_have_count(11)
    expect(dialog.locator(".mini-line")).to_have_count(20)
    # pays at the stake chosen: PHARAOH ×5 pays 5000 × the line bet of 0.01
    expect(dialog.locator(".pay-card").filter(has_text="Pharaoh")).to_contain_text("FUN 50.00")
    # demo rounds take no part in jackpots: no levels, the sentence instead
    jackpots = page.get_by_test_id("jackpot-rules")
    expect(jackpots).to_contain_text("jackpots are won in real-money play only")
    expect(jackpots.locator("table")).to_have_count(0)
    screenshot(page, "demo-paytable")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def _percent(value: Fraction) -> str:
    # as the state answer gives them: four decimals, half up
    exact = Decimal(value.numerator) * 100 / Decimal(value.denominator)
    return f"{exact.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP)}%"


def _one_in(chance: Fraction) -> str:
    n = 1 / chance
    if n.denominator == 1:
        return f"1 in {n.numerator:,}"
    return f"about 1 in {int(n + Fraction(1, 2)):,}"


def _expect_jackpot_table(page: Page, total_stake: int) -> None:
    """The paytable's levels at ``total_stake`` (units), expected from the default plan."""
    table = page.get_by_test_id("jackpot-rules").locator("table")
    expect(table.locator("tbody tr")).to_have_count(len(DEFAULT_JACKPOTS.levels))
    for level in DEFAULT_JACKPOTS.levels:
        row = table.locator(f"tr[data-level='{level.name}']")
        expect(row.locator(".seed")).to_have_text(f"€{Decimal(level.seed) / 10_000:,.2f}")
        contribution = Decimal(level.contribution_ppm) / 10_000  # exact, as sent
        expect(row.locator(".contribution")).to_have_text(f"{contribution.normalize()}%")
        expect(row.locator(".chance")).to_have_text(
            _one_in(Fraction(total_stake, level.stake_per_hit))
        )
        expect(row.locator(".share")).to_have_text(_percent(level.rtp))


def test_the_paytable_discloses_the_rtp_split_and_the_jackpots_at_the_chosen_stake(
    casino: Casino, page: Page
) -> None:
    game = get_game("book-of-reels")
    smallest, second = (game.total_stake(b) for b in game.stake_levels[:2])
    base, jackpot = game.exact_rtp(game.stake_levels[0]), DEFAULT_JACKPOTS.rtp()
    assert base is not None
    open_game(page, casino.launch(casino.new_player("100")))
    dialog = page.get_by_test_id("paytable-dialog")
    page.get_by_test_id("paytable").click()
    expect(page.get_by_test_id("rtp")).to_have_text(
        f"Theoretical return to player (RTP) {_percent(base + jackpot)}: "
        f"base game {_percent(base)} + jackpots {_percent(jackpot)}"
    )
    rules = page.get_by_test_id("jackpot-rules")
    expect(rules).to_contain_text(f"current total bet of €{Decimal(smallest) / 10_000:.2f}")
    _expect_jackpot_table(page, smallest)
    bronze = DEFAULT_JACKPOTS.level("Bronze")
    assert _one_in(Fraction(smallest, bronze.stake_per_hit)) == "1 in 250,000"
    expect(rules.locator("li")).to_have_count(4)
    expect(rules).to_contain_text("paid in addition to the round's win")
    expect(rules).to_contain_text("demo rounds take no part in the jackpots")
    screenshot(page, "real-paytable-jackpots-desktop")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    body = page.locator("#paytable-body")
    assert body.evaluate("(el) => el.scrollWidth <= el.clientWidth")
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    for cell in rules.locator("tbody th, tbody td").all():
        inner = cell.bounding_box()
        assert inner is not None and box["x"] <= inner["x"]
        assert inner["x"] + inner["width"] <= box["x"] + box["width"]
    screenshot(page, "real-paytable-jackpots-phone")
    rules.locator("ul").scroll_into_view_if_needed()
    screenshot(page, "real-paytable-jackpots-phone-rules")
    page.set_viewport_size(DESKTOP)

    # a bigger stake: proportionally bigger chances, the same RTP split
    page.keyboard.press("Escape")
    page.get_by_test_id("stake").select_option("1")
    page.get_by_test_id("paytable").click()
    expect(rules).to_contain_text(f"current total bet of €{Decimal(second) / 10_000:.2f}")
    _expect_jackpot_table(page, second)
    expect(page.get_by_test_id("rtp")).to_contain_text(_percent(base + jackpot))

    # the page's language formats the figures
    page.keyboard.press("Escape")
    page.get_by_test_id("language").select_option("de")
    page.get_by_test_id("paytable").click()
    chance = f"1 zu {bronze.stake_per_hit // second:,}".replace(",", ".")
    expect(rules.locator("tr[data-level='Bronze'] .chance")).to_have_text(chance)
    total = _percent(base + jackpot).replace(".", ",").replace("%", "\u00a0%")
    expect(page.get_by_test_id("rtp")).to_contain_text(f"(RTP) {total}: Basisspiel")


@pytest.mark.parametrize("mode", ["demo", "real"])
def test_a_phone_screen_fits_without_horizontal_scrolling(
    casino: Casino, page: Page, mode: str
) -> None:
    page.set_viewport_size(PHONE)
    if mode == "demo":
        url = casino.launch_demo("book-of-reels", language="pt")
    else:
        url = casino.launch(casino.new_player("250"), language="ru")
    open_game(page, url)
    spin(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for control in ("spin", "stake", "autoplay", "balance", "win", "paytable", "exit"):
        box = page.get_by_test_id(control).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshot(page, f"{mode}-phone")


def test_a_win_and_free_games_are_shown_from_the_servers_outcome(
    tmp_path: Path, page: Page
) -> None:
    with running_casino(tmp_path, rng=SeededRng(WINNING_SEED)) as casino:
        player = casino.new_player("100")
        open_game(page, casino.launch(player))
        spin(page)  # a line win
        assert win_shown(page) == Decimal("0.60")
        expect(page.locator(".paylines polyline.stroke")).not_to_have_count(0)
        expect(page.locator(".cell.win")).not_to_have_count(0)
        expect(page.get_by_test_id("message")).to_have_text("You won €0.60")
        assert shown_balance(page) == casino.balance(player)
        expect(page.get_by_test_id("jackpots").locator(".jackpot")).to_have_count(3)
        screenshot(page, "real-win-desktop")
        page.set_viewport_size(PHONE)
        screenshot(page, "real-win-phone")
        page.set_viewport_size(DESKTOP)

        page.get_by_test_id("spin").click()  # ten free games
        counter = page.get_by_test_id("free-games")
        expect(counter).to_be_visible(timeout=30_000)
        expect(counter).to_contain_text("Free game 1 of 10")
        page.wait_for_selector("[data-testid=free-games][data-played='3']", timeout=30_000)
        screenshot(page, "real-free-games-desktop", settle=False)
        page.set_viewport_size(PHONE)
        page.wait_for_selector("[data-testid=free-games][data-played='5']", timeout=30_000)
        screenshot(page, "real-free-games-phone", settle=False)
        page.wait_for_selector("body[data-rounds='2'][data-state=idle]", timeout=90_000)
        expect(counter).to_be_hidden()
        assert win_shown(page) > 0
        expect(page.get_by_test_id("balance")).to_have_attribute("data-confirmed", "true")
        assert shown_balance(page) == casino.balance(player)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_expired_or_unknown_launch_says_so_and_cannot_spin(casino: Casino, page: Page) -> None:
    page.goto(f"{casino.provider_url}/game/no-such-launch-token")
    page.wait_for_selector("body[data-state=idle]")
    expect(page.get_by_test_id("message")).to_have_text(
        "This game session has expired. Please reopen the game from the casino."
    )
    expect(page.get_by_test_id("spin")).to_be_disabled()
