"""Concurrent wallet calls (rules B7, B9, B10): never below zero, never applied twice.

On SQLite and PostgreSQL in one server, and on PostgreSQL with two server processes
sharing one database, where only the database can keep the guarantees.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelbridge.protocol import BalanceReply, ErrorCode, ErrorReply
from reelbridge.testing import AdminClient, WalletClient, free_port

from .support import ADMIN_TOKEN, Aggregator, FakeClock, Player, http_client, ok, units

pytestmark = pytest.mark.anyio

STARTUP_SECONDS = 60


def assert_forty_bets_against_ten(replies: list[BalanceReply | ErrorReply]) -> None:
    """Exactly ten bets of 1.00 fit in 10.00; each saw the balance the one before left."""
    accepted = sorted(r.balance for r in replies if isinstance(r, BalanceReply))
    refusals = [r for r in replies if isinstance(r, ErrorReply)]
    assert accepted == [units(str(n)) for n in range(10)], accepted
    assert len(refusals) == 30
    assert {r.code for r in refusals} == {ErrorCode.INSUFFICIENT_BALANCE}


def assert_thirty_copies_debited_once(replies: list[BalanceReply | ErrorReply]) -> None:
    """Thirty copies of one bet of 1.00 on 10.00: every copy succeeds, one debit."""
    assert [ok(r) for r in replies] == [units("9")] * 30


async def forty_bets(
    wallets: list[WalletClient], player: Player
) -> list[BalanceReply | ErrorReply]:
    """40 different bets of 1.00 at once, spread round-robin over ``wallets``."""
    return list(
        await asyncio.gather(
            *(
                wallets[i % len(wallets)].bet(player.session_id, 10000, game_id=player.game_id)
                for i in range(40)
            )
        )
    )


async def thirty_copies(
    wallets: list[WalletClient], player: Player, tx: str
) -> list[BalanceReply | ErrorReply]:
    """30 copies of one bet of 1.00 at once, spread round-robin over ``wallets``."""
    return list(
        await asyncio.gather(
            *(
                wallets[i % len(wallets)].bet(
                    player.session_id,
                    10000,
                    transaction_id=tx,
                    round_id="r",
                    game_id=player.game_id,
                )
                for i in range(30)
            )
        )
    )


# -- one server -----------------------------------------------------------------------


async def test_forty_parallel_bets_on_ten_units_exactly_ten_succeed(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        replies = await forty_bets([wallet], player)

    assert_forty_bets_against_ten(replies)
    assert aggregator.balance(player) == 0
    assert len(aggregator.transactions(player, outcome="ok")) == 10


async def test_thirty_parallel_copies_of_one_bet_debit_once(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        replies = await thirty_copies([wallet], player, tx)

    assert_thirty_copies_debited_once(replies)
    assert aggregator.balance(player) == units("9")
    assert len(aggregator.transactions(player, transaction_id=tx)) == 1


async def test_parallel_bets_of_many_players_stay_apart(aggregator: Aggregator) -> None:
    client = aggregator.new_client()
    players = [aggregator.new_player(balance="3", client=client) for _ in range(5)]
    async with aggregator.wallet(players[0]) as wallet:
        replies = await asyncio.gather(
            *(wallet.bet(p.session_id, 10000, game_id="g1") for p in players for _ in range(5))
        )

    assert sum(isinstance(r, BalanceReply) for r in replies) == 15
    assert [aggregator.balance(p) for p in players] == [0] * 5


# -- two server processes on one PostgreSQL database --------------------------------------


def _start_server(url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "REELBRIDGE_ADMIN_TOKEN": ADMIN_TOKEN}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reelbridge",
                "aggregator",
                "serve",
                "--database-url",
                url,
                "--port",
                str(port),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}"


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(timeout=2, verify=False) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
            try:
                if http.get(f"{base_url}/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)  # polling interval, bounded by the deadline
    pytest.fail(f"server at {base_url} not healthy after {STARTUP_SECONDS}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def two_servers(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two aggregator processes serving one PostgreSQL database; their base URLs."""
    logs = tmp_path_factory.mktemp("servers")
    started = [_start_server(pg_url, logs / f"server-{i}.log") for i in range(2)]
    try:
        for i, (process, base_url) in enumerate(started):
            _wait_healthy(process, base_url, logs / f"server-{i}.log")
        yield [base_url for _, base_url in started]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def _admin_of(base_url: str) -> Iterator[Aggregator]:
    # The processes read the system clock: the FakeClock here is never consulted.
    with AdminClient(base_url, ADMIN_TOKEN) as admin:
        yield Aggregator(base_url=base_url, admin=admin, clock=FakeClock(), dialect="postgres")


def _player_on(base_url: str) -> Player:
    with _admin_of(base_url) as probe:
        return probe.new_player(balance="10")


def _state(base_url: str, player: Player) -> tuple[int, list[dict[str, Any]], bool]:
    with _admin_of(base_url) as probe:
        admin = probe.admin
        return (
            probe.balance(player),
            probe.transactions(player),
            admin.get("/admin/ledger")["balanced"],
        )


@pytest.mark.postgres
async def test_two_processes_forty_parallel_bets_on_ten_units_exactly_ten_succeed(
    two_servers: list[str],
) -> None:
    player = _player_on(two_servers[0])
    async with http_client() as http:
        wallets = [
            WalletClient(url, player.client_id, player.token, http=http) for url in two_servers
        ]
        replies = await forty_bets(wallets, player)

    assert_forty_bets_against_ten(replies)
    balance, journal, balanced = _state(two_servers[1], player)
    assert balance == 0
    assert sum(row["outcome"] == "ok" for row in journal) == 10
    assert balanced


@pytest.mark.postgres
async def test_two_processes_thirty_parallel_copies_of_one_bet_debit_once(
    two_servers: list[str],
) -> None:
    player = _player_on(two_servers[1])
    async with http_client() as http:
        wallets = [
            WalletClient(url, player.client_id, player.token, http=http) for url in two_servers
        ]
        tx = wallets[0].new_id()
        replies = await thirty_copies(wallets, player, tx)

    assert_thirty_copies_debited_once(replies)
    balance, journal, balanced = _state(two_servers[0], player)
    assert balance == units("9")
    assert [row["transaction_id"] for row in journal] == [tx]
    assert balanced
