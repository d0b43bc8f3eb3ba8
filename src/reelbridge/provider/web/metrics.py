"""Outbox and round metrics in the Prometheus text format (PROTOCOL.md B14: visibly).

``GET /metrics`` (admin bearer token) answers gauges read from the database, so every
provider process reports the same shared truth:

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

from starlette.requests import Request
from starlette.responses import PlainTextResponse

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


def render(
    gauges: Gauges, by_status: list[tuple[str, int]], now: int, accepted: Accepted | None = None
) -> str:
    """The exposition text (pure, for tests)."""
    oldest = gauges.oldest_pending_at
    age = 0 if oldest is None else max(0, now - oldest)
    lines = [
        "# HELP reelbridge_outbox_entries Outbox rows by kind and status.",
        "# TYPE reelbridge_outbox_entries gauge",
        *(
            f'reelbridge_outbox_entries{{kind="{k}",status="{s}"}} {n}'
            for k, s, n in sorted(gauges.by_kind_status)
        ),
        "# HELP reelbridge_outbox_oldest_undelivered_seconds Age of the oldest pending row.",
        "# TYPE reelbridge_outbox_oldest_undelivered_seconds gauge",
        f"reelbridge_outbox_oldest_undelivered_seconds {age // 1_000_000}",
        "# HELP reelbridge_outbox_attempts_undelivered Attempts spent on pending rows.",
        "# TYPE reelbridge_outbox_attempts_undelivered gauge",
        f"reelbridge_outbox_attempts_undelivered {gauges.pending_attempts}",
        "# HELP reelbridge_rounds Rounds by status.",
        "# TYPE reelbridge_rounds gauge",
        *(f'reelbridge_rounds{{status="{s}"}} {n}' for s, n in sorted(by_status)),
    ]
    if accepted is not None:
        alert, stale, since = accepted
        waited = 0 if since is None else max(0, now - since) // 1_000_000
        lines += [
            "# HELP reelbridge_engine_rounds_unsettled Engine rounds accepted, no outcome yet.",
            "# TYPE reelbridge_engine_rounds_unsettled gauge",
            f'reelbridge_engine_rounds_unsettled{{older_than_seconds="{alert}"}} {stale}',
            "# HELP reelbridge_engine_rounds_oldest_unsettled_seconds Oldest of them.",
            "# TYPE reelbridge_engine_rounds_oldest_unsettled_seconds gauge",
            f"reelbridge_engine_rounds_oldest_unsettled_seconds {waited}",
        ]
    return "\n".join(lines) + "\n"


def metrics_endpoint(
    engine: Engine, clock: Callable[[], int], *, alert_seconds: int = 300
) -> Callable[[Request], Any]:
    """A handler answering the metrics text (``alert_seconds``: how long an engine round
    may wait for its outcome before it counts as unsettled)."""

    async def handler(request: Request) -> PlainTextResponse:
        now = clock()
        gauges, by_status, accepted = await engine.run(lambda: _read(now, alert_seconds))
        return PlainTextResponse(
            render(gauges, by_status, now, accepted), media_type="text/plain; version=0.0.4"
        )

    return handler
