"""``reelbridge aggregator launch`` against a running stack: a real-money launch opens a
wallet session and prints only a launch URL that plays in that session; a demo launch
opens none; ``--session`` launches in an open one; a launch the provider refuses or
cannot be reached exits 1 with the reason and closes the session it opened; bad usage
exits 2 — never a traceback."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner, Result

from provider.support import AGGREGATOR_ADMIN, Stack, uid
from reelbridge.cli import cli
from reelbridge.testing import free_port

# The command talks HTTP to both sides: which database serves them does not matter here.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def launch(stack: Stack, *args: str, **env: str | None) -> Result:
    """``reelbridge aggregator launch ARGS`` for the stack's client, at its two sides
    (the admin and client tokens and both URLs from the environment, ``env`` on top)."""
    environment = {
        "REELBRIDGE_ADMIN_TOKEN": AGGREGATOR_ADMIN,
        "REELBRIDGE_AGGREGATOR_URL": stack.aggregator_url,
        "REELBRIDGE_PROVIDER_URL": stack.provider_url,
        "REELBRIDGE_CLIENT_TOKEN": stack.token,
        **env,
    }
    command = ["aggregator", "launch", "--client", stack.client_id, *args]
    return CliRunner().invoke(cli, command, env=environment)


def funded(stack: Stack, currency: str = "EUR") -> str:
    player_id = uid("player")
    stack.wallet.create_player(player_id, currency)
    stack.wallet.deposit(player_id, currency, "50.00", uid("deposit"))
    return player_id


def sessions_of(stack: Stack, player_id: str) -> list[dict[str, Any]]:
    return stack.listing(stack.wallet, "sessions", player_id=player_id)


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def assert_refused(result: Result, code: int, message: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert message in result.output, result.output


def test_a_real_money_launch_opens_a_session_and_prints_only_a_url_that_plays(
    stack: Stack,
) -> None:
    player_id = funded(stack)
    result = launch(stack, player_id, "--currency", "eur", "--game", "book-of-reels")

    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    assert result.stdout == url + "\n" and url.startswith("https://games.example/game/")
    (session,) = sessions_of(stack, player_id)
    assert (session["status"], session["game_id"], session["currency"]) == (
        "open", "book-of-reels", "EUR",
    )  # fmt: skip
    assert f"wallet session {session['session_id']} opened" in result.stderr
    spun = stack.spin(token_of(url))
    assert spun["status"] == "settled" and spun["kind"] == "real", spun


def test_a_demo_launch_needs_no_player_and_opens_no_session(stack: Stack) -> None:
    result = launch(stack, "--demo", "--game", "classic-7s", REELBRIDGE_ADMIN_TOKEN=None)

    assert result.exit_code == 0, result.output
    spun = stack.spin(token_of(result.stdout.strip()))
    assert spun["kind"] == "demo", spun
    assert stack.listing(stack.wallet, "sessions", client_id=stack.client_id) == []


def test_a_launch_in_an_open_session_opens_no_other(stack: Stack) -> None:
    player_id = funded(stack)
    session_id = stack.wallet.open_session(stack.client_id, player_id, "EUR", "book-of-reels")
    result = launch(stack, player_id, "--currency", "EUR", "--game", "book-of-reels",
                    "--session", session_id, REELBRIDGE_ADMIN_TOKEN=None)  # fmt: skip

    assert result.exit_code == 0, result.output
    assert [s["session_id"] for s in sessions_of(stack, player_id)] == [session_id]
    assert stack.spin(token_of(result.stdout.strip()))["status"] == "settled"


@pytest.mark.parametrize(
    ("args", "token", "message"),
    [
        (["--game", "no-such-game"], None, "refused the launch: WRONG_INPUT_PARAMETERS"),
        (["--game", "book-of-reels"], "not-the-client-token", "refused the launch: INVALID_SIGN"),
    ],
    ids=["unknown game", "wrong client token"],
)  # fmt: skip
def test_a_refused_launch_exits_1_with_the_reason_and_closes_the_session_it_opened(
    stack: Stack, args: list[str], token: str | None, message: str
) -> None:
    player_id = funded(stack)
    result = launch(stack, player_id, "--currency", "EUR", *args,
                    REELBRIDGE_CLIENT_TOKEN=token or stack.token)  # fmt: skip

    assert_refused(result, 1, message)
    assert result.stdout == ""
    (session,) = sessions_of(stack, player_id)
    assert session["status"] == "closed"


def test_an_unreachable_provider_exits_1_and_leaves_no_session_open(stack: Stack) -> None:
    player_id = funded(stack)
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = launch(stack, player_id, "--currency", "EUR", "--game", "book-of-reels",
                    "--provider-url", nowhere)  # fmt: skip

    assert_refused(result, 1, f"the provider at {nowhere}")
    assert [s["status"] for s in sessions_of(stack, player_id)] == ["closed"]


def test_a_player_the_wallet_does_not_know_exits_1_before_any_launch(stack: Stack) -> None:
    result = launch(stack, "nobody-here", "--currency", "EUR", "--game", "book-of-reels")

    assert_refused(result, 1, "the wallet refused to open a session: unknown player")


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--game", "book-of-reels"], {}, "needs a player and --currency"),
        (["alice", "--game", "book-of-reels"], {}, "needs a player and --currency"),
        (["--demo", "--game", "classic-7s", "--session", "s1"], {}, "drop --session"),
        (["alice", "--currency", "EUR", "--game", "book-of-reels"],
         {"REELBRIDGE_ADMIN_TOKEN": None}, "Missing option '--token'"),
        (["--demo", "--game", "classic-7s"], {"REELBRIDGE_CLIENT_TOKEN": None},
         "Missing option '--client-token'"),
        (["--demo", "--game", "classic-7s", "--provider-url", "ftp://x"], {}, "--provider-url"),
        (["--demo", "--game", "classic-7s", "--return-url", "lobby"], {}, "--return-url"),
    ],
    ids=["no player", "no currency", "demo with a session", "no admin token",
         "no client token", "provider url", "return url"],
)  # fmt: skip
def test_bad_usage_exits_2_with_a_readable_message(
    stack: Stack, args: list[str], env: dict[str, str | None], message: str
) -> None:
    result = launch(stack, *args, **env)

    assert_refused(result, 2, message)


def test_an_unreachable_wallet_exits_1_before_any_launch(stack: Stack) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = launch(stack, "alice", "--currency", "EUR", "--game", "book-of-reels",
                    "--url", nowhere)  # fmt: skip

    assert_refused(result, 1, "the wallet's admin API could not be reached")
