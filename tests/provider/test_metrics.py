"""B14 "visibly": the outbox and rounds as Prometheus gauges on ``GET /metrics``."""

from __future__ import annotations

import re

from provider.support import Stack, eventually
from reelbridge.provider.outbox import Gauges
from reelbridge.provider.web.metrics import render
from reelbridge.testing.faults import reply


def _gauge(text: str, name: str) -> int:
    match = re.search(rf"^{re.escape(name)} (\d+)(?:\.0)?$", text, re.M)
    assert match is not None, f"{name} missing from:\n{text}"
    return int(match[1])


def test_render_reports_the_age_of_the_oldest_pending_entry_in_seconds() -> None:
    text = render(
        Gauges([("win", "pending", 2), ("bet", "delivered", 5)], 1_000_000, 7), [], 61_000_000
    )
    assert _gauge(text, "reelbridge_outbox_oldest_undelivered_seconds") == 60
    assert _gauge(text, "reelbridge_outbox_attempts_undelivered") == 7
    assert _gauge(text, 'reelbridge_outbox_entries{kind="win",status="pending"}') == 2


def test_render_with_nothing_pending_reports_zero_age() -> None:
    text = render(Gauges([], None, 0), [("settled", 3)], 5_000_000)
    assert _gauge(text, "reelbridge_outbox_oldest_undelivered_seconds") == 0
    assert _gauge(text, 'reelbridge_rounds{status="settled"}') == 3


def test_metrics_need_the_admin_token(stack: Stack) -> None:
    assert stack.http.get(f"{stack.provider_url}/metrics").status_code == 401


def test_a_win_the_wallet_keeps_refusing_shows_as_pending_in_the_metrics(stack: Stack) -> None:
    player = stack.new_player(balance="50")
    token = stack.launch(player)
    stack.proxy.add(action="win", kind=reply("INTERNAL_ERROR", "down"), times=None)
    answer = stack.spin(token)
    assert answer["status"] == "settling", answer

    def pending_metrics() -> str | None:
        text = stack.admin.get_text("/metrics")
        entries = 'reelbridge_outbox_entries{kind="win",status="pending"}'
        return text if f"{entries} 1.0" in text else None

    text = eventually(pending_metrics, what="a pending win in the metrics")
    assert _gauge(text, "reelbridge_outbox_attempts_undelivered") >= 1
    assert _gauge(text, 'reelbridge_rounds{status="settling"}') == 1
    stack.proxy.clear()
    stack.settle_all()
    settled = stack.admin.get_text("/metrics")
    assert 'reelbridge_outbox_entries{kind="win",status="pending"}' not in settled
    assert _gauge(settled, "reelbridge_outbox_oldest_undelivered_seconds") == 0
