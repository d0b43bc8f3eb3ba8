"""Access lines: one per request, written in batches.

Through ``logging`` an access line cost ≈ 40 µs of CPU per wallet call (a record, the
JSON formatter, a locked write and flush per line: a third of a wallet call, measured
with ``bench/bench_wallet.py``). Here a line is encoded by msgspec and appended to a
buffer, which goes to standard error in one write when it passes 64 KiB or a quarter
second after its first line, and when the app stops, straight to the file descriptor
(standard error), as one write. A crash can lose the last quarter
second of access lines; log records (warnings, errors) are never held back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from typing import Any

import msgspec

FLUSH_BYTES = 64 * 1024
FLUSH_SECONDS = 0.25  # float ok: seconds
_encode = msgspec.json.Encoder().encode


class AccessLog:
    """Writes ``{"time", "level": "info", "logger": "reelbridge.access", …}`` lines (or
    ``key=value`` text), in batches; ``enabled=False`` writes nothing."""

    def __init__(self, *, enabled: bool, fmt: str = "json", fd: int = 2) -> None:
        self.enabled = enabled
        self._json = fmt == "json"
        self._fd = fd
        self._buffer: list[bytes] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None
        self._second = -1
        self._prefix = ""

    def write(self, message: str, fields: dict[str, Any]) -> None:
        """Queue one line (``message``: the human summary)."""
        now = time.time()  # float ok: a timestamp for people
        stamp = (
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
        )
        if self._json:
            line = _encode(
                {"time": stamp, "level": "info", "logger": "reelbridge.access",
                 "message": message, **fields}
            )  # fmt: skip
        else:
            extras = " ".join(f"{k}={v}" for k, v in fields.items())
            line = f"{stamp} INFO reelbridge.access {message}  {extras}".encode()
        self._buffer.append(line + b"\n")
        self._size += len(line) + 1
        if self._size >= FLUSH_BYTES:
            self.flush()
        elif self._timer is None:
            with contextlib.suppress(RuntimeError):  # no loop: flushed by the next write
                self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Write what is queued, now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._buffer:
            return
        data, self._buffer, self._size = b"".join(self._buffer), [], 0
        with contextlib.suppress(Exception):
            sys.stderr.flush()  # what logging wrote before these lines goes first
        view = memoryview(data)
        with contextlib.suppress(OSError):  # standard error closed: nowhere to write
            while view:
                view = view[os.write(self._fd, view) :]
