"""The launch's own rules, before any call: what each kind of launch needs."""

from __future__ import annotations

import asyncio

import pytest

from reelbridge.aggregator.launches import Launch, LaunchError, launch_game

BASE = {"client_id": "my-casino", "game_id": "book-of-reels", "language": "en",
        "return_url": "http://127.0.0.1:8000/"}  # fmt: skip
NEEDS_PLAYER = "a real-money launch needs a player and --currency (or --demo)"
NO_SESSION = "a demo launch has no wallet session (drop --session)"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"player_id": "alice", "currency": "EUR"}, None),
        ({"demo": True}, None),
        ({"demo": True, "player_id": "alice", "currency": "EUR"}, None),
        ({}, NEEDS_PLAYER),
        ({"player_id": "alice"}, NEEDS_PLAYER),
        ({"demo": True, "session_id": "s1"}, NO_SESSION),
    ],
    ids=["real", "demo", "demo ignores the player", "real without a player",
         "real without a currency", "demo with a session"],
)  # fmt: skip
def test_what_a_launch_needs(fields: dict[str, object], problem: str | None) -> None:
    assert Launch(**BASE, **fields).problem() == problem  # type: ignore[arg-type]


def test_a_real_money_launch_without_a_session_or_an_admin_api_is_refused_before_any_call() -> None:
    request = Launch(**BASE, player_id="alice", currency="EUR")
    with pytest.raises(LaunchError, match="needs the admin API"):
        asyncio.run(launch_game(request, provider_url="http://127.0.0.1:9/", client_token="t",
                                admin=None))  # fmt: skip


def test_a_launch_with_a_problem_makes_no_call() -> None:
    request = Launch(**BASE)
    with pytest.raises(LaunchError, match="needs a player"):
        asyncio.run(launch_game(request, provider_url="http://127.0.0.1:9/", client_token="t",
                                admin=None))  # fmt: skip
