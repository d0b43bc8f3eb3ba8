"""A stopping relay stops between deliveries: the pass under way finishes (within its
grace), no new pass starts; without grace the pass is cancelled and its row is sent again
after its lease (B14: nothing is lost either way)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from reelbridge.bootstrap import ProviderServices, build_provider_services
from reelbridge.config import ProviderSettings
from reelbridge.games import SeededRng
from reelbridge.protocol import GameUrlRequest
from reelbridge.provider import clients
from reelbridge.provider.wallet_client import RawReply
from reelbridge.storage import engine_from_url
from reelbridge.testing import FakeClock, FakeWallet, SequentialIds
from reelbridge.testing.fakes import Fault

pytestmark = pytest.mark.anyio


class GatedWallet(FakeWallet):
    """A fake wallet whose win answers wait for ``gate``."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()

    async def post(
        self, url: str, body: bytes, signature: str, *, request_id: str = ""
    ) -> RawReply:
        if b'"action":"win"' in body.replace(b" ", b""):
            self.waiting.set()
            await self.gate.wait()
        return await super().post(url, body, signature, request_id=request_id)


@asynccontextmanager
async def pending_win() -> AsyncIterator[tuple[ProviderServices, GatedWallet, FakeClock]]:
    """A provider whose one round's win failed once and is due again."""
    wallet, clock = GatedWallet(), FakeClock()
    settings = ProviderSettings(admin_token="unit", jackpots=None, public_url="https://g",
                                relay_interval_seconds=0.01)  # fmt: skip
    services = build_provider_services(
        settings, engine=engine_from_url("sqlite:///:memory:"), clock=clock,
        rng=SeededRng(2), transport=wallet, round_ids=SequentialIds("r"),
    )  # fmt: skip
    await services.start(relay=False)
    try:
        now = clock()
        await services.engine.run(
            lambda: clients.upsert_client("casino", ["token-0123456789"], "https://w/",
                                          actor="t", reason="", now=now, key=b"k")
        )  # fmt: skip
        wallet.balances["s-1"] = 100_0000
        client = await services.clients.get("casino")
        assert client is not None
        url = await services.launches.game_url(
            GameUrlRequest(client_id="casino", game_id="book-of-reels", currency="EUR",
                           language="en", session_id="s-1", player_id="p-1",
                           return_url="https://c/"),
            client,
        )  # fmt: skip
        wallet.fail("win", Fault.refuse("INTERNAL_ERROR", "busy"))
        wallet.gate.set()
        answer = await services.spins.spin(url.rsplit("/", 1)[1], 0)
        assert answer["status"] == "settling"
        wallet.gate.clear()
        wallet.waiting.clear()
        clock.advance(120)  # the resend is due
        yield services, wallet, clock
    finally:
        wallet.gate.set()
        await services.stop()


async def outbox_of_win(services: ProviderServices) -> tuple[str, int]:
    from reelbridge.provider import outbox

    for n in range(1, 10):
        entry = await services.engine.run(lambda n=n: outbox.entry(n))  # type: ignore[misc]
        if entry is not None and entry.kind.value == "win":
            return entry.status.value, entry.lease_until
    raise AssertionError("no win row")


async def test_a_stopping_relay_finishes_the_delivery_under_way_and_starts_no_other() -> None:
    async with pending_win() as (services, wallet, _):
        services.relay.start()
        await asyncio.wait_for(wallet.waiting.wait(), 5)  # a pass is sending the win
        stopping = asyncio.create_task(services.relay.stop(grace_seconds=5))
        await asyncio.sleep(0.05)
        assert not stopping.done()  # it waits for the delivery, not for the next pass
        passes = services.relay.passes
        wallet.gate.set()
        await asyncio.wait_for(stopping, 5)

        assert await outbox_of_win(services) == ("delivered", 0)
        assert services.relay.passes == passes + 1  # the pass under way, nothing after
        assert len(wallet.calls("win")) == 2


async def test_without_grace_the_pass_is_cancelled_and_its_row_kept_for_later() -> None:
    async with pending_win() as (services, wallet, clock):
        services.relay.start()
        await asyncio.wait_for(wallet.waiting.wait(), 5)
        await asyncio.wait_for(services.relay.stop(), 5)

        status, lease = await outbox_of_win(services)
        assert status == "pending" and lease > clock()  # claimed: sent again after its lease
        wallet.gate.set()
        clock.advance(60)
        assert await services.relay.run_once() == 1
        assert (await outbox_of_win(services))[0] == "delivered"
