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

from reelbridge.storage import Engine, Flow, Sql, every, one

_OUTBOX = Sql.of("SELECT kind, status, count(*) FROM outbox GROUP BY kind, status")
_PENDING = Sql.of(
    """SELECT min(created_at), COALESCE(sum(attempts), 0) FROM outbox
        WHERE status = 'pending'"""
)
_ROUNDS = Sql.of("SELECT status, count(*) FROM rounds GROUP BY status")


def _read() -> Flow[tuple[list[Any], Any, list[Any]]]:
    outbox = yield every(_OUTBOX)
    pending = yield one(_PENDING)
    rounds = yield every(_ROUNDS)
    return outbox, pending, rounds


def render(outbox: list[Any], pending: Any, rounds: list[Any], now: int) -> str:
    """The exposition text (pure, for tests)."""
    oldest = 0 if pending is None or pending[0] is None else max(0, now - int(pending[0]))
    attempts = 0 if pending is None else int(pending[1])
    lines = [
        "# HELP reelbridge_outbox_entries Outbox rows by kind and status.",
        "# TYPE reelbridge_outbox_entries gauge",
        *(
            f'reelbridge_outbox_entries{{kind="{k}",status="{s}"}} {int(n)}'
            for k, s, n in sorted(outbox)
        ),
        "# HELP reelbridge_outbox_oldest_undelivered_seconds Age of the oldest pending row.",
        "# TYPE reelbridge_outbox_oldest_undelivered_seconds gauge",
        f"reelbridge_outbox_oldest_undelivered_seconds {oldest // 1_000_000}",
        "# HELP reelbridge_outbox_attempts_undelivered Attempts spent on pending rows.",
        "# TYPE reelbridge_outbox_attempts_undelivered gauge",
        f"reelbridge_outbox_attempts_undelivered {attempts}",
        "# HELP reelbridge_rounds Rounds by status.",
        "# TYPE reelbridge_rounds gauge",
        *(f'reelbridge_rounds{{status="{s}"}} {int(n)}' for s, n in sorted(rounds)),
    ]
    return "\n".join(lines) + "\n"


def metrics_endpoint(engine: Engine, clock: Callable[[], int]) -> Callable[[Request], Any]:
    """A handler answering the metrics text."""

    async def handler(request: Request) -> PlainTextResponse:
        outbox, pending, rounds = await engine.run(_read)
        return PlainTextResponse(
            render(outbox, pending, rounds, clock()),
            media_type="text/plain; version=0.0.4",
        )

    return handler
