"""The studio console at the provider's ``/`` over HTTP: behind the provider's admin
login, every page answers (no server error), and a recalled round's page carries the
stored outcome the replay draws."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import httpx
import pytest

from provider.support import AGGREGATOR_ADMIN, PROVIDER_ADMIN, Stack, uid
from reelbridge.games import get_game
from reelbridge.provider.catalog import percent


@pytest.fixture
def console(stack: Stack) -> Iterator[httpx.Client]:
    """A client logged in to the console."""
    with httpx.Client(base_url=stack.provider_url, timeout=60) as http:
        assert log_in(http, PROVIDER_ADMIN).status_code == 303
        yield http


def log_in(http: httpx.Client, token: str) -> httpx.Response:
    page = http.get("/console/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    return http.post("/console/login", data={"csrf": csrf[1], "name": "studio", "token": token})


def test_the_console_needs_the_providers_admin_token(stack: Stack) -> None:
    with httpx.Client(base_url=stack.provider_url, timeout=30) as http:
        first = http.get("/")
        assert first.status_code == 303 and first.headers["location"] == "/console/login?next=/"
        refused = log_in(http, AGGREGATOR_ADMIN)
        assert refused.status_code == 401 and "wrong admin token" in refused.text
        assert http.get("/console/rounds").status_code == 303


def test_every_console_page_answers(stack: Stack, console: httpx.Client) -> None:
    player = stack.new_player(balance="5")
    token = stack.launch(player)
    stack.spin(token)
    stack.settle_all()
    pages = {
        "/": "Rounds by status",
        "/console/games": "Hit frequency",
        "/console/rounds": player.player_id,
        f"/console/rounds?player_id={player.player_id}&kind=real": player.player_id,
        "/console/outbox": "Outbox",
        "/console/outbox?view=stuck": "Stuck",
        "/console/outbox?view=delivered": "delivered",
        "/console/clients": stack.client_id,
        "/console/campaigns": "Freespin campaigns",
        "/console/jackpots": "Jackpot pools",
    }
    for path, text in pages.items():
        response = console.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert text in response.text, path
    hit = percent(get_game("book-of-reels").par_sheet().hit_frequency)  # 37.03 %
    assert f"{hit} %" in console.get("/console/games").text
    unknown = console.get(f"/console/rounds/{uid('nope')}")
    assert unknown.status_code == 404 and "there is no round" in unknown.text


def test_a_recalled_rounds_page_carries_the_stored_outcome_for_its_replay(
    stack: Stack, console: httpx.Client
) -> None:
    player = stack.new_player(balance="5")
    answer = stack.spin(stack.launch(player))
    stack.settle_all()
    recalled = stack.admin.get(f"/admin/rounds/{answer['round_id']}")
    page = console.get(f"/console/rounds/{answer['round_id']}").text
    data = re.search(r'<script type="application/json" id="replay-data">(.*?)</script>', page, re.S)
    assert data, "the page has no replay data"
    replay = json.loads(html.unescape(data[1]))
    assert replay["outcome"] == recalled["outcome"]
    assert replay["game"]["reels"] == 5 and replay["currency"] == "EUR"
    assert "the draw reproduces the outcome" in page
    assert "/game/static/replay.js" in page
