"""Fixtures shared by the suite: PostgreSQL databases, a running aggregator, a fake clock,
the Lucky Clover example game plug-in (see ``plugins/support.py``).

PostgreSQL tests use the server named by ``REELBRIDGE_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``) and a database of their own, created for
the session and dropped afterwards. When the server is unreachable they are skipped,
except under ``CI=true``, where they fail: CI must never silently skip PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from integration.support import ADMIN_TOKEN, Aggregator, FakeClock
from plugins.support import EXAMPLE, PluginInstall, install_example, plugins_on_path
from reelbridge.bootstrap import build_aggregator
from reelbridge.config import AggregatorSettings
from reelbridge.testing import AdminClient, serve_in_thread

PG_SERVER_URL = os.environ.get(
    "REELBRIDGE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--chaos-long`` runs the long chaos run (``tests/chaos``); ``--chaos-seed N``
    replays a chaos run's schedule of kills and faults."""
    group = parser.getgroup("chaos")
    group.addoption("--chaos-long", action="store_true", help="run the long chaos runs")
    group.addoption("--chaos-seed", type=int, default=None, help="seed of the chaos runs")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``chaos_long`` are skipped unless ``--chaos-long`` is given."""
    if config.getoption("--chaos-long"):
        return
    skip = pytest.mark.skip(reason="the long chaos run needs --chaos-long")
    for item in items:
        if "chaos_long" in item.keywords:
            item.add_marker(skip)


def _in_fresh_loop(work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    # A thread of its own, so that no event loop of a running test is disturbed.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(work())).result()


def _pg_execute(statement: str) -> None:
    async def work() -> None:
        conn = await asyncpg.connect(PG_SERVER_URL, timeout=5)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    _in_fresh_loop(work)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the test session, dropped afterwards."""
    name = f"rb_{secrets.token_hex(8)}"
    try:
        _pg_execute(f'CREATE DATABASE "{name}"')
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        message = f"PostgreSQL is unreachable at {PG_SERVER_URL}: {exc!r}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield _with_database(PG_SERVER_URL, name)
    finally:
        _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The aggregator's database, per test module: a fresh SQLite file, or the session's
    PostgreSQL database (tests there stay apart by using fresh client and player ids)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'aggregator.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (the anyio pytest plugin)."""
    return "asyncio"


@pytest.fixture(scope="module")
def running_aggregator(database_url: str) -> Iterator[Aggregator]:
    """One aggregator server per test module and backend (starting one per test would
    dominate the suite's run time); tests use fresh ids, so they cannot interfere."""
    clock = FakeClock()
    settings = AggregatorSettings(database_url=database_url, admin_token=ADMIN_TOKEN)
    app = build_aggregator(settings, clock=clock)
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgres"
    with serve_in_thread(app) as base_url, AdminClient(base_url, ADMIN_TOKEN) as admin:
        yield Aggregator(base_url=base_url, admin=admin, clock=clock, dialect=dialect)


@pytest.fixture
def aggregator(running_aggregator: Aggregator) -> Iterator[Aggregator]:
    """A running aggregator with an admin client and a fake clock (``.clock``): it moves
    only when a test advances it, and sessions are opened relative to it.

    After each test the ledger must still reconcile (conservation of money).
    """
    yield running_aggregator
    running_aggregator.assert_ledger_balanced()


@pytest.fixture(scope="session")
def lucky_clover_install(tmp_path_factory: pytest.TempPathFactory) -> PluginInstall:
    """The example plug-in ``examples/lucky-clover``, built and installed with pip into a
    temporary directory once per session. ``.env`` runs a subprocess with it on its
    ``PYTHONPATH``; this process is left alone (use ``lucky_clover`` or
    ``plugins_on_path(.path)`` for that)."""
    return install_example(EXAMPLE, tmp_path_factory.mktemp("plugins") / "site-packages")


@pytest.fixture
def lucky_clover(lucky_clover_install: PluginInstall) -> Iterator[PluginInstall]:
    """The example plug-in, installed and active in this process for one test: on
    ``sys.path``, with the game discovery refreshed; removed (and rediscovered) after."""
    with plugins_on_path(lucky_clover_install.path):
        yield lucky_clover_install
