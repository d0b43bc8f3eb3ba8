"""Fixtures of the chaos suite: the databases of one run (fresh SQLite files, or two
fresh PostgreSQL databases on the test server, dropped afterwards) and its seed."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _execute(url: str, *statements: str) -> None:
    async def work() -> None:
        conn = await asyncpg.connect(url, timeout=5)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(work())


@pytest.fixture(params=ENGINES)
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``(wallet database URL, provider database URL)`` of one run."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'wallet.db'}", f"sqlite:///{tmp_path / 'provider.db'}"
        return
    server: str = request.getfixturevalue("pg_url")  # skips (or fails under CI) if down
    names = [f"rb_chaos_{secrets.token_hex(6)}_{side}" for side in ("w", "p")]
    _execute(server, *(f'CREATE DATABASE "{n}"' for n in names))
    wallet, provider = (urlunsplit(urlsplit(server)._replace(path=f"/{n}")) for n in names)
    try:
        yield wallet, provider
    finally:
        _execute(server, *(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names))


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    """The run's seed: ``--chaos-seed``, or a fresh one (printed with every failure)."""
    given: int | None = request.config.getoption("--chaos-seed")
    return given if given is not None else secrets.randbelow(2**32)
