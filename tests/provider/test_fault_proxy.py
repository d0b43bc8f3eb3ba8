"""The fault proxy of the harness (reelbridge.testing.faults) against a recording upstream:
it forwards the exact bytes and signature, and each fault does what its name says."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelbridge.testing import serve_in_thread
from reelbridge.testing.faults import (
    Fault,
    FaultProxy,
    cut,
    delay,
    duplicate,
    forward_then_fail,
    hang_until,
    http_status,
    not_json,
    reply,
)

ANSWER = b'{"status":true,"balance":12.5}'


@dataclass
class Upstream:
    """A wallet stand-in that records what reaches it and answers success."""

    seen: list[tuple[str, bytes, str | None]] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.seen.append((request.path_params["client_id"], body, request.headers.get("x-sign")))
        return Response(ANSWER, media_type="application/json")


@dataclass
class Rig:
    """A proxy in front of a recording upstream, and a client of the proxy."""

    upstream: Upstream
    proxy: FaultProxy
    url: str
    http: httpx.Client

    def post(self, action: str, tx: str = "t-1", sign: str = "abc") -> httpx.Response:
        body = json.dumps({"action": action, "transaction_id": tx}, separators=(",", ":"))
        return self.http.post(self.url, content=body.encode(), headers={"X-Sign": sign})


@pytest.fixture
def rig() -> Iterator[Rig]:
    """A running upstream and proxy."""
    upstream = Upstream()
    app = Starlette(routes=[Route("/wallet/{client_id}", upstream.handle, methods=["POST"])])
    with serve_in_thread(app) as upstream_url:
        proxy = FaultProxy(upstream_url)
        with serve_in_thread(proxy.app) as proxy_url, httpx.Client(timeout=10) as http:
            yield Rig(upstream, proxy, f"{proxy_url}/wallet/casino", http)
            proxy.release()


def test_without_a_fault_the_exact_bytes_and_signature_are_forwarded(rig: Rig) -> None:
    body = b'{"action": "win",  "transaction_id":"t-9", "url":"a\\/b"}'
    response = rig.http.post(rig.url, content=body, headers={"X-Sign": "sig"})
    assert (response.status_code, response.content) == (200, ANSWER)
    assert rig.upstream.seen == [("casino", body, "sig")]
    (record,) = rig.proxy.requests()
    assert (record.action, record.tx, record.body, record.signature, record.fault) == (
        "win",
        "t-9",
        body,
        "sig",
        None,
    )


def test_a_reply_fault_answers_the_protocol_error_without_forwarding(rig: Rig) -> None:
    rig.proxy.add(action="bet", kind=reply("INSUFFICIENT_BALANCE", "No money"))
    response = rig.post("bet")
    assert response.status_code == 200
    assert response.json() == {
        "status": False,
        "code": "INSUFFICIENT_BALANCE",
        "message": "No money",
    }
    assert rig.upstream.seen == []


def test_faults_apply_times_times_to_matching_requests_only_in_order(rig: Rig) -> None:
    rig.proxy.add(action="win", kind=http_status(500), times=2)
    rig.proxy.add(action="win", kind=not_json())
    rig.proxy.add(tx="only-this", kind=http_status(503))
    assert rig.post("bet").status_code == 200  # another action
    assert [rig.post("win").status_code for _ in range(2)] == [500, 500]
    third = rig.post("win")
    assert third.status_code == 200 and third.content.startswith(b"<html>")
    assert rig.post("win").content == ANSWER  # rules used up
    assert rig.post("refund", tx="other").status_code == 200
    assert rig.post("refund", tx="only-this").status_code == 503
    assert [r.fault for r in rig.proxy.requests("win")] == [
        "http 500",
        "http 500",
        "not json",
        None,
    ]
    assert len(rig.upstream.seen) == 3  # bet, the fourth win, the other refund


def test_times_none_lasts_until_clear(rig: Rig) -> None:
    rig.proxy.add(kind=http_status(500), times=None)
    assert {rig.post("win").status_code for _ in range(5)} == {500}
    rig.proxy.clear()
    assert rig.post("win").status_code == 200


def test_delay_slows_the_request_or_its_answer_or_loses_it(rig: Rig) -> None:
    rig.proxy.add(kind=delay(0.3, forward="never"))
    started = time.monotonic()
    assert rig.post("bet").status_code == 504
    assert time.monotonic() - started >= 0.3 and rig.upstream.seen == []
    for forward in ("after", "before"):
        rig.proxy.add(kind=delay(0.3, forward=forward))
        started = time.monotonic()
        assert rig.post("bet", tx=forward).content == ANSWER
        assert time.monotonic() - started >= 0.3
    assert [json.loads(body)["transaction_id"] for _, body, _ in rig.upstream.seen] == [
        "after",
        "before",
    ]


def test_forward_then_fail_applies_upstream_and_loses_the_answer(rig: Rig) -> None:
    rig.proxy.add(kind=forward_then_fail())
    assert rig.post("bet").status_code == 502
    assert len(rig.upstream.seen) == 1


def test_hang_until_holds_the_request_until_the_event(rig: Rig) -> None:
    event = threading.Event()
    rig.proxy.add(kind=hang_until(event))
    answers: list[httpx.Response] = []
    worker = threading.Thread(target=lambda: answers.append(rig.post("win")))
    worker.start()
    rig.proxy.wait_for("win")
    with pytest.raises(TimeoutError):
        rig.proxy.wait_idle(timeout=0.2)
    assert rig.upstream.seen == [] and answers == []
    event.set()
    worker.join(timeout=5)
    rig.proxy.wait_idle(timeout=5)
    assert answers[0].content == ANSWER and len(rig.upstream.seen) == 1


def test_release_ends_every_hang(rig: Rig) -> None:
    rig.proxy.add(kind=hang_until(threading.Event(), forward="before"))
    worker = threading.Thread(target=rig.post, args=("bet",))
    worker.start()
    rig.proxy.wait_for("bet")
    rig.proxy.release()
    worker.join(timeout=5)
    assert not worker.is_alive()
    rig.proxy.wait_idle(timeout=5)
    assert len(rig.upstream.seen) == 1


def test_wait_for_gives_up_after_its_timeout(rig: Rig) -> None:
    with pytest.raises(TimeoutError):
        rig.proxy.wait_for("bet", timeout=0.1)
    rig.post("bet")
    assert len(rig.proxy.wait_for("bet", timeout=1)) == 1


def test_an_unreadable_body_is_recorded_and_forwarded_as_is(rig: Rig) -> None:
    response = rig.http.post(rig.url, content=b"\xff not json")
    assert response.content == ANSWER
    (record,) = rig.proxy.requests()
    assert (record.action, record.tx, record.body) == (None, None, b"\xff not json")


def test_duplicate_forwards_the_same_bytes_several_times_and_answers_once(rig: Rig) -> None:
    rig.proxy.add(kind=duplicate(3))
    response = rig.post("win", tx="t-dup", sign="s")
    assert response.content == ANSWER
    assert [(body, sign) for _, body, sign in rig.upstream.seen] == [
        (rig.proxy.requests()[0].body, "s")
    ] * 3
    assert len(rig.proxy.answers("win", tx="t-dup")) == 3


@pytest.mark.parametrize(("forward", "seen"), [("before", 1), ("never", 0)])
def test_cut_closes_the_connection_mid_answer(rig: Rig, forward: str, seen: int) -> None:
    rig.proxy.add(kind=cut(forward=forward))  # type: ignore[arg-type]
    with pytest.raises(httpx.RemoteProtocolError):
        rig.post("refund")
    assert len(rig.upstream.seen) == seen
    assert rig.post("refund").content == ANSWER  # the proxy serves on


def test_a_chooser_picks_faults_for_requests_no_rule_matched(rig: Rig) -> None:
    asked: list[tuple[str | None, str | None]] = []

    def choose(action: str | None, tx: str | None) -> Fault | None:
        asked.append((action, tx))
        return http_status(503) if tx == "t-2" else None

    rig.proxy.add(action="bet", kind=http_status(500))
    rig.proxy.choose(choose)
    assert [rig.post("bet", tx=f"t-{n}").status_code for n in range(1, 4)] == [500, 503, 200]
    assert asked == [("bet", "t-2"), ("bet", "t-3")]
    rig.proxy.choose(None)
    assert rig.post("bet", tx="t-2").status_code == 200


def test_answers_keep_what_the_wallet_said_even_when_the_provider_never_hears_it(
    rig: Rig,
) -> None:
    rig.proxy.add(kind=forward_then_fail())
    assert rig.post("win", tx="t-lost").status_code == 502
    rig.proxy.add(kind=reply("INTERNAL_ERROR"))
    rig.post("win", tx="t-never-forwarded")
    (answer,) = rig.proxy.answers()
    assert (answer.tx, answer.status, answer.body, answer.acknowledged) == (
        "t-lost",
        200,
        ANSWER,
        True,
    )
