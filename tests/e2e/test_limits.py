"""Responsible gambling in a real browser (docs/PROTOCOL-part-b.md B19): a loss limit set
on the back office's limits page refuses the next spin, and the game shows the wallet's
message (a known error: nothing moved, nothing refunded). Screenshots:
``artifacts/screenshots/casino-backoffice-limits-set.png``, ``real-loss-limit.png``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from e2e.support import (
    AGGREGATOR_ADMIN,
    Casino,
    open_game,
    screenshot,
    shown_balance,
    spin,
    sync_api,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = sync_api().expect
LOSS_DAY = "This bet would exceed your daily loss limit"


def test_b19_a_loss_limit_set_in_the_back_office_shows_its_message_in_the_game(
    casino: Casino, page: Page
) -> None:
    player = casino.new_player("50")
    page.goto(f"{casino.aggregator_url}/backoffice/players/{player.player_id}/limits")
    page.fill("input[name=name]", "ana")
    page.fill("input[name=token]", AGGREGATOR_ADMIN)
    page.get_by_test_id("login").click()
    form = page.get_by_test_id("limits-form-EUR")
    form.locator("input[name=loss_day]").fill("0.10")  # below the smallest stake, 0.20
    form.locator("input[name=session_minutes]").fill("120")
    page.get_by_test_id("limits-reason").fill("player asked by email, ticket #31")
    page.get_by_test_id("save-limits").click()
    expect(page.get_by_test_id("flash")).to_contain_text("limits saved: loss per day")
    expect(page.get_by_test_id("limit-loss_day")).to_have_attribute("data-limit", "0.1")
    screenshot(page, "casino-backoffice-limits-set")

    open_game(page, casino.launch(player))
    spin(page)
    expect(page.get_by_test_id("message")).to_have_text(LOSS_DAY)
    expect(page.get_by_test_id("message")).to_have_attribute("data-kind", "error")
    expect(page.get_by_test_id("balance")).to_have_attribute("data-confirmed", "true")
    assert shown_balance(page) == casino.balance(player) == Decimal("50")
    screenshot(page, "real-loss-limit")
    rows = casino.wallet.get("/admin/transactions", player_id=player.player_id, action="bet")
    assert [(r["outcome"], r["message"]) for r in rows["items"]] == [
        ("BET_FAILED_KNOWN_ERROR", LOSS_DAY)
    ]
    refunds = casino.wallet.get("/admin/transactions", player_id=player.player_id, action="refund")
    assert refunds["items"] == []
