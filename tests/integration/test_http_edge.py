"""The HTTP edge of a served wallet, with the production stack (uvloop and httptools behind
the guarded protocol): oversized heads refused with 431 before they are buffered, stalled
requests closed with 408 after the configured timeout, a client that goes away mid-body
counted and not logged as an error, and a request carrying two signatures refused."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reelbridge.protocol import SIGN_HEADER, sign
from reelbridge.testing import AdminClient

from .processes import Served, served
from .support import ADMIN_TOKEN, body, uid

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TIMEOUT = 1.0
MB = 1024 * 1024


@pytest.fixture(scope="module")
def wallet(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Served]:
    """One served wallet for the module, with a 1 s request timeout."""
    env = {"REELBRIDGE_HTTP_REQUEST_TIMEOUT_SECONDS": str(TIMEOUT)}
    with served(tmp_path_factory.mktemp("edge"), env=env) as server:
        yield server


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def metric(url: str, name: str) -> float:
    text = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).text
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_an_oversized_head_is_refused_with_431(wallet: Served) -> None:
    before = metric(wallet.url, 'reelbridge_http_refused_total{reason="oversized_headers"}')
    with connect(wallet.url) as sock:
        sock.sendall(b"POST /wallet/c1 HTTP/1.1\r\nHost: w\r\nX-Sign: " + b"a" * 100_000)
        answer = read_all(sock)

    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    after = metric(wallet.url, 'reelbridge_http_refused_total{reason="oversized_headers"}')
    assert after == before + 1


def test_a_head_just_under_the_limit_is_served(wallet: Served) -> None:
    response = httpx.get(f"{wallet.url}/healthz", headers={"X-Padding": "p" * 30_000})
    assert response.status_code == 200


def test_eight_huge_signature_headers_do_not_grow_the_server(wallet: Served) -> None:
    before = wallet.rss_bytes()

    def attack() -> None:
        with contextlib.suppress(OSError), connect(wallet.url) as sock:
            sock.sendall(b"POST /wallet/c1 HTTP/1.1\r\nHost: w\r\nX-Sign: ")
            chunk = b"f" * MB
            for _ in range(32):
                sock.sendall(chunk)

    threads = [threading.Thread(target=attack) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    grown = wallet.rss_bytes() - before
    assert grown < 16 * MB, f"the wallet grew by {grown / MB:.1f} MiB"
    assert httpx.get(f"{wallet.url}/healthz").status_code == 200


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(b"POST /wallet/c1 HTTP/1.1\r\nHost: w\r\nX-Si", id="half a head"),
        pytest.param(
            b'POST /wallet/c1 HTTP/1.1\r\nHost: w\r\nContent-Length: 100\r\n\r\n{"action"',
            id="half a body",
        ),
    ],
)
def test_a_stalled_request_is_closed_with_408_after_the_timeout(
    wallet: Served, sent: bytes
) -> None:
    before = metric(wallet.url, 'reelbridge_http_refused_total{reason="stalled"}')
    with connect(wallet.url) as sock:
        started = time.monotonic()
        sock.sendall(sent)
        answer = read_all(sock)
        waited = time.monotonic() - started

    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert TIMEOUT * 0.8 <= waited < TIMEOUT + 5
    assert metric(wallet.url, 'reelbridge_http_refused_total{reason="stalled"}') == before + 1


def test_a_silent_connection_is_closed_after_the_timeout(wallet: Served) -> None:
    with connect(wallet.url) as sock:
        started = time.monotonic()
        assert read_all(sock) == b""
        assert time.monotonic() - started < TIMEOUT + 5


@pytest.mark.parametrize("path", ["/wallet/c1", "/admin/players"])
def test_a_client_gone_mid_body_is_counted_not_logged_as_an_error(
    wallet: Served, path: str
) -> None:
    before = metric(wallet.url, "reelbridge_http_client_disconnects_total")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: w\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
        "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    )
    with connect(wallet.url) as sock:
        sock.sendall(head.encode() + b'{"player_id": "p')
        time.sleep(0.1)  # the server has the head and part of the body: it waits for more

    def counted() -> float:
        deadline = time.monotonic() + 10
        while (now := metric(wallet.url, "reelbridge_http_client_disconnects_total")) <= before:
            assert time.monotonic() < deadline, "the disconnect was not counted"
            time.sleep(0.05)
        return now

    assert counted() == before + 1
    errors = [
        line for line in wallet.log.read_text().splitlines()
        if line.startswith("{") and json.loads(line)["level"] in ("error", "critical")
    ]  # fmt: skip
    assert errors == []
    assert "Traceback" not in wallet.log.read_text()


def test_two_signature_headers_are_refused_as_invalid_sign(wallet: Served) -> None:
    with AdminClient(wallet.url, ADMIN_TOKEN) as admin:
        client_id, token = uid("client"), "token-" + uid("t")
        admin.upsert_client(client_id, [token])
    raw = body(action="balance", session_id="whatever")
    good = sign(raw, token)
    head = (
        f"POST /wallet/{client_id} HTTP/1.1\r\nHost: w\r\nContent-Type: application/json\r\n"
        f"{SIGN_HEADER}: {good}\r\n{SIGN_HEADER}: {good}\r\nContent-Length: {len(raw)}\r\n"
        "Connection: close\r\n\r\n"
    )
    with connect(wallet.url) as sock:
        sock.sendall(head.encode() + raw)
        answer = read_all(sock)
    once = httpx.post(f"{wallet.url}/wallet/{client_id}", content=raw, headers={SIGN_HEADER: good})

    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["code"] == "INVALID_SIGN"
    assert once.json()["code"] == "SESSION_NOT_FOUND"  # the same signature, once: verified


def test_the_edge_counts_nothing_for_ordinary_traffic(wallet: Served, tmp_path: Path) -> None:
    before = metric(wallet.url, 'reelbridge_http_refused_total{reason="stalled"}')
    with httpx.Client() as http:
        for _ in range(20):
            assert http.get(f"{wallet.url}/healthz").status_code == 200
    assert metric(wallet.url, 'reelbridge_http_refused_total{reason="stalled"}') == before
