"""``GET /metrics`` of the provider (admin bearer token; PROTOCOL.md B14: visibly).

Each scrape has the process counters (``ProviderMetrics``: endpoint calls, wallet calls
and their latency, resends, refunds issued, refusals at the edge, rate limits, the
database pool) and gauges read from the database, so every provider process reports
the same shared truth:

- ``reelbridge_outbox_entries{kind,status}``: outbox rows by kind and status;
- ``reelbridge_outbox_oldest_undelivered_seconds``: age of the oldest win or refund
  still pending (0 when none) — the alert to page on;
- ``reelbridge_outbox_attempts_undelivered``: resend attempts spent on pending rows;
- ``reelbridge_rounds{status}``: rounds by status;
- ``reelbridge_engine_rounds_unsettled{older_than_seconds}``: remote engines' rounds
  still ``accepted`` (bet held, no outcome) for longer than the alert threshold — they
  are never refunded automatically (the engine may have shown the outcome): page on it;
- ``reelbridge_engine_rounds_oldest_unsettled_seconds``: age of the oldest of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.requests import Request
from starlette.responses import Response

from reelbridge.observability import CONTENT_TYPE, ProviderMetrics, exposition_of
from reelbridge.provider import outbox, rounds
from reelbridge.provider.outbox import Gauges
from reelbridge.storage import Engine, Flow

Accepted = tuple[int, int, int | None]
"""Remote rounds awaiting their outcome: (alert threshold in seconds, how many are older
than it, when the oldest was accepted in microseconds or None)."""


def _read(now: int, alert_seconds: int) -> Flow[tuple[Gauges, list[tuple[str, int]], Accepted]]:
    gauges = yield from outbox.gauges()
    by_status = yield from rounds.count_by_status()
    stale, oldest = yield from rounds.accepted_gauges(older_than=now - alert_seconds * 1_000_000)
    return gauges, by_status, (alert_seconds, stale, oldest)


def families(
    gauges: Gauges, by_status: list[tuple[str, int]], now: int, accepted: Accepted | None = None
) -> list[Metric]:
    """The database gauges of one scrape (pure)."""
    oldest = gauges.oldest_pending_at
    age = 0 if oldest is None else max(0, now - oldest)
    entries = GaugeMetricFamily(
        "reelbridge_outbox_entries", "Outbox rows by kind and status.", labels=["kind", "status"]
    )
    for kind, status, count in sorted(gauges.by_kind_status):
        entries.add_metric([kind, status], count)
    found: list[Metric] = [entries]
    found.append(
        _gauge("reelbridge_outbox_oldest_undelivered_seconds", "Age of the oldest pending row.",
               age // 1_000_000)
    )  # fmt: skip
    found.append(
        _gauge("reelbridge_outbox_attempts_undelivered", "Attempts spent on pending rows.",
               gauges.pending_attempts)
    )  # fmt: skip
    states = GaugeMetricFamily("reelbridge_rounds", "Rounds by status.", labels=["status"])
    for status, count in sorted(by_status):
        states.add_metric([status], count)
    found.append(states)
    if accepted is not None:
        alert, stale, since = accepted
        waited = 0 if since is None else max(0, now - since) // 1_000_000
        unsettled = GaugeMetricFamily(
            "reelbridge_engine_rounds_unsettled",
            "Engine rounds accepted, no outcome yet.",
            labels=["older_than_seconds"],
        )
        unsettled.add_metric([str(alert)], stale)
        found.append(unsettled)
        found.append(
            _gauge("reelbridge_engine_rounds_oldest_unsettled_seconds", "Oldest of them.", waited)
        )
    return found


def _gauge(name: str, text: str, value: int) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, text)
    family.add_metric([], value)
    return family


def render(
    gauges: Gauges, by_status: list[tuple[str, int]], now: int, accepted: Accepted | None = None
) -> str:
    """The database gauges as exposition text (pure, for tests)."""
    return exposition_of(families(gauges, by_status, now, accepted))


def metrics_endpoint(
    engine: Engine,
    clock: Callable[[], int],
    metrics: ProviderMetrics,
    *,
    alert_seconds: int = 300,
) -> Callable[[Request], Any]:
    """A handler answering a scrape (``alert_seconds``: how long an engine round may wait
    for its outcome before it counts as unsettled)."""

    async def handler(request: Request) -> Response:
        now = clock()
        gauges, by_status, accepted = await engine.run(lambda: _read(now, alert_seconds))
        stats = getattr(engine, "pool_stats", None)
        if stats is not None:
            metrics.set_pool(stats())
        text = metrics.exposition(families(gauges, by_status, now, accepted))
        return Response(text, media_type=CONTENT_TYPE)

    return handler
