"""What an operator watches on the provider: ``/metrics`` counters of its wallet calls,
resends and refunds that move as rounds are played, health probes without a token, and
one request id from a spin through both of its wallet calls to the wallet's log."""

from __future__ import annotations

import json

import httpx
import pytest

from provider.support import Stack, eventually
from reelbridge.testing.faults import reply


def sample(text: str, name: str, **labels: str) -> float:
    """One sample of a scrape (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        metric, _, rest = key.partition("{")
        found = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
        if metric == name and found == wanted:
            return float(value)
    return 0.0


def test_metrics_count_wallet_calls_resends_and_refunds_as_rounds_are_played(
    stack: Stack,
) -> None:
    player = stack.new_player(balance="100")
    token = stack.launch(player)
    before = stack.admin.get_text("/metrics")
    for _ in range(3):
        assert stack.spin(token)["status"] == "settled"
    stack.proxy.add(action="bet", kind=reply("BET_FAILED_UNKNOWN_ERROR"), times=1)
    assert stack.spin(token)["status"] in ("refunded", "refunding")
    stack.proxy.add(action="win", kind=reply("INTERNAL_ERROR", "down"), times=1)
    assert stack.spin(token)["status"] in ("settling", "settled")
    stack.settle_all()

    def after() -> str | None:
        text = stack.admin.get_text("/metrics")
        return text if sample(text, "reelbridge_outbox_resends_total", kind="win") else None

    text = eventually(after, what="the resent win in the metrics")

    def moved(name: str, **labels: str) -> float:
        return sample(text, name, **labels) - sample(before, name, **labels)

    assert moved("reelbridge_provider_wallet_calls_total", action="bet", outcome="accepted") == 4
    assert moved("reelbridge_provider_wallet_calls_total", action="bet", outcome="unknown") == 1
    assert moved("reelbridge_provider_wallet_calls_total", action="win", outcome="unknown") == 1
    assert moved("reelbridge_provider_wallet_call_seconds_count", action="bet") == 5
    assert moved("reelbridge_outbox_resends_total", kind="win") >= 1
    assert moved("reelbridge_provider_refunds_issued_total", reason="unknown_bet") == 1
    assert moved("reelbridge_provider_requests_total", endpoint="/api/game-url", code="OK") == 0
    assert sample(text, "reelbridge_provider_requests_total", endpoint="/api/game-url", code="OK")
    assert "reelbridge_outbox_oldest_undelivered_seconds" in text  # the database gauges too


def test_provider_probes_need_no_token(stack: Stack) -> None:
    assert httpx.get(f"{stack.provider_url}/healthz").json() == {"status": "ok", "side": "provider"}
    ready = httpx.get(f"{stack.provider_url}/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    assert httpx.get(f"{stack.provider_url}/metrics").status_code == 401


def test_a_spins_request_id_reaches_the_wallet_with_both_of_its_calls(
    stack: Stack, capfd: pytest.CaptureFixture[str]
) -> None:
    player = stack.new_player(balance="100")
    token = stack.launch(player)
    capfd.readouterr()
    response = stack.http.post(
        f"{stack.provider_url}/game/api/{token}/spin",
        json={"bet_id": 0},
        headers={"X-Request-Id": "spin-trace-0001"},
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "spin-trace-0001"
    seen: list[dict[str, object]] = []

    def wallet_lines() -> list[dict[str, object]] | None:
        for line in capfd.readouterr().err.splitlines():
            if line.startswith("{") and "spin-trace-0001" in line:
                seen.append(json.loads(line))
        wallet = [s for s in seen if str(s.get("path", "")).startswith("/wallet/")]
        return wallet if {s.get("action") for s in wallet} >= {"bet", "win"} else None

    lines = eventually(wallet_lines, what="the wallet's lines for the spin's request id")
    assert {line["request_id"] for line in lines} == {"spin-trace-0001"}
    assert {line["client_id"] for line in lines} == {stack.client_id}
