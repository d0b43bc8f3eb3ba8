"""Process metrics with prometheus-client, and ``GET /metrics``.

Each app owns a ``Metrics`` object (built by ``bootstrap.py``, handed to what counts), so
two apps in one process (the demo, tests) never share a counter. Counters and histograms
live in the process; gauges read from the database at scrape time (outbox, rounds,
journal) are added to each scrape by the side's own module, with the same names as
before prometheus-client was used.

Several workers (``--workers N``): the server sets ``PROMETHEUS_MULTIPROC_DIR`` before
the workers start (prometheus-client's multi-process mode: each process writes its
values to files there), and whichever worker answers a scrape adds up every process's
counters; gauges of the database pool are summed over live processes. One scrape
target per service is enough. Several independent instances (systemd units on their own
ports) are each their own target.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Families:
    """A one-shot collector of families built at scrape time (database gauges)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


def exposition_of(families: Iterable[Metric]) -> str:
    """The Prometheus text of some families (pure: used for the database gauges)."""
    return generate_latest(_Families(families)).decode()  # type: ignore[arg-type,unused-ignore]


class Metrics:
    """What one app counts: the HTTP edge, rate limits and the database pool (both
    sides); ``AggregatorMetrics`` and ``ProviderMetrics`` add their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_ENV))
        r = self.registry
        self.http_refused = Counter(
            "reelbridge_http_refused",
            "Requests refused at the HTTP edge before the app saw them, by reason "
            "(oversized_headers: 431, stalled: 408).",
            ["reason"],
            registry=r,
        )
        self.client_disconnects = Counter(
            "reelbridge_http_client_disconnects",
            "Requests whose client went away before the body had arrived (not an error).",
            registry=r,
        )
        self.rate_limited = Counter(
            "reelbridge_rate_limited",
            "Protocol calls refused because their client exceeded its rate (nothing written).",
            ["client_id"],
            registry=r,
        )
        self.address_refused = Counter(
            "reelbridge_address_refused",
            "Protocol calls refused because the client's address is not on its allow-list.",
            ["client_id"],
            registry=r,
        )
        self.db_pool = Gauge(
            "reelbridge_db_pool_connections",
            "Database connections of this service's processes, by pool and state.",
            ["pool", "state"],
            registry=r,
            multiprocess_mode="livesum",
        )

    def set_pool(self, stats: dict[str, dict[str, int]]) -> None:
        """Record the engine's pool use (``Engine.pool_stats``)."""
        for pool, states in stats.items():
            for state, count in states.items():
                self.db_pool.labels(pool, state).set(count)

    def exposition(self, families: Iterable[Metric] = ()) -> bytes:
        """The text of a scrape: this process's (or, with several workers, every
        process's) metrics, then ``families`` read for this scrape."""
        if self.multiprocess:
            merged = CollectorRegistry()
            MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            text = generate_latest(merged)
        else:
            text = generate_latest(self.registry)
        return text + exposition_of(families).encode()

    def process_exited(self) -> None:
        """Drop this process's live gauges (multi-process mode; on a clean exit)."""
        if self.multiprocess:
            mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class AggregatorMetrics(Metrics):
    """The wallet's counters."""

    def __init__(self) -> None:
        super().__init__()
        r = self.registry
        self.wallet_requests = Counter(
            "reelbridge_wallet_requests",
            "Wallet calls answered, by action and code (OK or the error code).",
            ["action", "code"],
            registry=r,
        )
        self.wallet_seconds = Histogram(
            "reelbridge_wallet_request_seconds",
            "Time to answer a wallet call, from its first byte of body to its answer.",
            ["action"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.wallet_amount = Counter(
            "reelbridge_wallet_amount_units",
            "Amounts of accepted bet and win calls in 1/10000 units, every currency added "
            "(a rate for dashboards, not accounting: a repeated call counts again).",
            ["action"],
            registry=r,
        )
        self._children: dict[tuple[str, str], Any] = {}

    def wallet_call(self, action: str, code: str, seconds: float, amount: int) -> None:  # float ok
        """Count one answered wallet call (children cached: this is the hot path)."""
        key = (action, code)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = (
                self.wallet_requests.labels(action, code),
                self.wallet_seconds.labels(action),
                self.wallet_amount.labels(action),
            )
        child[0].inc()
        child[1].observe(seconds)
        if amount and code == "OK":
            child[2].inc(amount)


class ProviderMetrics(Metrics):
    """The provider's counters: its endpoints, its wallet calls, resends and refunds."""

    def __init__(self) -> None:
        super().__init__()
        r = self.registry
        self.requests = Counter(
            "reelbridge_provider_requests",
            "Calls of the aggregator-facing endpoints, by endpoint and code.",
            ["endpoint", "code"],
            registry=r,
        )
        self.wallet_calls = Counter(
            "reelbridge_provider_wallet_calls",
            "Wallet calls made, by action and outcome (accepted, refused, unknown).",
            ["action", "outcome"],
            registry=r,
        )
        self.wallet_call_seconds = Histogram(
            "reelbridge_provider_wallet_call_seconds",
            "Time a wallet call took, answer or not.",
            ["action"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.resends = Counter(
            "reelbridge_outbox_resends",
            "Wins and refunds sent again after a failed attempt (B14).",
            ["kind"],
            registry=r,
        )
        self.refunds = Counter(
            "reelbridge_provider_refunds_issued",
            "Refunds written for bets of unknown fate (B15), by why.",
            ["reason"],
            registry=r,
        )


POOL_INTERVAL_SECONDS = 5.0  # float ok: seconds
STATE_KEY = "reelbridge_metrics"
"""Where the lifespan state holds the app's ``Metrics`` (the HTTP edge counts there)."""
EDGE_KEY = "reelbridge_edge"
"""Where the lifespan state holds the app's ``EdgeLimits`` (``web/edge.py``)."""


@contextlib.asynccontextmanager
async def observing(
    metrics: Metrics, engine: object, *, edge: object = None
) -> AsyncIterator[dict[str, Any]]:
    """While an app serves: its database pool gauges kept current, and the lifespan
    state that hands the HTTP edge (``web/edge.py``) the app's counters and limits."""
    stats = getattr(engine, "pool_stats", None)

    async def keep_current() -> None:
        while stats is not None:
            metrics.set_pool(stats())
            await asyncio.sleep(POOL_INTERVAL_SECONDS)

    task = asyncio.create_task(keep_current(), name="pool-gauges")
    try:
        yield {STATE_KEY: metrics, EDGE_KEY: edge}
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        metrics.process_exited()
