"""A provider with one registered remote engine, wired with the fakes of every port
(``FakeWallet``, ``FakeClock``, ``SequentialIds``, ``sqlite:///:memory:``): the engine
API's rules without a socket."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from reelbridge.bootstrap import ProviderServices, build_provider_services
from reelbridge.config import ProviderSettings
from reelbridge.games import JackpotPlan, Rng, SeededRng
from reelbridge.protocol import DemoUrlRequest, GameUrlRequest
from reelbridge.provider import clients, outbox, rounds
from reelbridge.provider.engines import EngineSpec, GameSpec
from reelbridge.storage import engine_from_url
from reelbridge.testing import FakeClock, FakeWallet, SequentialIds

ENGINE = "studio"
GAME = "studio-dice"
LINES = 10
LEVELS = (1000, 5000, 10000)  # 0.10, 0.50, 1.00 per line: rounds of 1.00, 5.00, 10.00
TOKEN = "token-of-the-unit-tests"


def game_spec(game_id: str = GAME, **changes: Any) -> GameSpec:
    """The engine's game (10 lines, three stake levels), with ``changes``."""
    fields: dict[str, Any] = {
        "game_id": game_id,
        "name": "Studio Dice",
        "lines": LINES,
        "stake_levels": LEVELS,
        "rtp": "19/20",
    }
    return GameSpec(**{**fields, **changes})


def engine_spec(
    engine_id: str = ENGINE,
    games: tuple[GameSpec, ...] | None = None,
    launch_url: str = "https://studio.example/play?token={token}",
) -> EngineSpec:
    """An engine registration (one game unless told otherwise)."""
    return EngineSpec(
        engine_id, ("engine-token-1",), launch_url, (game_spec(),) if games is None else games
    )


class ScriptedJackpots:
    """An ``Rng`` answering the jackpot draw (``randbelow(modulus)``) from a script and
    every other draw with 0."""

    def __init__(self, modulus: int, answers: list[int]) -> None:
        self._modulus = modulus
        self._answers = list(answers)

    def randbelow(self, n: int, /) -> int:
        if n == self._modulus and self._answers:
            return self._answers.pop(0)
        return 0


@dataclass
class Remote:
    """The services, the fake wallet and clock, and shortcuts for the engine's calls."""

    services: ProviderServices
    wallet: FakeWallet
    clock: FakeClock

    async def launch(self, session_id: str = "s-1", balance: int = 100_0000) -> str:
        """A real-money session of the remote game; its launch token."""
        self.wallet.balances[session_id] = balance
        request = GameUrlRequest(
            client_id="casino",
            game_id=GAME,
            currency="EUR",
            language="en",
            session_id=session_id,
            player_id=f"player-of-{session_id}",
            return_url="https://casino.example/",
        )
        client = await self.services.clients.get("casino")
        assert client is not None
        url = await self.services.launches.game_url(request, client)
        return url.rsplit("=", 1)[1]

    async def launch_demo(self) -> str:
        """A demo session of the remote game; its launch token."""
        request = DemoUrlRequest(
            client_id="casino", game_id=GAME, language="de", return_url="https://c/"
        )
        client = await self.services.clients.get("casino")
        assert client is not None
        url = await self.services.launches.demo_url(request, client)
        return url.rsplit("=", 1)[1]

    async def open(self, token: str, erid: str = "e-1", bet_id: int = 0) -> dict[str, Any]:
        return await self.services.engine_rounds.open(ENGINE, erid, token, bet_id)

    async def settle(
        self, erid: str = "e-1", win: int = 0, outcome: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        shown = {"dice": [3, 4]} if outcome is None else outcome
        return await self.services.engine_rounds.settle(ENGINE, erid, shown, win)

    async def cancel(self, erid: str = "e-1", reason: str = "no outcome") -> dict[str, Any]:
        return await self.services.engine_rounds.cancel(ENGINE, erid, reason)

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
async def remote_provider(
    *, jackpots: JackpotPlan | None = None, rng: Rng | None = None, register: bool = True
) -> AsyncIterator[Remote]:
    """A started provider (relay stepped by hand) with the engine registered."""
    wallet, clock = FakeWallet(), FakeClock()
    settings = ProviderSettings(
        admin_token="unit", jackpots=jackpots, spin_lease_seconds=30, public_url="https://g"
    )
    services = build_provider_services(
        settings,
        engine=engine_from_url("sqlite:///:memory:"),
        clock=clock,
        rng=rng if rng is not None else SeededRng(3),
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
        if register:
            await services.remote.register(engine_spec(), actor="t", reason="", now=now)
        yield Remote(services, wallet, clock)
    finally:
        await services.stop()
