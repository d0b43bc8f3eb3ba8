"""The back office's limits pages (B19–B21) over HTTP, as a browser sends its forms:
set, lower, raise (pending), cancel a pending change, remove; self-exclude and end it;
block and unblock. Every form needs a login, its CSRF token and a reason; bad input is
refused with a readable message and changes nothing; every change is audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reelbridge.ledger.limits import EXCLUSION_COOLING_OFF_US, LIMIT_COOLING_OFF_US

from .support import Aggregator, Browser, uid

pytestmark = pytest.mark.anyio


@pytest.fixture
def browser(aggregator: Aggregator) -> Iterator[Browser]:
    """A browser logged in to the back office as ``ana``."""
    b = Browser(aggregator.base_url)
    assert b.login().status_code == 303
    yield b
    b.http.close()


def new_player(aggregator: Aggregator) -> str:
    player_id = uid("player")
    aggregator.admin.create_player(player_id, "EUR")
    aggregator.admin.deposit(player_id, "EUR", "100", uid("dep"))
    return player_id


def page(player_id: str) -> str:
    return f"/backoffice/players/{player_id}/limits"


def limits_form(browser: Browser, player_id: str, **fields: str) -> dict[str, str]:
    """The EUR limits form as the page fills it in, changed by ``fields``."""
    html = browser.page(page(player_id)).text
    data = {"csrf": browser.csrf(page(player_id)), "currency": "EUR", "reason": "player asked"}
    for name in ("loss_day", "loss_week", "loss_month", "wager_day", "wager_week", "wager_month"):
        data[name] = _value(html, name)
    data["session_minutes"] = _value(html, "session_minutes")
    return {**data, **fields}


def _value(html: str, name: str) -> str:
    marker = f'name="{name}" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def account(aggregator: Aggregator, player_id: str) -> dict[str, Any]:
    (eur,) = aggregator.admin.limits(player_id)["accounts"]
    return dict(eur)


def test_b21_limits_are_set_lowered_raised_after_cooling_off_and_audited_from_the_page(
    aggregator: Aggregator, browser: Browser
) -> None:
    player_id = new_player(aggregator)
    path = page(player_id)
    done = browser.post(path, limits_form(browser, player_id, loss_day="50", session_minutes="90"))
    assert done.status_code == 303 and done.headers["location"] == path
    shown = browser.page(path).text
    assert "limits saved: loss per day, session time (minutes) in force now" in shown
    assert 'name="loss_day" value="50.00"' in shown
    eur = account(aggregator, player_id)
    assert (eur["limits"]["loss_day"]["limit"], eur["session_minutes"]) == ("50.0", 90)

    # a higher limit waits 24 hours; the page shows it waiting, the rest stays as it was
    asked = aggregator.clock.now
    browser.post(path, limits_form(browser, player_id, loss_day="80", wager_week="500"))
    eur = account(aggregator, player_id)
    assert eur["limits"]["loss_day"]["limit"] == "50.0"
    assert eur["limits"]["loss_day"]["applies_at"] == asked + LIMIT_COOLING_OFF_US
    assert eur["limits"]["wager_week"]["limit"] == "500.0"  # new: at once
    assert eur["session_minutes"] == 90
    shown = browser.page(path).text
    assert "→ 80.00 from" in shown
    assert "stakes per week in force now; loss per day changes on" in shown

    # cancelling the waiting change keeps the limit in force
    cancel = {"csrf": browser.csrf(path), "currency": "EUR", "keep": "loss_day", "reason": "no"}
    assert browser.post(path, cancel).status_code == 303
    assert account(aggregator, player_id)["limits"]["loss_day"]["pending"] is False

    rows = aggregator.listing("audit", subject=player_id, action="limits.set")
    assert len(rows) == 3 and {r["actor"] for r in rows} == {"backoffice:ana"}
    audit_page = browser.page(f"/backoffice/audit?subject={player_id}").text
    assert "50.00" in audit_page and "80.00" in audit_page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"loss_day": "-1"}, "must be more than zero"),
        ({"loss_day": "0"}, "more than zero"),
        ({"wager_month": "1.23456"}, "at most 4 decimals"),
        ({"session_minutes": "0"}, "whole number from 1 to 43200"),
        ({"session_minutes": "abc"}, "whole number"),
        ({"reason": ""}, "A reason is required"),
        ({"currency": "USD", "loss_day": "5"}, "has no USD account"),
        ({}, "nothing to change"),
        ({"keep": "loss_year"}, "choose a limit"),
    ],
)
def test_a_bad_limits_form_is_refused_with_a_message_and_changes_nothing(
    aggregator: Aggregator, browser: Browser, fields: dict[str, str], message: str
) -> None:
    player_id = new_player(aggregator)
    before = account(aggregator, player_id), aggregator.listing("audit", subject=player_id)
    refused = browser.post(page(player_id), limits_form(browser, player_id, **fields))
    assert refused.status_code in (400, 404), refused.text
    assert message in refused.text
    assert (
        account(aggregator, player_id),
        aggregator.listing("audit", subject=player_id),
    ) == before


def test_self_exclusion_and_blocking_from_the_page(
    aggregator: Aggregator, browser: Browser
) -> None:
    player_id = new_player(aggregator)
    path = page(player_id)
    exclusion = f"/backoffice/players/{player_id}/exclusion"
    form = {"csrf": browser.csrf(path), "indefinite": "1", "reason": "player asked"}
    assert browser.post(exclusion, form).status_code == 303
    assert account(aggregator, player_id)["excluded_indefinitely"] is True
    assert "Self-excluded" in browser.page(path).text
    asked = aggregator.clock.now
    ended = browser.post(exclusion, {"csrf": browser.csrf(path), "end": "1", "reason": "back"})
    assert ended.status_code == 303
    eur = account(aggregator, player_id)
    assert eur["excluded_indefinitely"] and eur["exclusion_applies_at"] == (
        asked + EXCLUSION_COOLING_OFF_US
    )
    past = browser.post(
        exclusion, {"csrf": browser.csrf(path), "until": "2001-01-01", "reason": "x"}
    )
    assert past.status_code == 400 and "must end in the future" in past.text

    block = f"/backoffice/players/{player_id}/block"
    assert (
        browser.post(
            block, {"csrf": browser.csrf(path), "blocked": "1", "reason": "fraud"}
        ).status_code
        == 303
    )
    assert account(aggregator, player_id)["blocked"] is True
    listed = browser.page("/backoffice/limits").text
    assert player_id in listed and "blocked" in listed
    assert (
        browser.post(
            block, {"csrf": browser.csrf(path), "blocked": "0", "reason": "ok"}
        ).status_code
        == 303
    )
    assert account(aggregator, player_id)["blocked"] is False
    actions = [r["action"] for r in aggregator.listing("audit", subject=player_id)]
    assert actions[:4] == ["limits.unblock", "limits.block", "limits.exclusion", "limits.exclusion"]


def test_without_the_login_cookie_or_the_csrf_token_no_limit_changes(
    aggregator: Aggregator, browser: Browser
) -> None:
    player_id = new_player(aggregator)
    form = limits_form(browser, player_id, loss_day="5")
    anonymous = Browser(aggregator.base_url)
    try:
        assert anonymous.post(page(player_id), form).status_code == 303  # to the login
        assert anonymous.page(page(player_id)).status_code == 303
    finally:
        anonymous.http.close()
    no_token = browser.post(page(player_id), {**form, "csrf": "forged"})
    assert no_token.status_code == 403
    block = f"/backoffice/players/{player_id}/block"
    assert browser.post(block, {"blocked": "1", "reason": "x"}).status_code == 403
    eur = account(aggregator, player_id)
    assert eur["limits"]["loss_day"]["limit"] is None and eur["blocked"] is False


def test_the_finder_opens_a_players_limits_and_an_unknown_player_is_explained(
    aggregator: Aggregator, browser: Browser
) -> None:
    player_id = new_player(aggregator)
    found = browser.page(f"/backoffice/limits?player_id={player_id}")
    assert found.status_code == 303 and found.headers["location"] == page(player_id)
    unknown = browser.page(page("nobody-" + uid("x")))
    assert unknown.status_code == 404 and "unknown player" in unknown.text
