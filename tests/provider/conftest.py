"""Fixtures of the provider suite: a real wallet (the reelbridge aggregator) behind a
fault proxy, and a provider whose client's wallet URL points at the proxy.

``database_url`` (tests/conftest.py) chooses the backend: SQLite files of the test, or
the session's PostgreSQL database shared by both sides (tests keep apart by fresh ids).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from provider.support import AGGREGATOR_ADMIN, PROVIDER_ADMIN, Stack, uid
from reelbridge.bootstrap import build_aggregator, build_provider, system_clock
from reelbridge.config import AggregatorSettings, ProviderSettings
from reelbridge.testing import AdminClient, serve_in_thread
from reelbridge.testing.faults import FaultProxy

BUDGET = 1.5
"""The wallet budget of test stacks (seconds): short, yet far above a call's real time."""
LEASE = 3
"""The lease of test stacks (seconds): well over the budget, as in production (a delivery
that outlives its lease may be sent twice, harmlessly but visibly to these tests)."""
FAST = {
    "wallet_timeout_seconds": BUDGET,
    "spin_lease_seconds": LEASE,
    "relay_interval_seconds": 0.1,
    "jackpots": None,
}
"""Settings that keep fault tests short: a 1.5 s wallet budget, 3 s leases, quick relay."""

MakeStack = Callable[..., Stack]


class Servers:
    """The servers of one test, stopped together at its end (in parallel: each stop waits
    for uvicorn's tick and lifespan, and a stack has three)."""

    def __init__(self) -> None:
        self._running: list[contextlib.AbstractContextManager[str]] = []

    def start(self, app: ASGIApp) -> str:
        """Serve ``app`` in a thread; its base URL."""
        server = serve_in_thread(app)
        url = server.__enter__()
        self._running.append(server)
        return url

    def stop_all(self) -> None:
        """Stop every server started."""
        running, self._running = self._running, []
        with ThreadPoolExecutor(max_workers=max(1, len(running))) as pool:
            list(pool.map(lambda server: server.__exit__(None, None, None), running))


@pytest.fixture
def make_stack(database_url: str, tmp_path: Path) -> Iterator[MakeStack]:
    """Build ``Stack``s: ``make_stack(clock=…, rng=…, **ProviderSettings fields)``.

    Unset settings come from ``FAST``; everything stops at the end of the test.
    """
    with contextlib.ExitStack() as exits:
        servers = Servers()
        exits.callback(servers.stop_all)  # last: after hangs are released, clients closed
        count = 0

        def make(
            *, clock: Callable[[], int] | None = None, rng: Any = None, **settings: Any
        ) -> Stack:
            nonlocal count
            count += 1
            if database_url.startswith("sqlite"):
                agg_url = f"sqlite:///{tmp_path / f'aggregator-{count}.db'}"
                prov_url = f"sqlite:///{tmp_path / f'provider-{count}.db'}"
            else:
                agg_url = prov_url = database_url
            aggregator = build_aggregator(
                AggregatorSettings(database_url=agg_url, admin_token=AGGREGATOR_ADMIN)
            )
            aggregator_url = servers.start(aggregator)
            proxy = FaultProxy(aggregator_url)
            proxy_url = servers.start(proxy.app)
            options = {**FAST, **settings}
            provider = build_provider(
                ProviderSettings(
                    database_url=prov_url,
                    admin_token=PROVIDER_ADMIN,
                    public_url="https://games.example",
                    **options,
                ),
                clock=system_clock if clock is None else clock,
                rng=rng,
            )
            provider_url = servers.start(provider)
            exits.callback(proxy.release)  # runs first: no hang outlives the test
            wallet = exits.enter_context(AdminClient(aggregator_url, AGGREGATOR_ADMIN))
            admin = exits.enter_context(AdminClient(provider_url, PROVIDER_ADMIN))
            http = exits.enter_context(httpx.Client(timeout=30.0))
            client_id, token = uid("casino"), f"token-{uid('t')}"
            wallet.upsert_client(client_id, [token])
            wallet_url = f"{proxy_url}/wallet/{client_id}"
            admin.post(
                "/admin/clients",
                {"client_id": client_id, "tokens": [token], "wallet_url": wallet_url},
            )
            return Stack(
                aggregator_url,
                provider_url,
                proxy,
                wallet,
                admin,
                client_id,
                token,
                http,
                proxy_wallet_url=wallet_url,
                databases=(agg_url, prov_url),
            )

        yield make


@pytest.fixture
def stack(make_stack: MakeStack) -> Stack:
    """One stack with the fast settings."""
    return make_stack()
