"""``GET /metrics`` of the wallet (admin bearer token), in the Prometheus text format.

Each scrape has the process counters (``AggregatorMetrics``: wallet calls by action and
code, their latency, amounts moved, refusals at the edge, rate limits, the database
pool) and gauges read from the database through ``Engine.read`` (so scraping never
waits for, nor holds up, a money movement), the same for every process:

- ``reelbridge_wallet_journal_rows``: journal rows (ids only grow: the highest id);
- ``reelbridge_wallet_sessions{status}``: wallet sessions by status;
- ``reelbridge_wallet_players``: players;
- ``reelbridge_wallet_anomalies``: anomalies logged for reconciliation (B12).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.requests import Request
from starlette.responses import Response

from reelbridge.observability import CONTENT_TYPE, AggregatorMetrics, exposition_of
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


def families(journal: int, sessions: list[Any], players: int, anomalies: int) -> list[Metric]:
    """The database gauges of one scrape (pure)."""
    by_status = {"open": 0, "closed": 0} | {str(s): int(n) for s, n in sessions}
    rows = GaugeMetricFamily("reelbridge_wallet_journal_rows", "Journal rows written.")
    rows.add_metric([], journal)
    states = GaugeMetricFamily(
        "reelbridge_wallet_sessions", "Wallet sessions by status.", labels=["status"]
    )
    for status, count in sorted(by_status.items()):
        states.add_metric([status], count)
    people = GaugeMetricFamily("reelbridge_wallet_players", "Players.")
    people.add_metric([], players)
    odd = GaugeMetricFamily("reelbridge_wallet_anomalies", "Anomalies logged for reconciliation.")
    odd.add_metric([], anomalies)
    return [rows, states, people, odd]


def render(journal: int, sessions: list[Any], players: int, anomalies: int) -> str:
    """The database gauges as exposition text (pure, for tests)."""
    return exposition_of(families(journal, sessions, players, anomalies))


def metrics_handler(
    engine: Engine, metrics: AggregatorMetrics
) -> Callable[[Request], Awaitable[Response]]:
    """A handler answering a scrape (wrap it in ``json_endpoint`` for the token)."""

    async def handler(request: Request) -> Response:
        read = await engine.read(_read)
        stats = getattr(engine, "pool_stats", None)
        if stats is not None:
            metrics.set_pool(stats())
        return Response(metrics.exposition(families(*read)), media_type=CONTENT_TYPE)

    return handler
