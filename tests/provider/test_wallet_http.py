"""The provider's wallet transport (``Http11Transport``) against scripted HTTP servers:
the exact request bytes, every way an answer can be framed, connections kept alive only
when safe, and every failure a ``TransportError`` within the budget (B4, B14)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from reelbridge.provider.wallet_client import RawReply, TransportError
from reelbridge.provider.wallet_http import MAX_BODY, Http11Transport
from reelbridge.testing import free_port

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]
OK = b'{"status":true,"balance":1.5}'


def answer(body: bytes = OK, *, status: str = "200 OK", extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One request: its head and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    return head, await reader.readexactly(length)


class Scripted:
    """A server whose ``handler(reader, writer, connection_number)`` runs per connection."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[tuple[bytes, bytes]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/wallet/casino?x=1"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer, self.connections)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def run(self, work: Callable[[Http11Transport], Awaitable[Any]], budget: float = 2.0) -> Any:
        async def main() -> Any:
            server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
            transport = Http11Transport(timeout_seconds=budget)
            try:
                return await work(transport)
            finally:
                await transport.aclose()
                server.close()
                await server.wait_closed()

        return asyncio.run(main())


def keep_alive(responses: Callable[[int], bytes]) -> Handler:
    """Answer every request of a connection with ``responses(n)`` (n counts requests)."""
    count = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        nonlocal count
        while True:
            await read_request(reader)
            count += 1
            writer.write(responses(count))
            await writer.drain()

    return handle


def test_the_exact_body_and_signature_are_posted_and_the_connection_is_kept_alive() -> None:
    seen: list[tuple[bytes, bytes]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        while True:
            seen.append(await read_request(reader))
            writer.write(answer())
            await writer.drain()

    server = Scripted(handle)
    body = b'{"action":"win","url":"a\\/b"}'

    async def work(t: Http11Transport) -> list[RawReply]:
        return [await t.post(server.url, body, "abc123") for _ in range(3)]

    replies = server.run(work)
    assert replies == [RawReply(200, OK)] * 3
    assert server.connections == 1
    head, sent = seen[0]
    assert sent == body
    assert head.startswith(b"POST /wallet/casino?x=1 HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{server.port}\r\n".encode() in head
    assert b"\r\nX-Sign: abc123\r\n" in head and b"Content-Type: application/json" in head


def test_a_chunked_answer_with_extensions_and_trailers_is_read_whole() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\n" + OK[:5] + b"\r\n" + f"{len(OK) - 5:x}\r\n".encode() + OK[5:] + b"\r\n"
        b"0\r\nX-Trailer: 1\r\n\r\n"
    )
    server = Scripted(keep_alive(lambda n: chunked))

    async def work(t: Http11Transport) -> list[RawReply]:
        return [await t.post(server.url, b"{}", "s") for _ in range(2)]

    assert server.run(work) == [RawReply(200, OK)] * 2
    assert server.connections == 1


@pytest.mark.parametrize(
    "framing",
    [
        pytest.param(lambda n: answer(extra="Connection: close\r\n"), id="connection close"),
        pytest.param(
            lambda n: b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(OK), OK),
            id="HTTP/1.0",
        ),
    ],
)
def test_a_connection_the_server_does_not_keep_is_not_reused(
    framing: Callable[[int], bytes],
) -> None:
    server = Scripted(keep_alive(framing))

    async def work(t: Http11Transport) -> list[RawReply]:
        return [await t.post(server.url, b"{}", "s") for _ in range(3)]

    assert server.run(work) == [RawReply(200, OK)] * 3
    assert server.connections == 3


def test_an_answer_without_length_ends_with_the_connection() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n<html>x</html>")
        await writer.drain()

    server = Scripted(handle)

    async def work(t: Http11Transport) -> RawReply:
        return await t.post(server.url, b"{}", "s")

    assert server.run(work) == RawReply(502, b"<html>x</html>")


def test_an_interim_100_continue_comes_before_the_answer() -> None:
    server = Scripted(keep_alive(lambda n: b"HTTP/1.1 100 Continue\r\n\r\n" + answer()))

    async def work(t: Http11Transport) -> RawReply:
        return await t.post(server.url, b"{}", "s")

    assert server.run(work) == RawReply(200, OK)


def test_a_pooled_connection_closed_by_the_server_while_idle_is_not_reused() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await read_request(reader)
        writer.write(answer())  # keep-alive announced, then closed (an idle timeout)
        await writer.drain()

    server = Scripted(handle)

    async def work(t: Http11Transport) -> list[RawReply]:
        first = await t.post(server.url, b"{}", "s")
        await asyncio.sleep(0.1)  # the server's close reaches the idle connection
        return [first, await t.post(server.url, b"{}", "s")]

    assert server.run(work) == [RawReply(200, OK)] * 2
    assert server.connections == 2


def test_an_error_status_is_an_answer_not_a_transport_error() -> None:
    server = Scripted(keep_alive(lambda n: answer(b"oops", status="500 Internal Server Error")))

    async def work(t: Http11Transport) -> RawReply:
        return await t.post(server.url, b"{}", "s")

    assert server.run(work) == RawReply(500, b"oops")


async def _cut_mid_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
    await read_request(reader)
    writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"status":')
    await writer.drain()


async def _garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
    await read_request(reader)
    writer.write(b"SSH-2.0-OpenSSH\r\n\r\n")
    await writer.drain()


async def _huge_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n")
    await writer.drain()


async def _huge_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
    await read_request(reader)
    writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n".encode())
    await writer.drain()


async def _two_lengths(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}")
    await writer.drain()


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
    await read_request(reader)
    await asyncio.sleep(5)


@pytest.mark.parametrize(
    ("handler", "reason"),
    [
        pytest.param(_cut_mid_body, "ConnectionResetError", id="closed mid-body"),
        pytest.param(_garbage, "not an HTTP/1.x status line", id="not HTTP"),
        pytest.param(_huge_head, "within 65536 bytes", id="head too large"),
        pytest.param(_huge_body, "bad content-length", id="body too large"),
        pytest.param(_two_lengths, "repeated content-length", id="two lengths"),
        pytest.param(_silent, "TimeoutError", id="no answer within the budget"),
    ],
)
def test_every_broken_exchange_is_a_transport_error_within_the_budget(
    handler: Handler, reason: str
) -> None:
    server = Scripted(handler)

    async def work(t: Http11Transport) -> tuple[str, float]:
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            await t.post(server.url, b"{}", "s")
        return str(caught.value), time.monotonic() - started

    message, took = server.run(work, budget=0.5)
    assert reason in message
    assert took < 1.5


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/wallet",
        "http:///nohost",
        "http://127.0.0.1:1/wallet x",
        f"http://127.0.0.1:{free_port()}/wallet",  # refused
    ],
)
def test_an_unusable_or_unreachable_url_is_a_transport_error(url: str) -> None:
    async def main() -> None:
        transport = Http11Transport(timeout_seconds=1)
        with pytest.raises(TransportError):
            await transport.post(url, b"{}", "s")
        await transport.aclose()

    asyncio.run(main())


def test_aclose_closes_the_idle_connections() -> None:
    closed = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await read_request(reader)
        writer.write(answer())
        await writer.drain()
        assert await reader.read() == b""  # the client closed its end
        closed.set()

    server = Scripted(handle)

    async def work(t: Http11Transport) -> None:
        await t.post(server.url, b"{}", "s")
        await t.aclose()
        await asyncio.wait_for(closed.wait(), 5)

    server.run(work)
    assert closed.is_set()
