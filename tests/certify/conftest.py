"""Fixtures of the certification kit's suite: our provider on a short wallet budget, and
broken implementations served in front of ours (see ``support.py``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from certify.support import BUDGET, PROVIDER_ADMIN, BrokenProxy
from reelbridge.bootstrap import build_provider
from reelbridge.config import ProviderSettings
from reelbridge.testing import free_port, serve_in_thread


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


@pytest.fixture
def broken() -> Iterator[Callable[[str, str, str], str]]:
    """Serve ``BrokenProxy(upstream, token, defect)``; returns its base URL."""
    with contextlib.ExitStack() as servers:

        def start(upstream: str, token: str, defect: str) -> str:
            return servers.enter_context(serve_in_thread(BrokenProxy(upstream, token, defect).app))

        yield start
