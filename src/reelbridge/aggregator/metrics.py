"""Wallet metrics in the Prometheus text format, read on the read path.

``GET /metrics`` (admin bearer token) answers gauges read from the database through
``Engine.read`` (so scraping never waits for, nor holds up, a money movement), the
same for every process on one database:

- ``reelbridge_wallet_journal_rows``: journal rows (ids only grow: the highest id);
- ``reelbridge_wallet_sessions{status}``: wallet sessions by status;
- ``reelbridge_wallet_players``: players;
- ``reelbridge_wallet_anomalies``: anomalies logged for reconciliation (B12).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse

from reelbridge.storage import Engine, Flow, Sql, every, value

_JOURNAL = Sql.of("SELECT COALESCE(max(id), 0) FROM transactions")
_SESSIONS = Sql.of("SELECT status, count(*) FROM sessions GROUP BY status")
_PLAYERS = Sql.of("SELECT count(*) FROM players")
_ANOMALIES = Sql.of("SELECT count(*) FROM anomalies")


def _read() -> Flow[tuple[int, list[Any], int, int]]:
    journal = yield value(_JOURNAL)
    sessions = yield every(_SESSIONS)
    players = yield value(_PLAYERS)
    anomalies = yield value(_ANOMALIES)
    return int(journal), sessions, int(players), int(anomalies)


def render(journal: int, sessions: list[Any], players: int, anomalies: int) -> str:
    """The exposition text (pure, for tests)."""
    by_status = {"open": 0, "closed": 0} | {str(s): int(n) for s, n in sessions}
    lines = [
        "# HELP reelbridge_wallet_journal_rows Journal rows written.",
        "# TYPE reelbridge_wallet_journal_rows gauge",
        f"reelbridge_wallet_journal_rows {journal}",
        "# HELP reelbridge_wallet_sessions Wallet sessions by status.",
        "# TYPE reelbridge_wallet_sessions gauge",
        *(f'reelbridge_wallet_sessions{{status="{s}"}} {n}' for s, n in sorted(by_status.items())),
        "# HELP reelbridge_wallet_players Players.",
        "# TYPE reelbridge_wallet_players gauge",
        f"reelbridge_wallet_players {players}",
        "# HELP reelbridge_wallet_anomalies Anomalies logged for reconciliation.",
        "# TYPE reelbridge_wallet_anomalies gauge",
        f"reelbridge_wallet_anomalies {anomalies}",
    ]
    return "\n".join(lines) + "\n"


def metrics_handler(engine: Engine) -> Callable[[Request], Awaitable[PlainTextResponse]]:
    """A handler answering the metrics text (wrap it in ``json_endpoint`` for the token)."""

    async def handler(request: Request) -> PlainTextResponse:
        journal, sessions, players, anomalies = await engine.read(_read)
        return PlainTextResponse(
            render(journal, sessions, players, anomalies),
            media_type="text/plain; version=0.0.4",
        )

    return handler
