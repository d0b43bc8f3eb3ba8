"""The wallet transport over asyncio: HTTP/1.1 POSTs on kept-alive connections.

An adapter of the ``WalletTransport`` port (``wallet_client.py``). A wallet call is one
POST of a small JSON body answered by a small JSON body, so this speaks just that much
HTTP/1.1: the request written whole; the answer's status line and headers, then a body
framed by ``Content-Length``, by ``chunked`` encoding, or by the connection's end. A
connection goes back to its origin's idle pool only when the answer was read exactly to
its end and the server keeps it open; a pooled connection the server has closed since
is never reused. No retries (the outbox is the only place that resends, B14); the whole
exchange, connecting included, must fit the budget; every failure is a
``TransportError``. Wallet URLs are called directly: no proxy variables
(``HTTPS_PROXY``) are read, and no compression is asked for.

Why not httpx: measured with ``bench/bench_provider.py --profile``, its client spent
about 1.2 ms of CPU per wallet call on the 2-core test machine (a connection-pool scan,
a socket poll and a failing ``import sniffio`` per request), against 0.04 ms for a plain
kept-alive connection — with two calls per spin, most of the provider's CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from collections import defaultdict
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from reelbridge.provider.wallet_client import RawReply, TransportError

_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,64}")
MAX_HEAD = 64 * 1024
"""Largest status line + headers accepted."""
MAX_BODY = 1024 * 1024
"""Largest answer body accepted (a wallet answer is a few dozen bytes)."""


class _Origin(NamedTuple):
    tls: bool
    host: str
    port: int


class _Connection(asyncio.Protocol):
    """One connection: what arrived so far, and whether the server has closed it."""

    def __init__(self) -> None:
        self.transport: Any = None  # uvloop's transports don't subclass asyncio's
        self.buffer = bytearray()
        self.closed = False
        self._waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._wake()

    def eof_received(self) -> bool | None:
        self.closed = True
        self._wake()
        return None  # close our end too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    @property
    def reusable(self) -> bool:
        """Open, and nothing unread on it."""
        return not self.closed and not self.buffer and self.transport is not None

    async def more(self) -> None:
        """Wait for more bytes (or the end); raise if it has ended already."""
        if self.closed:
            raise ConnectionResetError("the wallet closed the connection mid-answer")
        self._waiter = asyncio.get_running_loop().create_future()
        await self._waiter

    async def take_until(self, mark: bytes, limit: int) -> bytes:
        """Bytes up to and including ``mark``."""
        while (at := self.buffer.find(mark)) < 0:
            if len(self.buffer) > limit:
                raise ValueError(f"no {mark!r} within {limit} bytes")
            await self.more()
        end = at + len(mark)
        if end > limit:
            raise ValueError(f"no {mark!r} within {limit} bytes")
        data = bytes(self.buffer[:end])
        del self.buffer[:end]
        return data

    async def take(self, size: int) -> bytes:
        """Exactly ``size`` bytes."""
        while len(self.buffer) < size:
            await self.more()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    async def take_rest(self, limit: int) -> bytes:
        """Everything until the server closes the connection."""
        while not self.closed:
            if len(self.buffer) > limit:
                raise ValueError(f"answer larger than {limit} bytes")
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        data = bytes(self.buffer)
        self.buffer.clear()
        return data

    def close(self) -> None:
        """Close (idempotent)."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _parse_head(head: bytes) -> tuple[int, bool, dict[str, str]]:
    """``(status, HTTP/1.1, headers)`` of a status line and headers (names lower-cased).

    Raises:
        ValueError: not an HTTP/1.x answer, or a malformed or repeated length.
    """
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if version not in ("HTTP/1.1", "HTTP/1.0") or not (code.isascii() and code.isdigit()):
        raise ValueError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise ValueError(f"malformed header line: {line[:80]!r}")
        key, value = name.lower(), value.strip()
        if key in headers and key in ("content-length", "transfer-encoding"):
            raise ValueError(f"repeated {key} header")
        headers[key] = value
    return int(code), version == "HTTP/1.1", headers


