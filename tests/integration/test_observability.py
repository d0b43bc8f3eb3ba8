"""What an operator watches on the wallet: ``/metrics`` counters that move under load,
unauthenticated health and readiness probes, request ids answered back and logged, and
structured (JSON) log lines from a served process."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from reelbridge.observability import health_routes
from reelbridge.protocol import SIGN_HEADER, sign
from reelbridge.storage import AGGREGATOR, Migration, engine_from_url, migrate
from reelbridge.testing import AdminClient, serve_in_thread

from .processes import served
from .support import ADMIN_TOKEN, Aggregator, body, ok, uid

pytestmark = pytest.mark.anyio
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


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


async def test_metrics_count_wallet_calls_by_action_and_code_after_a_short_load(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="100")
    before = aggregator.admin.get_text("/metrics")
    async with aggregator.wallet(player) as wallet:
        for _ in range(5):
            round_id = uid("round")
            ok(await wallet.bet(player.session_id, 1_0000, round_id=round_id, game_id="g1"))
            ok(await wallet.win(player.session_id, 5000, round_id=round_id, game_id="g1"))
        await wallet.bet(player.session_id, 10_000_0000, game_id="g1")  # too much
    after = aggregator.admin.get_text("/metrics")

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("reelbridge_wallet_requests_total", action="bet", code="OK") == 5
    assert moved("reelbridge_wallet_requests_total", action="win", code="OK") == 5
    assert moved("reelbridge_wallet_requests_total", action="bet", code="INSUFFICIENT_BALANCE") == 1
    assert moved("reelbridge_wallet_request_seconds_count", action="bet") == 6
    assert moved("reelbridge_wallet_amount_units_total", action="bet") == 5 * 1_0000
    assert moved("reelbridge_wallet_amount_units_total", action="win") == 5 * 5000
    assert sample(after, "reelbridge_db_pool_connections", pool="read", state="max") >= 1 or (
        sample(after, "reelbridge_db_pool_connections", pool="main", state="max") >= 1
    )


async def test_a_badly_signed_call_counts_as_invalid_sign(aggregator: Aggregator) -> None:
    player = aggregator.new_player()
    before = aggregator.admin.get_text("/metrics")
    async with httpx.AsyncClient() as http:
        await http.post(
            f"{aggregator.base_url}/wallet/{player.client_id}",
            content=body(action="balance", session_id=player.session_id),
            headers={SIGN_HEADER: "0" * 64},
        )
    after = aggregator.admin.get_text("/metrics")
    labels = {"action": "unknown", "code": "INVALID_SIGN"}
    assert sample(after, "reelbridge_wallet_requests_total", **labels) == 1 + sample(
        before, "reelbridge_wallet_requests_total", **labels
    )


def test_health_and_readiness_answer_without_a_token(aggregator: Aggregator) -> None:
    healthz = httpx.get(f"{aggregator.base_url}/healthz")
    readyz = httpx.get(f"{aggregator.base_url}/readyz")

    assert (healthz.status_code, healthz.json()["status"]) == (200, "ok")
    assert (readyz.status_code, readyz.json()["status"]) == (200, "ready")


@SQLITE_ONLY
def test_readiness_is_503_while_a_migration_is_missing_or_the_database_is_down(
    database_url: str,
) -> None:
    engine = engine_from_url(database_url)
    ahead = (*AGGREGATOR, Migration("aggregator", 999, "from the future", ()))

    @contextlib.asynccontextmanager
    async def started(app: Starlette) -> AsyncIterator[None]:
        await engine.start()
        await migrate(engine, AGGREGATOR)
        yield
        await engine.close()

    missing = Starlette(routes=health_routes(engine, ahead, side="aggregator"), lifespan=started)
    never_started = engine_from_url(database_url)
    down = Starlette(routes=health_routes(never_started, AGGREGATOR, side="aggregator"))
    with serve_in_thread(missing) as missing_url, serve_in_thread(down) as down_url:
        pending = httpx.get(f"{missing_url}/readyz")
        unreachable = httpx.get(f"{down_url}/readyz")
        alive = httpx.get(f"{down_url}/healthz")

    assert pending.status_code == 503
    assert "aggregator:999" in pending.json()["reason"]
    assert unreachable.status_code == 503
    assert "database unavailable" in unreachable.json()["reason"]
    assert alive.status_code == 200  # the process is up, even with its database down


async def test_the_request_id_is_taken_from_the_caller_or_made_up_and_answered_back(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player()
    raw = body(action="balance", session_id=player.session_id)
    headers = {SIGN_HEADER: sign(raw, player.token), "Content-Type": "application/json"}
    url = f"{aggregator.base_url}/wallet/{player.client_id}"
    async with httpx.AsyncClient() as http:
        given = await http.post(url, content=raw, headers={**headers, "X-Request-Id": "trace-7"})
        made = await http.post(url, content=raw, headers=headers)
        unsafe = await http.post(url, content=raw, headers={**headers, "X-Request-Id": "a b\tc"})
        admin = await http.get(f"{aggregator.base_url}/healthz", headers={"X-Request-Id": "hz-1"})

    assert given.headers["x-request-id"] == "trace-7"
    assert re.fullmatch(r"[0-9a-f]{16}", made.headers["x-request-id"])
    assert unsafe.headers["x-request-id"] != "a b\tc"
    assert admin.headers["x-request-id"] == "hz-1"


# -- a served process ---------------------------------------------------------------------


@SQLITE_ONLY
def test_a_served_wallet_logs_json_lines_with_the_request_id(
    database_url: str, tmp_path: Path
) -> None:
    from provider.support import eventually

    with served(tmp_path) as wallet, AdminClient(wallet.url, ADMIN_TOKEN) as admin:
        url, log = wallet.url, wallet.log
        client_id, token = uid("client"), "token-" + uid("t")
        admin.upsert_client(client_id, [token])
        raw = body(action="balance", session_id="no-such-session")
        answer = httpx.post(
            f"{url}/wallet/{client_id}",
            content=raw,
            headers={SIGN_HEADER: sign(raw, token), "X-Request-Id": "follow-me-42"},
        )
        assert answer.json()["code"] == "SESSION_NOT_FOUND"

        def logged() -> dict[str, object] | None:
            for line in log.read_text().splitlines():
                if "follow-me-42" in line:
                    found: dict[str, object] = json.loads(line)
                    return found
            return None

        line = eventually(logged, what="the wallet's access line")
    assert line["request_id"] == "follow-me-42"
    assert line["client_id"] == client_id
    assert line["code"] == "SESSION_NOT_FOUND"
    assert line["logger"] == "reelbridge.access"
    structured = [ln for ln in log.read_text().splitlines() if ln.startswith("{")]
    for text in structured:
        json.loads(text)
    assert len(structured) >= 3  # start-up lines from uvicorn too
