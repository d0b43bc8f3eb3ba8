"""docs/PROTOCOL-part-b.md B22: the three codes the wallet once never produced.

``BET_FAILED_KNOWN_ERROR`` is the responsible-gambling refusal (B19,
``test_wallet_limits.py``). ``TRANSACTION_PREPARING_ERROR`` answers a call whose unit of
work never began (the storage is not running, no PostgreSQL connection could be had,
SQLite could not take its write lock): nothing was written, and the same call succeeds
once the storage is back. ``TRANSACTION_IN_PROGRESS`` is never sent: a concurrent
duplicate waits for the first and gets its answer (B10).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reelbridge.aggregator import admin_flows
from reelbridge.aggregator.wallet import ClientTokens, WalletEndpoint
from reelbridge.config import LimitSettings
from reelbridge.ledger import wallet_call
from reelbridge.observability import AccessLog, AggregatorMetrics
from reelbridge.protocol import (
    BalanceReply,
    Bet,
    BetType,
    ErrorCode,
    ErrorReply,
    GetBalance,
    ProtocolError,
    Refund,
    Win,
    WinType,
    encode_wallet_request,
    sign,
)
from reelbridge.storage import AGGREGATOR, Engine, engine_from_url, migrate
from reelbridge.storage.postgres import PostgresEngine
from reelbridge.storage.sqlite import SqliteEngine
from reelbridge.web.limits import ClientLimits

from .support import START, Aggregator, uid, units

pytestmark = pytest.mark.anyio

E = ErrorCode
TOKEN = "token-of-the-codes-test"


async def _seed(engine: Engine, *, balance: int = 10_0000) -> tuple[str, str]:
    """A client, a funded player and an open session; (client id, session id)."""
    client_id, player_id, session_id = uid("client"), uid("player"), uid("session")
    await engine.run(
        lambda: admin_flows.upsert_client(
            client_id, [TOKEN], actor="t", reason="", now=START, key=b"test-fingerprint-key"
        )
    )
    await engine.run(
        lambda: admin_flows.create_player(player_id, "EUR", actor="t", reason="", now=START)
    )
    await engine.run(
        lambda: admin_flows.move_money(
            "deposit", player_id, "EUR", balance, uid("dep"), actor="t", reason="", now=START
        )
    )
    await engine.run(
        lambda: admin_flows.open_session(
            session_id, client_id, player_id, "EUR", "g1",
            expires_at=START + 3_600_000_000, actor="t", reason="", now=START,
        )
    )  # fmt: skip
    return client_id, session_id


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[Engine]:
    started = engine_from_url(database_url)
    await started.start()
    await migrate(started, AGGREGATOR)
    yield started
    await started.close()


def _requests(session_id: str) -> list[Bet | Win | Refund | GetBalance]:
    ids = {"session_id": session_id, "round_id": uid("round"), "game_id": "g1"}
    return [
        Bet(type=BetType.BET, amount=1_0000, transaction_id=uid("tx"), **ids),
        Win(type=WinType.WIN, amount=1_0000, transaction_id=uid("tx"), **ids),
        Refund(transaction_id=uid("tx"), **ids),
        GetBalance(session_id=session_id),
    ]


async def test_b22_a_call_on_a_stopped_storage_answers_transaction_preparing_error(
    engine: Engine,
) -> None:
    """Over the wire: the client's tokens are cached, the storage has stopped (a
    shutdown): every action answers TRANSACTION_PREPARING_ERROR, never an unknown error."""
    client_id, session_id = await _seed(engine)
    tokens = ClientTokens(engine=engine, ttl_seconds=60)
    endpoint = WalletEndpoint(
        engine=engine,
        tokens=tokens,
        clock=lambda: START,
        metrics=AggregatorMetrics(),
        access=AccessLog(enabled=False),
        limits=ClientLimits(LimitSettings()),
    )
    balance = json.dumps({"action": "balance", "session_id": session_id}).encode()
    assert json.loads(await endpoint.answer(client_id, balance, sign(balance, TOKEN)))["status"]
    await engine.close()
    for request in _requests(session_id):
        body = encode_wallet_request(request)
        answer = json.loads(await endpoint.answer(client_id, body, sign(body, TOKEN)))
        assert answer["status"] is False and answer["code"] == "TRANSACTION_PREPARING_ERROR"
        assert "nothing was written" in answer["message"]


async def test_b22_no_postgresql_connection_answers_transaction_preparing_error() -> None:
    engine = PostgresEngine("postgresql://postgres@127.0.0.1:1/nowhere", min_size=0)
    await engine.start()  # a pool that connects on first use
    try:
        for request in _requests("any-session"):
            with pytest.raises(ProtocolError) as caught:
                await wallet_call(engine, "c1", request, now=START)
            assert caught.value.code is E.TRANSACTION_PREPARING_ERROR
    finally:
        await engine.close()


async def test_b22_sqlite_without_its_write_lock_answers_preparing_error_and_writes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.db"
    engine = SqliteEngine(path, busy_timeout_ms=50)
    await engine.start()
    try:
        await migrate(engine, AGGREGATOR)
        client_id, session_id = await _seed(engine)
        bet = _requests(session_id)[0]
        other = sqlite3.connect(path, isolation_level=None)  # another process's writer
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(ProtocolError) as caught:
                await wallet_call(engine, client_id, bet, now=START)
            assert caught.value.code is E.TRANSACTION_PREPARING_ERROR
        finally:
            other.execute("ROLLBACK")
            other.close()
        # nothing was written: the same bet, sent again, is applied once
        reply = await wallet_call(engine, client_id, bet, now=START)
        assert reply == BalanceReply(balance=9_0000)
    finally:
        await engine.close()


async def test_b22_a_concurrent_duplicate_waits_and_never_gets_transaction_in_progress(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx, round_id = wallet.new_id(), uid("round")
        bets = [
            wallet.bet(player.session_id, units("1"), transaction_id=tx, round_id=round_id,
                       game_id=player.game_id)
            for _ in range(20)
        ]  # fmt: skip
        refused_tx, other_round = wallet.new_id(), uid("round")
        too_big = [
            wallet.bet(player.session_id, units("50"), transaction_id=refused_tx,
                       round_id=other_round, game_id=player.game_id)
            for _ in range(10)
        ]  # fmt: skip
        replies = await asyncio.gather(*bets, *too_big)
    assert replies[:20] == [BalanceReply(balance=units("9"))] * 20
    for reply in replies[20:]:
        assert isinstance(reply, ErrorReply) and reply.code is E.INSUFFICIENT_BALANCE
    assert aggregator.balance(player) == units("9")