async def _read_body(conn: _Connection, status: int, headers: dict[str, str]) -> bytes:
    if status in (204, 304):
        return b""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            line = await conn.take_until(b"\r\n", 1024)
            size_text = line[:-2].split(b";", 1)[0].strip()
            size = int(size_text, 16)  # ValueError when not hex
            if size == 0:
                while await conn.take_until(b"\r\n", MAX_HEAD) != b"\r\n":
                    pass  # trailers
                return bytes(body)
            if len(body) + size > MAX_BODY:
                raise ValueError(f"answer larger than {MAX_BODY} bytes")
            body += await conn.take(size)
            if await conn.take(2) != b"\r\n":
                raise ValueError("malformed chunk")
    if "transfer-encoding" in headers:
        raise ValueError(f"unsupported transfer-encoding {headers['transfer-encoding']!r}")
    if "content-length" in headers:
        text = headers["content-length"]
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_BODY:
            raise ValueError(f"bad content-length {text[:30]!r}")
        return await conn.take(int(text))
    return await conn.take_rest(MAX_BODY)


class Http11Transport:
    """Adapter: signed POSTs to wallet URLs (``http://`` or ``https://``) over kept-alive
    HTTP/1.1 connections, each exchange within ``timeout_seconds``."""

    def __init__(self, *, timeout_seconds: float, max_idle: int = 64) -> None:  # float ok
        self._timeout = timeout_seconds
        self._max_idle = max_idle
        self._idle: defaultdict[_Origin, list[_Connection]] = defaultdict(list)
        self._tls: ssl.SSLContext | None = None

    async def post(
        self, url: str, body: bytes, signature: str, *, request_id: str = ""
    ) -> RawReply:
        """POST ``body`` with ``X-Sign`` (and ``X-Request-Id``); the answer's status and body.

        Raises:
            TransportError: no complete answer within the budget (refused, reset, timed
                out, malformed, or an unusable URL).
        """
        conn: _Connection | None = None
        try:
            origin, target, host = self._target(url)
            traced = f"X-Request-Id: {request_id}\r\n" if _TOKEN.fullmatch(request_id) else ""
            request = (
                f"POST {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: reelbridge\r\n"
                f"Content-Type: application/json\r\nX-Sign: {signature}\r\n{traced}"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode("latin-1") + body
            async with asyncio.timeout(self._timeout):
                conn = await self._connection(origin)
                assert conn.transport is not None
                conn.transport.write(request)
                while True:
                    status, http11, headers = _parse_head(
                        await conn.take_until(b"\r\n\r\n", MAX_HEAD)
                    )
                    if not 100 <= status < 200:
                        break  # an interim answer (100 Continue) comes before the real one
                answer = await _read_body(conn, status, headers)
        except (OSError, TimeoutError, ValueError, ssl.SSLError, UnicodeError) as exc:
            if conn is not None:
                conn.close()
            raise TransportError(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
        except BaseException:  # cancelled: the connection is in an unknown state
            if conn is not None:
                conn.close()
            raise
        keep = headers.get("connection", "").lower()
        if (keep == "close" or (not http11 and keep != "keep-alive")) or not conn.reusable:
            conn.close()
        else:
            self._release(origin, conn)
        return RawReply(status, answer)

    def _target(self, url: str) -> tuple[_Origin, str, str]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url[:200]!r}")
        if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
            raise ValueError("control characters or spaces in the URL")
        tls = parts.scheme == "https"
        origin = _Origin(tls, parts.hostname, parts.port or (443 if tls else 80))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return origin, target, parts.netloc.rpartition("@")[2]

    async def _connection(self, origin: _Origin) -> _Connection:
        idle = self._idle[origin]
        while idle:
            conn = idle.pop()
            if conn.reusable:
                return conn
            conn.close()  # closed by the server while idle (its keep-alive timeout)
        if origin.tls and self._tls is None:
            self._tls = ssl.create_default_context()  # loaded once, on the first https call
        _, conn = await asyncio.get_running_loop().create_connection(
            _Connection,
            origin.host,
            origin.port,
            ssl=self._tls if origin.tls else None,
            server_hostname=origin.host if origin.tls else None,
        )
        return conn

    def _release(self, origin: _Origin, conn: _Connection) -> None:
        idle = self._idle[origin]
        if len(idle) < self._max_idle:
            idle.append(conn)
        else:
            conn.close()

    async def aclose(self) -> None:
        """Close every pooled connection."""
        for idle in self._idle.values():
            for conn in idle:
                with contextlib.suppress(Exception):
                    conn.close()
        self._idle.clear()
