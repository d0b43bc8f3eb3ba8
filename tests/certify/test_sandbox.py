"""The sandbox over HTTP: every wallet call is recorded with its signature verdict,
queued faults hit the next calls, sessions open funded, forms are CSRF-safe and bad
input gets the page back with a readable message (400), never a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelbridge.protocol import SIGN_HEADER, sign
from reelbridge.sandbox import Sandbox, SandboxSettings
from reelbridge.testing import serve_in_thread

TOKEN = "sandbox-token-of-the-suite"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Sandbox]]:
    folder: Path = tmp_path_factory.mktemp("sandbox")
    box = Sandbox(SandboxSettings(token=TOKEN, database_url=f"sqlite:///{folder / 'wallet.db'}"))
    with serve_in_thread(box.app) as url:
        yield url, box


@pytest.fixture
def web(sandbox: tuple[str, Sandbox]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox[0], timeout=10, follow_redirects=False) as client:
        yield client


def csrf(web: httpx.Client) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', web.get("/").text)
    assert match, "the page carries its form token"
    return match.group(1)


def post_form(web: httpx.Client, path: str, **fields: Any) -> httpx.Response:
    return web.post(path, data={"csrf": csrf(web), **{k: str(v) for k, v in fields.items()}})


def wallet_call(web: httpx.Client, body: dict[str, Any], token: str = TOKEN) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    response = web.post("/wallet/sandbox", content=raw, headers={SIGN_HEADER: sign(raw, token)})
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def open_session(web: httpx.Client, player: str, deposit: str = "100.00") -> str:
    response = post_form(
        web,
        "/sandbox/sessions",
        player_id=player,
        currency="EUR",
        game_id="book-of-reels",
        deposit=deposit,
    )
    assert response.status_code == 303, response.text
    match = re.search(r"session (\S+) opened", web.get("/").text)
    assert match
    return match.group(1)


def test_the_page_shows_how_to_connect_a_provider(web: httpx.Client) -> None:
    page = web.get("/")
    assert page.status_code == 200
    assert "/wallet/sandbox</code>" in page.text and TOKEN in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_calls_are_recorded_with_the_signature_verdict_and_why(web: httpx.Client) -> None:
    session = open_session(web, "player-sign")
    assert wallet_call(web, {"action": "balance", "session_id": session})["balance"] == 100.0
    refused = wallet_call(web, {"action": "balance", "session_id": session}, token="not-the-token")
    assert refused["code"] == "INVALID_SIGN"
    live = web.get("/sandbox/live", params={"after": 0}).json()
    rows = " ".join(row["html"] for row in live["rows"])
    assert "✓</b> valid" in rows and "does not match the bytes" in rows
    exported = web.get("/sandbox/export.json").json()
    assert [c["signature_ok"] for c in exported[-2:]] == [True, False]
    assert exported[-1]["answer"].startswith('{"status":false,"code":"INVALID_SIGN"')


def test_a_queued_fault_hits_the_next_matching_call_only(web: httpx.Client) -> None:
    session = open_session(web, "player-fault")
    queued = post_form(
        web,
        "/sandbox/faults",
        action="bet",
        kind="error",
        code="BET_FAILED_UNKNOWN_ERROR",
        message="injected",
        times=1,
    )
    assert queued.status_code == 303
    bet = {
        "action": "bet",
        "type": "bet",
        "session_id": session,
        "amount": 1.0,
        "transaction_id": "tx-fault-1",
        "round_id": "r-fault-1",
        "game_id": "book-of-reels",
    }
    assert wallet_call(web, {"action": "balance", "session_id": session})["status"] is True
    assert wallet_call(web, bet) == {
        "status": False,
        "code": "BET_FAILED_UNKNOWN_ERROR",
        "message": "injected",
    }
    assert wallet_call(web, {**bet, "transaction_id": "tx-fault-2"})["balance"] == 99.0
    assert "No fault queued" in web.get("/").text


def test_a_fault_can_be_removed_before_it_is_used(
    web: httpx.Client, sandbox: tuple[str, Sandbox]
) -> None:
    post_form(web, "/sandbox/faults", action="any", kind="garbage", times=0)
    (rule,) = sandbox[1].wallet.rules()
    assert rule.remaining is None, "times 0 means until removed"
    assert post_form(web, "/sandbox/faults/remove", rule=rule.id).status_code == 303
    assert sandbox[1].wallet.rules() == []
    again = post_form(web, "/sandbox/faults/remove", rule=rule.id)
    assert again.status_code == 400 and "no longer queued" in again.text


def test_a_closed_session_refuses_bets(web: httpx.Client) -> None:
    session = open_session(web, "player-close", deposit="5")
    assert post_form(web, "/sandbox/sessions/close", session_id=session).status_code == 303
    bet = {
        "action": "bet",
        "type": "bet",
        "session_id": session,
        "amount": 1.0,
        "transaction_id": "tx-closed",
        "round_id": "r-closed",
        "game_id": "book-of-reels",
    }
    assert wallet_call(web, bet)["code"] == "SESSION_NOT_FOUND"


def test_a_form_without_the_page_token_is_refused(
    web: httpx.Client, sandbox: tuple[str, Sandbox]
) -> None:
    response = web.post("/sandbox/faults", data={"action": "bet", "kind": "garbage"})
    assert response.status_code == 403
    assert "came from another site" in response.text
    cross = web.post(
        "/sandbox/faults",
        data={"csrf": csrf(web), "kind": "garbage"},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403 and "https://evil.example" in cross.text
    assert sandbox[1].wallet.rules() == []


@pytest.mark.parametrize(
    ("path", "fields", "message"),
    [
        ("/sandbox/faults", {"kind": "late", "seconds": "abc"}, "must be a number of seconds"),
        ("/sandbox/faults", {"kind": "late", "seconds": "1e9"}, "from 0.1 to 120 seconds"),
        ("/sandbox/faults", {"kind": "explode"}, "choose what the fault does"),
        ("/sandbox/faults", {"kind": "error", "code": "NOPE"}, "twelve error codes"),
        ("/sandbox/faults", {"kind": "http", "status": "200"}, "from 300 to 599"),
        ("/sandbox/faults", {"kind": "garbage", "times": "-1"}, "whole number"),
        (
            "/sandbox/sessions",
            {"player_id": "p", "currency": "EURO", "game_id": "g"},
            "three letters",
        ),
        (
            "/sandbox/sessions",
            {"player_id": "p", "currency": "EUR", "game_id": "g", "deposit": "1.00001"},
            "at most 4 decimals",
        ),
        (
            "/sandbox/sessions",
            {"player_id": "", "currency": "EUR", "game_id": "g"},
            "Player id is required",
        ),
        ("/sandbox/launch", {"provider_url": "ftp://x"}, "http:// or https://"),
        (
            "/sandbox/launch",
            {"provider_url": "http://127.0.0.1:9", "session_id": "nope"},
            "choose a session opened here",
        ),
        ("/sandbox/sessions/close", {"session_id": "nope"}, "no such session"),
    ],
)
def test_bad_input_gets_the_page_back_with_a_readable_message(
    web: httpx.Client, sandbox: tuple[str, Sandbox], path: str, fields: dict[str, str], message: str
) -> None:
    before = (len(sandbox[1].wallet.rules()), len(sandbox[1].sessions))
    response = post_form(web, path, **fields)
    assert response.status_code == 400, response.text[:300]
    assert message in response.text
    assert 'role="alert"' in response.text
    assert (len(sandbox[1].wallet.rules()), len(sandbox[1].sessions)) == before


def test_a_launch_at_an_unreachable_provider_is_reported(web: httpx.Client) -> None:
    open_session(web, "player-launch")
    response = post_form(
        web,
        "/sandbox/launch",
        provider_url="http://127.0.0.1:9",
        mode="demo",
        game_id="book-of-reels",
        language="en",
    )
    assert response.status_code == 303
    assert "the provider did not answer" in web.get("/").text


def test_a_form_that_is_not_utf8_is_a_readable_error(web: httpx.Client) -> None:
    response = web.post(
        "/sandbox/faults",
        content=b"csrf=\xff\xfe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400 and "could not be read" in response.text
