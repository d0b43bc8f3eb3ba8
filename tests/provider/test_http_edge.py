"""The provider's aggregator-facing endpoints at the HTTP edge: two signatures are
refused, a caller that goes away mid-body is counted and not logged as an error."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest

from provider.support import Stack, eventually
from reelbridge.protocol import SIGN_HEADER, sign


def test_a_request_with_two_signatures_is_refused_as_invalid_sign(stack: Stack) -> None:
    raw = json.dumps({"client_id": stack.client_id}).encode()
    good = sign(raw, stack.token)
    host, port = stack.provider_url.removeprefix("http://").split(":")
    head = (
        f"POST /api/jackpots HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\n"
        f"{SIGN_HEADER}: {good}\r\n{SIGN_HEADER}: {good}\r\nContent-Length: {len(raw)}\r\n"
        "Connection: close\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode() + raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk

    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["code"] == "INVALID_SIGN"
    assert stack.post_signed("/api/jackpots", raw).json()["status"] is True


def test_a_caller_gone_mid_body_is_counted_not_an_error(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    def disconnects() -> float:
        for line in stack.admin.get_text("/metrics").splitlines():
            if line.startswith("reelbridge_http_client_disconnects_total "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = disconnects()
    host, port = stack.provider_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /api/game-url HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\n"
            b'Content-Length: 400\r\n\r\n{"client_id": "'
        )
        time.sleep(0.1)
    eventually(lambda: disconnects() > before or None, what="the disconnect counted")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
