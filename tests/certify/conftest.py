"""Fixtures of the certification kit's suite: our provider on a short wallet budget, and
broken implementations served in front of ours (see ``support.py``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from certify.support import BrokenProxy
from reelbridge.bootstrap import build_provider
from reelbridge.config import ProviderSettings
from reelbridge.testing import free_port, serve_in_thread
from reelbridge.testing.certify.provider_probe import ProviderTarget

PROVIDER_ADMIN = "provider-admin-token-of-the-certify-suite"
BUDGET = 0.5
"""The provider's wallet budget in these tests (seconds; the protocol's is 5)."""
FAST_KIT = {"wallet_timeout": BUDGET, "settle_timeout": 8.0, "quiet_seconds": 0.6, "timeout": 10.0}
"""Kit settings matching the fast provider: short waits, failures found quickly."""


@pytest.fixture(scope="module")
def our_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """reelbridge's provider on SQLite with a 0.5 s wallet budget; its base URL."""
    folder = tmp_path_factory.mktemp("provider")
    port = free_port()
    settings = ProviderSettings(
        database_url=f"sqlite:///{folder / 'provider.db'}",
        admin_token=PROVIDER_ADMIN,
        public_url=f"http://127.0.0.1:{port}",
        wallet_timeout_seconds=BUDGET,
        relay_interval_seconds=0.1,
        spin_lease_seconds=3,
    )
    with serve_in_thread(build_provider(settings), port=port) as url:
        yield url


def provider_target(url: str, client_id: str, **changes: Any) -> ProviderTarget:
    """A kit target for our provider, with the fast settings."""
    options: dict[str, Any] = {**FAST_KIT, **changes}
    return ProviderTarget(url=url, client_id=client_id, token=f"{client_id}-token", **options)


@pytest.fixture
def broken() -> Iterator[Callable[[str, str, str], str]]:
    """Serve ``BrokenProxy(upstream, token, defect)``; returns its base URL."""
    with contextlib.ExitStack() as servers:

        def start(upstream: str, token: str, defect: str) -> str:
            return servers.enter_context(serve_in_thread(BrokenProxy(upstream, token, defect).app))

        yield start
