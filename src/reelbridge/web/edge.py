"""The HTTP edge: uvicorn's httptools protocol with two guards it lacks.

1. **Header size.** httptools (llhttp) keeps a header's bytes until the header ends, with
   no limit: eight 32 MiB ``X-Sign`` headers grew a wallet by 460 MiB. Here the bytes of a
   request's head (request line and headers) are counted as they arrive, and only
   ``max_header_bytes`` of them are ever given to the parser: a head that has not ended
   by then is answered ``431 Request Header Fields Too Large`` and the connection closed;
   the rest is never read into memory.
2. **Stalled requests.** uvicorn times out idle kept-alive connections, but not a request
   that is arriving slowly (or not at all): a half-sent head or body held a connection
   open for minutes. Here a request must arrive whole (head and body) within
   ``request_timeout_seconds`` of its first byte (or of the connection's opening): else
   ``408 Request Timeout`` when no answer has started, and the connection is closed; an
   app waiting for the body sees the client disconnect.

Both are counted (``reelbridge_http_refused_total{reason}``). The limits and the
counters come from the app's lifespan state (``observing``), so each app's own settings
apply in every worker; a server without them uses the defaults.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from reelbridge.config import HttpSettings
from reelbridge.observability.metrics import EDGE_KEY, STATE_KEY

PROTOCOL_PATH = "reelbridge.web.edge:GuardedHttpToolsProtocol"
"""What ``uvicorn.Config(http=…)`` is given (an import string: workers import it)."""


@dataclass(frozen=True)
class EdgeLimits:
    """The limits of the HTTP edge (``settings.http``)."""

    max_header_bytes: int = 32 * 1024
    request_timeout_seconds: float = 30.0  # float ok: seconds


def edge_limits(http: HttpSettings) -> EdgeLimits:
    """The edge limits of a service's HTTP settings."""
    return EdgeLimits(http.max_header_bytes, http.request_timeout_seconds)


def _answer(status: bytes, text: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(text)).encode() + b"\r\nconnection: close\r\n\r\n" + text
    )


TOO_LARGE = _answer(b"431 Request Header Fields Too Large", b"Request header fields too large")
TIMED_OUT = _answer(b"408 Request Timeout", b"Request not received in time")


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that refuses oversized heads and closes stalled requests."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limits = self.app_state.get(EDGE_KEY) or EdgeLimits()
        self._max_head: int = limits.max_header_bytes
        self._timeout: float = limits.request_timeout_seconds  # float ok: seconds
        self._metrics = self.app_state.get(STATE_KEY)
        self._head = 0
        self._in_head = True
        # One timer per connection, not one per request: it checks when it fires whether
        # the request under way (started at ``_since``) is overdue, else fires again later.
        self._since: float | None = None  # float ok: loop time
        self._stall: asyncio.TimerHandle | None = None

    # -- the connection ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """A new connection: its first request must arrive in time."""
        super().connection_made(transport)
        self._since = self.loop.time()
        self._stall = self.loop.call_later(self._timeout, self._check)

    def connection_lost(self, exc: Exception | None) -> None:
        """Closed by either side."""
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed the parser, at most ``max_header_bytes`` of a request's head."""
        if self.transport.is_closing():
            return
        if self._in_head:
            if self._since is None:
                self._since = self.loop.time()  # the first bytes of the next request
            room = self._max_head - self._head
            if len(data) > room:
                if room > 0:
                    super().data_received(data[:room])
                if self._in_head:  # the head did not end within the limit
                    self._refuse(TOO_LARGE, "oversized_headers")
                    return
                self.data_received(data[room:])  # the body (or the next request)
                return
            self._head += len(data)
        super().data_received(data)

    # -- parser callbacks ------------------------------------------------------------

    def on_headers_complete(self) -> None:
        """The head ended within the limit."""
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The whole request arrived: the app has it; the next one starts a new clock."""
        super().on_message_complete()
        self._since = None
        self._in_head, self._head = True, 0

    # -- the guards ------------------------------------------------------------------

    def _check(self) -> None:
        self._stall = None
        if self.transport.is_closing():
            return
        left = None if self._since is None else self._since + self._timeout - self.loop.time()
        if left is None or left > 0:  # idle, or the request under way has time left
            wait = self._timeout if left is None else left
            self._stall = self.loop.call_later(wait, self._check)
            return
        if self.cycle is not None and self.cycle.response_started:
            self._count("stalled")
            self.transport.close()
            return
        idle = (self.cycle is None or self.cycle.response_complete) and self._head == 0
        if idle and self._in_head:
            self.transport.close()  # a connection that never sent anything: no answer
            return
        self._refuse(TIMED_OUT, "stalled")

    def _refuse(self, answer: bytes, reason: str) -> None:
        self._count(reason)
        self.transport.write(answer)
        self.transport.close()

    def _count(self, reason: str) -> None:
        if self._metrics is not None:
            self._metrics.http_refused.labels(reason).inc()
