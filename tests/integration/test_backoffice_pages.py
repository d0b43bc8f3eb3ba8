"""The back office over HTTP (as a browser sends its forms): a login is needed, every form
needs its CSRF token, bad input gets a readable message and changes nothing, and no page
answers a server error. The lobby without a provider says so."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .support import ADMIN_TOKEN, Aggregator, Browser, uid, units


@pytest.fixture
def new_browser(aggregator: Aggregator) -> Iterator[Callable[[], Browser]]:
    """Fresh browsers (no cookie), closed at the end of the test."""
    made: list[Browser] = []

    def make() -> Browser:
        made.append(Browser(aggregator.base_url))
        return made[-1]

    yield make
    for b in made:
        b.http.close()


@pytest.fixture
def browser(new_browser: Callable[[], Browser]) -> Browser:
    """A browser logged in to the back office as ``ana``."""
    b = new_browser()
    assert b.login().status_code == 303
    return b


def new_player(aggregator: Aggregator, balance: str = "0") -> str:
    player_id = uid("player")
    aggregator.admin.create_player(player_id, "EUR")
    if units(balance):
        aggregator.admin.deposit(player_id, "EUR", balance, uid("dep"))
    return player_id


def balance(aggregator: Aggregator, player_id: str) -> int:
    (row,) = aggregator.listing("players", player_id=player_id)
    return units(row["balance"])


def audit_rows(aggregator: Aggregator, player_id: str) -> list[dict[str, Any]]:
    return aggregator.listing("audit", subject=player_id)


def money_form(browser: Browser, player_id: str, **fields: str) -> dict[str, str]:
    path = f"/backoffice/players/{player_id}"
    data = {
        "csrf": browser.csrf(path),
        "reference": browser.field(path, "reference"),
        "kind": "deposit",
        "currency": "EUR",
        "amount": "25.50",
        "reason": "bank transfer 1",
    }
    return {**data, **fields}


def test_a_page_of_the_back_office_needs_a_login(new_browser: Callable[[], Browser]) -> None:
    anonymous = new_browser()
    response = anonymous.page("/backoffice/players?player_id=x")
    assert response.status_code == 303
    assert (
        response.headers["location"] == "/backoffice/login?next=/backoffice/players%3Fplayer_id%3Dx"
    )


def test_a_wrong_admin_token_does_not_log_in(new_browser: Callable[[], Browser]) -> None:
    b = new_browser()
    response = b.login(token="not-the-token")
    assert response.status_code == 401
    assert "wrong admin token" in response.text
    assert b.page("/backoffice").status_code == 303


def test_the_login_form_needs_its_csrf_token_and_a_name(
    new_browser: Callable[[], Browser],
) -> None:
    b = new_browser()
    refused = b.post("/backoffice/login", {"name": "ana", "token": ADMIN_TOKEN})
    assert refused.status_code == 400 and "reload the page" in refused.text
    nameless = b.post(
        "/backoffice/login", {"csrf": b.csrf("/backoffice/login"), "name": "", "token": ADMIN_TOKEN}
    )
    assert nameless.status_code == 400 and "your name" in nameless.text
    assert b.page("/backoffice").status_code == 303


def test_the_login_cookie_is_httponly_and_samesite_strict(
    new_browser: Callable[[], Browser],
) -> None:
    b = new_browser()
    header = b.login().headers.get_list("set-cookie")
    login = next(h for h in header if h.startswith("rb_bo="))
    assert "HttpOnly" in login and "SameSite=strict" in login


def test_a_deposit_with_a_reason_moves_the_money_and_is_audited(
    aggregator: Aggregator, browser: Browser
) -> None:
    player_id = new_player(aggregator, "10")
    response = browser.post(
        f"/backoffice/players/{player_id}/money", money_form(browser, player_id)
    )
    assert response.status_code == 303
    shown = browser.page(response.headers["location"]).text
    assert f"deposit of 25.50 EUR done: {player_id} now has 35.50 EUR" in shown
    assert balance(aggregator, player_id) == units("35.5")
    (row,) = [a for a in audit_rows(aggregator, player_id) if a["action"] == "money.deposit"][:1]
    assert (row["actor"], row["reason"]) == ("backoffice:ana", "bank transfer 1")


def test_a_money_form_sent_twice_moves_the_money_once(
    aggregator: Aggregator, browser: Browser
) -> None:
    player_id = new_player(aggregator)
    form = money_form(browser, player_id, amount="5")
    assert browser.post(f"/backoffice/players/{player_id}/money", form).status_code == 303
    again = browser.post(f"/backoffice/players/{player_id}/money", form)
    assert "already sent: nothing changed" in browser.page(again.headers["location"]).text
    assert balance(aggregator, player_id) == units("5")


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"reason": ""}, 400, "A reason is required"),
        ({"amount": "abc"}, 400, "is not an amount with at most 4 decimals"),
        ({"amount": "1.23456"}, 400, "is not an amount with at most 4 decimals"),
        ({"amount": "-5"}, 400, "must be more than zero"),
        ({"amount": ""}, 400, "The amount is required"),
        ({"kind": "steal"}, 400, "Operation must be one of"),
        ({"currency": "E"}, 400, "three letters"),
        ({"kind": "withdrawal", "amount": "10.01"}, 409, "insufficient balance"),
        ({"reason": "a\x00b"}, 400, "printable"),
    ],
)
def test_a_bad_money_form_is_refused_with_a_message_and_changes_nothing(
    aggregator: Aggregator, browser: Browser, fields: dict[str, str], status: int, message: str
) -> None:
    player_id = new_player(aggregator, "10")
    before = (balance(aggregator, player_id), audit_rows(aggregator, player_id))
    response = browser.post(
        f"/backoffice/players/{player_id}/money", money_form(browser, player_id, **fields)
    )
    assert response.status_code == status
    assert message in response.text
    assert 'data-testid="error"' in response.text  # shown on the page of the form
    assert (balance(aggregator, player_id), audit_rows(aggregator, player_id)) == before


def test_money_for_an_unknown_player_is_refused(aggregator: Aggregator, browser: Browser) -> None:
    known = new_player(aggregator)
    form = money_form(browser, known)
    response = browser.post(f"/backoffice/players/{uid('ghost')}/money", form)
    assert response.status_code == 404 and "unknown player" in response.text


def test_without_the_login_cookie_or_the_csrf_token_nothing_changes(
    aggregator: Aggregator, browser: Browser, new_browser: Callable[[], Browser]
) -> None:
    player_id = new_player(aggregator, "10")
    form = money_form(browser, player_id, amount="7")
    path = f"/backoffice/players/{player_id}/money"
    stranger = new_browser()
    assert stranger.post(path, form).status_code == 303  # to the login page
    no_token = browser.post(path, {k: v for k, v in form.items() if k != "csrf"})
    assert no_token.status_code == 403 and "came from another site" in no_token.text
    forged = browser.post(path, {**form, "csrf": "forged"})
    assert forged.status_code == 403
    other_login = new_browser()
    other_login.login("eve")
    assert other_login.post(path, form).status_code == 403  # ana's token is not eve's
    foreign = browser.post(path, form, Origin="https://evil.example")
    assert foreign.status_code == 403 and "evil.example" in foreign.text
    assert balance(aggregator, player_id) == units("10")
    assert [a for a in audit_rows(aggregator, player_id) if a["actor"] != "admin"] == []


def test_sessions_are_opened_and_closed_from_the_back_office(
    aggregator: Aggregator, browser: Browser
) -> None:
    client_id, _ = aggregator.new_client()
    player_id = new_player(aggregator)
    csrf = browser.csrf("/backoffice/sessions")
    opened = browser.post(
        "/backoffice/sessions",
        {"csrf": csrf, "client_id": client_id, "player_id": player_id, "currency": "EUR",
         "game_id": "book-of-reels", "hours": "2", "reason": "support ticket 9"},
    )  # fmt: skip
    assert opened.status_code == 303
    (session,) = aggregator.listing("sessions", player_id=player_id)
    assert session["status"] == "open"
    assert session["expires_at"] - session["created_at"] == 2 * 3600 * 1_000_000
    closed = browser.post(f"/backoffice/sessions/{session['session_id']}/close", {"csrf": csrf})
    assert closed.status_code == 303
    assert aggregator.listing("sessions", player_id=player_id)[0]["status"] == "closed"
    unknown = browser.post(
        "/backoffice/sessions",
        {"csrf": csrf, "client_id": uid("nobody"), "player_id": player_id, "currency": "EUR",
         "game_id": "g"},
    )  # fmt: skip
    assert unknown.status_code == 404 and "unknown client" in unknown.text
    assert len(aggregator.listing("sessions", player_id=player_id)) == 1


def test_the_ledger_filters_and_exports_csv(aggregator: Aggregator, browser: Browser) -> None:
    player_id = new_player(aggregator, "10")
    aggregator.admin.withdraw(player_id, "EUR", "2.5", uid("wd"))
    page = browser.page(f"/backoffice/ledger?player_id={player_id}&action=withdrawal").text
    assert page.count('data-testid="ledger-row"') == 1
    assert 'data-amount="2.5"' in page and "2.50" in page
    exported = browser.page(f"/backoffice/ledger.csv?player_id={player_id}")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted((r["action"], r["amount"], r["balance_after"]) for r in rows) == [
        ("deposit", "10.0", "10.0"),
        ("withdrawal", "2.5", "7.5"),
    ]
    today = browser.page(f"/backoffice/ledger?player_id={player_id}&from=2000-01-01&to=2100-01-01")
    assert today.text.count('data-testid="ledger-row"') == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [("from=31.01.2026", "a date like 2026-01-31"), ("type=cash", "Type must be one of")],
)
def test_a_bad_ledger_filter_is_explained(browser: Browser, query: str, message: str) -> None:
    response = browser.page(f"/backoffice/ledger?{query}")
    assert response.status_code == 400 and message in response.text


def test_the_admin_api_adds_display_fields_and_keeps_the_wire_format(
    aggregator: Aggregator,
) -> None:
    player_id = uid("player")
    aggregator.admin.create_player(player_id, "EUR")
    done = aggregator.admin.deposit(player_id, "EUR", "1000", uid("dep"))
    assert (done["balance"], done["balance_display"]) == ("1000.0", "1,000.00")
    (row,) = aggregator.listing("players", player_id=player_id)
    assert (row["balance"], row["balance_display"]) == ("1000.0", "1,000.00")
    (tx,) = aggregator.listing("transactions", player_id=player_id)
    assert (tx["amount_display"], tx["balance_after_display"]) == ("1,000.00", "1,000.00")


def test_every_page_answers_without_a_server_error(
    aggregator: Aggregator, browser: Browser
) -> None:
    player_id = new_player(aggregator, "3")
    pages = {
        "/backoffice": "Overview",
        "/backoffice/players": player_id,
        f"/backoffice/players/{player_id}": "Balance over time",
        "/backoffice/sessions": "Open a session",
        "/backoffice/ledger": "The ledger balances",
        "/backoffice/rounds/no-such-round": "not configured",
        "/backoffice/reconciliation": "not configured",
        "/backoffice/campaigns": "no provider is configured",
        "/backoffice/jackpots": "no provider is configured",
        "/backoffice/anomalies": "Anomalies",
        "/backoffice/audit": "money.deposit",
        "/backoffice/limits": "Accounts with settings",
        f"/backoffice/players/{player_id}/limits": "Save EUR limits",
    }
    for path, text in pages.items():
        response = browser.page(path)
        assert response.status_code == 200, (path, response.text)
        assert text in response.text, path
    unknown = browser.page(f"/backoffice/players/{uid('ghost')}")
    assert unknown.status_code == 400 and "there is no player" in unknown.text


def test_logout_ends_the_login(aggregator: Aggregator, browser: Browser) -> None:
    csrf = browser.csrf("/backoffice")
    assert browser.post("/backoffice/logout", {"csrf": csrf}).status_code == 303
    assert browser.page("/backoffice").status_code == 303


def test_the_lobby_without_a_provider_says_so(new_browser: Callable[[], Browser]) -> None:
    b = new_browser()
    lobby = b.page("/")
    assert lobby.status_code == 200 and "no provider is configured" in lobby.text
    assert "Play for real" not in lobby.text  # no player picking outside the demo
    assert b.page("/lobby/balance?account=EUR:alice").status_code == 404
    refused = b.post("/lobby/play", {"game_id": "book-of-reels", "mode": "demo"})
    assert refused.status_code == 400 and "reload the page" in refused.text
    assert b.page("/lobby/play?t=forged").status_code == 303
