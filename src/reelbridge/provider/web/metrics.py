"""Outbox and round metrics in the Prometheus text format (PROTOCOL.md B14: visibly).

``GET /metrics`` (admin bearer token) answers gauges read from the database, so every
provider process reports the same shared truth:

- ``reelbridge_outbox_entries{kind,status}``: outbox rows by kind and status;
- ``reelbridge_outbox_oldest_undelivered_seconds``: age of the oldest win or refund
  still pending (0 when none) — the alert to page on;
- ``reelbridge_outbox_attempts_undelivered``: resend attempts spent on pending rows;
- ``reelbridge_rounds{status}``: rounds by status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse

from reelbridge.provider import outbox, rounds
from reelbridge.provider.outbox import Gauges
from reelbridge.storage import Engine, Flow


def _read() -> Flow[tuple[Gauges, list[tuple[str, int]]]]:
    gauges = yield from outbox.gauges()
    by_status = yield from rounds.count_by_status()
    return gauges, by_status


def render(gauges: Gauges, by_status: list[tuple[str, int]], now: int) -> str:
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
    return "\n".join(lines) + "\n"


def metrics_endpoint(engine: Engine, clock: Callable[[], int]) -> Callable[[Request], Any]:
    """A handler answering the metrics text."""

    async def handler(request: Request) -> PlainTextResponse:
        gauges, by_status = await engine.run(_read)
        return PlainTextResponse(
            render(gauges, by_status, clock()), media_type="text/plain; version=0.0.4"
        )

    return handler
