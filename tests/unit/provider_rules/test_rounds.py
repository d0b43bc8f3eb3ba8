"""The provider's round rules without a socket (PROTOCOL.md Part A "What the provider must
do", B14–B18): the services wired with the fakes of every port — ``FakeWallet`` (the
wallet transport), ``FakeClock``, ``SequentialIds``, ``SeededRng`` — and the storage port
on ``sqlite:///:memory:``. The relay is stepped by hand (``run_once``), the clock moved
by hand, so every resend and every lease expiry happens exactly when the test says.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from reelbridge.bootstrap import ProviderServices, build_provider_services
from reelbridge.config import ProviderSettings
from reelbridge.games import JackpotLevel, JackpotPlan, SeededRng, get_game
from reelbridge.protocol import GameUrlRequest, sign
from reelbridge.provider import clients, outbox, rounds
from reelbridge.provider.errors import BadStake, SessionGone, SpinInProgress
from reelbridge.provider.outbox import FIRST_RESEND_US
from reelbridge.storage import engine_from_url
from reelbridge.testing import FakeClock, FakeWallet, SequentialIds
from reelbridge.testing.fakes import Fault

pytestmark = pytest.mark.anyio
BOOK = get_game("book-of-reels")
STAKE = BOOK.total_stake(BOOK.stake_levels[0])
TOKEN = "token-of-the-unit-tests"
LEASE = 30


@dataclass
class Provider:
    services: ProviderServices
    wallet: FakeWallet
    clock: FakeClock

    async def launch(self, session_id: str = "s-1", balance: int = 100_0000) -> str:
        """A real-money game session of a player whose wallet holds ``balance``."""
        self.wallet.balances[session_id] = balance
        request = GameUrlRequest(
            client_id="casino",
            game_id="book-of-reels",
            currency="EUR",
            language="en",
            session_id=session_id,
            player_id=f"player-of-{session_id}",
            return_url="https://casino.example/",
        )
        client = await self.services.clients.get("casino")
        assert client is not None
        url = await self.services.launches.game_url(request, client)
        return url.rsplit("/", 1)[1]

    async def spin(self, token: str, bet_id: int = 0) -> dict[str, Any]:
        return await self.services.spins.spin(token, bet_id)

    async def round(self, round_id: str) -> rounds.Round:
        found = await self.services.engine.run(lambda: rounds.find(round_id))
        assert found is not None
        return found

    async def outbox(self, round_id: str) -> list[outbox.OutboxEntry]:
        entries = []
        for n in range(1, 50):
            entry = await self.services.engine.run(functools.partial(outbox.entry, n))
            if entry is not None and entry.round_id == round_id:
                entries.append(entry)
        return entries

    async def relay(self, *, after_seconds: float = 0) -> int:
        self.clock.advance(after_seconds)
        return await self.services.relay.run_once()


@asynccontextmanager
async def provider(
    *, jackpots: JackpotPlan | None = None, seed: int = 1, lease: int = LEASE
) -> AsyncIterator[Provider]:
    wallet, clock = FakeWallet(), FakeClock()
    settings = ProviderSettings(
        admin_token="unit", jackpots=jackpots, spin_lease_seconds=lease, public_url="https://g"
    )
    services = build_provider_services(
        settings,
        engine=engine_from_url("sqlite:///:memory:"),
        clock=clock,
        rng=SeededRng(seed),
        transport=wallet,
        round_ids=SequentialIds("r"),
    )
    await services.start(relay=False)
    try:
        now = clock()
        await services.engine.run(
            lambda: clients.upsert_client(
                "casino", [TOKEN], "https://wallet/", actor="t", reason="", now=now, key=b"k"
            )
        )
        yield Provider(services, wallet, clock)
    finally:
        await services.stop()


async def test_an_accepted_bet_is_drawn_stored_and_its_win_sent_with_the_same_session() -> None:
    async with provider() as p:
        token = await p.launch(balance=10_0000)
        answer = await p.spin(token)
        assert answer["status"] == "settled" and answer["round_id"] == "r-1"
        bet, win = p.wallet.calls("bet")[0], p.wallet.calls("win")[0]
        assert bet.data["session_id"] == win.data["session_id"] == "s-1"
        assert bet.signature == sign(bet.body, TOKEN)  # B1: over the exact bytes sent
        stored = await p.round("r-1")
        assert stored.status == "settled" and stored.win is not None
        assert p.wallet.balances["s-1"] == 10_0000 - STAKE + stored.win
        # B16: the stored draw replays to the stored outcome
        drawn = json.loads(stored.draw or "null")["game"]
        assert BOOK.replay(stored.bet_per_line, drawn).to_json() == stored.decoded_outcome()


async def test_a_known_bet_error_rejects_the_round_shows_the_message_and_refunds_nothing() -> None:
    async with provider() as p:
        token = await p.launch()
        p.wallet.fail("bet", Fault.refuse("INSUFFICIENT_BALANCE", "Top up first"))
        answer = await p.spin(token)
        assert answer["status"] == "rejected"
        assert answer["error"] == {"code": "INSUFFICIENT_BALANCE", "message": "Top up first"}
        assert p.wallet.calls("refund") == [] and p.wallet.calls("win") == []
        assert (await p.round("r-1")).status == "rejected"
        assert await p.relay(after_seconds=3600) == 0  # nothing owed, nothing to send


@pytest.mark.parametrize(
    "fault",
    [
        Fault.no_answer(applied=True),
        Fault.no_answer(applied=False),
        Fault.refuse("BET_FAILED_UNKNOWN_ERROR"),
        Fault.refuse("TRANSACTION_IN_PROGRESS"),
        Fault.http(502),
        Fault.garbage(),
    ],
    ids=["timeout-applied", "timeout-lost", "unknown-error", "in-progress", "http-502", "garbage"],
)
async def test_b15_a_bet_of_unknown_fate_is_refunded_and_shows_unknown_error(fault: Fault) -> None:
    async with provider() as p:
        token = await p.launch(balance=10_0000)
        p.wallet.fail("bet", fault)
        answer = await p.spin(token)
        assert answer["error"] == {"code": "UNKNOWN_ERROR", "message": "Unknown error"}
        assert answer["status"] == "refunded" and answer["outcome"] is None
        (refund,) = p.wallet.calls("refund")
        assert refund.transaction_id == p.wallet.calls("bet")[0].transaction_id
        assert p.wallet.calls("win") == []  # nothing drawn, nothing paid
        assert p.wallet.balances["s-1"] == 10_0000
        stored = await p.round("r-1")
        assert (stored.status, stored.draw, stored.win) == ("refunded", None, None)


async def test_b14_a_failing_win_is_resent_with_the_same_bytes_after_backoff_until_it_lands() -> (
    None
):
    async with provider() as p:
        token = await p.launch()
        p.wallet.fail("win", Fault.refuse("INTERNAL_ERROR", "down"), times=3)
        answer = await p.spin(token)
        assert answer["status"] == "settling" and answer["balance"] is None  # never guessed
        assert await p.relay() == 0  # not due yet: the first resend comes within 1 s
        assert await p.relay(after_seconds=FIRST_RESEND_US / 1_000_000) == 1  # fails again
        assert await p.relay(after_seconds=2) == 1  # fails a third time (backoff 2 s)
        assert (await p.round("r-1")).status == "settling"
        assert await p.relay(after_seconds=4) == 1  # lands
        wins = p.wallet.calls("win")
        assert len(wins) == 4 and {(w.body, w.signature) for w in wins} == {
            (wins[0].body, wins[0].signature)
        }
        (entry,) = [e for e in await p.outbox("r-1") if e.kind == "win"]
        assert (entry.status, entry.attempts) == ("delivered", 4)
        assert entry.last_error == "INTERNAL_ERROR: down"
        assert (await p.round("r-1")).status == "settled"


async def test_b15_a_bet_whose_sender_died_is_refunded_by_the_relay_after_its_lease() -> None:
    async with provider(lease=30) as p:
        token = await p.launch(balance=10_0000)
        now = p.clock()
        # The process opened the round and stored the bet, then died before the answer.
        ticket = await p.services.engine.run(
            lambda: rounds.begin(
                token,
                round_id="orphan",
                bet_per_line=BOOK.stake_levels[0],
                stake_of={b: BOOK.total_stake(b) for b in BOOK.stake_levels},
                now=now,
                lease_us=30_000_000,
            )
        )
        await p.wallet.post("https://wallet/", ticket.bet.body, "sig")  # it did reach the wallet
        with pytest.raises(SpinInProgress):
            await p.spin(token)  # the session is held for the lease
        assert await p.relay(after_seconds=29) == 0
        assert await p.relay(after_seconds=2) == 1
        assert (await p.round("orphan")).status == "refunded"
        assert p.wallet.balances["s-1"] == 10_0000
        assert (await p.spin(token))["status"] == "settled"  # the session is free again


async def test_b15_a_bet_answer_that_comes_after_the_relay_refunded_settles_nothing() -> None:
    async with provider(lease=30) as p:
        token = await p.launch(balance=10_0000)
        services = p.services
        game = BOOK
        ticket, _ = await services.spins.open(token, game, BOOK.stake_levels[0])
        assert await p.relay(after_seconds=31) == 1  # lease gone: refunded
        late = await services.spins.settle(
            ticket.round,
            rounds.Outcome(win=50_0000, draw={"game": [[0, 0, 0, 0, 0]]}, outcome={}),
            bet_balance=10_0000 - STAKE,
        )
        assert late["status"] == "refunding" and late["error"]["message"] == "Unknown error"
        assert p.wallet.calls("win") == []
        assert (await p.round(ticket.round.round_id)).win is None


async def test_the_session_rules_unknown_expired_and_bad_stakes_change_nothing() -> None:
    async with provider() as p:
        with pytest.raises(SessionGone):
            await p.spin("no-such-token")
        token = await p.launch()
        with pytest.raises(BadStake):
            await p.spin(token, bet_id=len(BOOK.stake_levels))
        p.clock.advance(25 * 3600)
        with pytest.raises(SessionGone):
            await p.spin(token)
        assert p.wallet.calls() == []


async def test_b18_a_jackpot_hit_is_paid_as_its_own_win_from_the_fed_pool() -> None:
    # The level is won once per 25.00 staked: a round of 20.00 hits with probability 4/5.
    level = JackpotLevel("Unit", seed=1000, contribution_ppm=10_000, stake_per_hit=25_0000)
    async with provider(jackpots=JackpotPlan((level,)), seed=7) as p:
        token = await p.launch(balance=100_0000)
        hits = 0
        for _ in range(30):
            answer = await p.spin(token, bet_id=6)  # 20.00: a hit with probability 4/5
            if answer["jackpot"] is not None:
                hits += 1
                jackpot = [w for w in p.wallet.calls("win") if w.data["type"] == "jackpot"][-1]
                assert jackpot.transaction_id == f"{answer['round_id']}:jackpot"
        assert 10 <= hits <= 30
        pools = await p.services.launches.pools()
        (pool,) = [x for x in pools if x.currency == "EUR"]
        assert pool.balanced and pool.hits == hits and pool.amount >= level.seed
