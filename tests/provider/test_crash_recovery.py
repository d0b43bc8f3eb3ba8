"""The provider killed with SIGKILL mid-spin, then restarted on the same database
(PROTOCOL.md B14–B15): what it owed the wallet is settled exactly once.

The provider runs as ``reelbridge provider serve`` in a subprocess (3 s leases; a 2 s
wallet budget, so that the kill surely lands while the call is in flight); the real
wallet runs in this process behind a fault proxy. Both run on SQLite files of the test,
or both on the session's PostgreSQL database.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from provider.processes import ProviderProcess
from provider.support import (
    AGGREGATOR_ADMIN,
    PROVIDER_ADMIN,
    Stack,
    eventually,
    uid,
    units,
)
from reelbridge.bootstrap import build_aggregator
from reelbridge.config import AggregatorSettings
from reelbridge.games import get_game
from reelbridge.testing import AdminClient, serve_in_thread
from reelbridge.testing.faults import FaultProxy, hang_until

STAKE = get_game("book-of-reels").total_stake(get_game("book-of-reels").stake_levels[0])


@pytest.fixture
def crash_stack(database_url: str, tmp_path: Path) -> Iterator[tuple[Stack, ProviderProcess]]:
    """A real wallet behind a fault proxy, and a provider process using it."""
    provider_db = database_url
    if database_url.startswith("sqlite"):
        provider_db = f"sqlite:///{tmp_path / 'provider.db'}"
    settings = AggregatorSettings(database_url=database_url, admin_token=AGGREGATOR_ADMIN)
    aggregator = build_aggregator(settings)
    process = ProviderProcess(provider_db, tmp_path / "provider.log")
    with contextlib.ExitStack() as exits:
        aggregator_url = exits.enter_context(serve_in_thread(aggregator))
        proxy = FaultProxy(aggregator_url)
        proxy_url = exits.enter_context(serve_in_thread(proxy.app))
        exits.callback(proxy.release)
        exits.callback(process.stop)
        provider_url = process.start()
        wallet = exits.enter_context(AdminClient(aggregator_url, AGGREGATOR_ADMIN))
        admin = AdminClient(provider_url, PROVIDER_ADMIN)
        http = exits.enter_context(httpx.Client(timeout=30.0))
        client_id, token = uid("casino"), f"token-{uid('t')}"
        wallet.upsert_client(client_id, [token])
        admin.post(
            "/admin/clients",
            {
                "client_id": client_id,
                "tokens": [token],
                "wallet_url": f"{proxy_url}/wallet/{client_id}",
            },
        )
        stack = Stack(aggregator_url, provider_url, proxy, wallet, admin, client_id, token, http)
        exits.callback(lambda: stack.admin.close())
        yield stack, process


def restart(stack: Stack, process: ProviderProcess) -> None:
    """Start the provider again on the same database and point the stack at it."""
    stack.admin.close()
    stack.provider_url = process.start()
    stack.admin = AdminClient(stack.provider_url, PROVIDER_ADMIN)


def spin_in_background(stack: Stack, token: str) -> threading.Thread:
    """Start a spin whose HTTP call may die with the provider."""

    def spin() -> None:
        with contextlib.suppress(httpx.HTTPError):
            stack.http.post(f"{stack.provider_url}/game/api/{token}/spin", json={"bet_id": 0})

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    return thread


def journal_rows(stack: Stack, action: str) -> list[dict[str, Any]]:
    """The wallet's journal rows of one action for this client."""
    return [t for t in stack.transactions() if t["action"] == action]


def test_b15_a_bet_in_flight_when_the_provider_is_killed_is_refunded_once_after_restart(
    crash_stack: tuple[Stack, ProviderProcess],
) -> None:
    stack, process = crash_stack
    player = stack.new_player()
    token = stack.launch(player)
    release = threading.Event()
    # The wallet applies the bet; the answer is held until the provider is dead.
    stack.proxy.add(action="bet", kind=hang_until(release, forward="before"))
    spinner = spin_in_background(stack, token)
    (bet_call,) = stack.proxy.wait_for("bet")
    process.kill()
    assert stack.proxy.requests("refund") == [], "the provider refunded before it was killed"
    spinner.join(timeout=10)
    eventually(lambda: journal_rows(stack, "bet"), what="the wallet to apply the bet")
    assert stack.balance(player) == player.start - STAKE, (
        journal_rows(stack, "bet"),
        stack.transactions(),
    )

    restart(stack, process)
    (round_,) = stack.assert_books_agree(player)  # polls until the relay has refunded
    assert round_["status"] == "refunded" and round_["error_message"] == "Unknown error"
    release.set()
    stack.proxy.wait_idle()
    refunds = journal_rows(stack, "refund")
    assert len(refunds) == 1 and refunds[0]["transaction_id"] == bet_call.tx
    (bet,) = journal_rows(stack, "bet")
    assert bet["refunded"] and units(refunds[0]["moved"]) == STAKE
    assert stack.balance(player) == player.start
    (refund_row,) = stack.outbox(kind="refund")
    assert refund_row["status"] == "delivered"
    (bet_row,) = stack.outbox(kind="bet")
    assert bet_row["status"] == "failed" and "stopped" in bet_row["last_error"]
    stack.assert_books_agree(player)


def test_b14_a_win_in_flight_when_the_provider_is_killed_is_delivered_once_after_restart(
    crash_stack: tuple[Stack, ProviderProcess],
) -> None:
    stack, process = crash_stack
    player = stack.new_player()
    token = stack.launch(player)
    release = threading.Event()
    # The win is held at the proxy (the wallet has not seen it) while the provider dies.
    stack.proxy.add(action="win", kind=hang_until(release))
    spinner = spin_in_background(stack, token)
    stack.proxy.wait_for("win")
    process.kill()
    spinner.join(timeout=10)
    assert [t["outcome"] for t in journal_rows(stack, "bet")] == ["ok"]
    assert journal_rows(stack, "win") == []

    restart(stack, process)
    (round_,) = stack.assert_books_agree(player)  # polls until the relay has delivered
    assert round_["status"] == "settled"
    # The first send, held all along, now reaches the wallet too: it must change nothing.
    release.set()
    stack.proxy.wait_idle()
    sent = stack.proxy.requests("win")
    assert len(sent) >= 2 and {s.body for s in sent} == {sent[0].body}
    (win,) = journal_rows(stack, "win")
    assert units(win["amount"]) == units(round_["win"])
    assert stack.balance(player) == player.start - STAKE + units(round_["win"])
    stack.assert_books_agree(player)
