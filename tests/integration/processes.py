"""A served process of the integration suite: ``reelbridge aggregator serve`` (or
``provider serve``) as its own OS process, with the production HTTP stack (uvloop,
httptools behind the guarded edge), its standard error in a log file."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from reelbridge.testing import free_port

from .support import ADMIN_TOKEN


@dataclass(frozen=True)
class Served:
    """A running server: its URL, its log file and its process id."""

    url: str
    log: Path
    pid: int

    def rss_bytes(self) -> int:
        """The process's resident memory now."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")


@contextlib.contextmanager
def served(
    tmp_path: Path,
    *args: str,
    side: str = "aggregator",
    env: dict[str, str] | None = None,
    database_url: str | None = None,
) -> Iterator[Served]:
    """Start ``reelbridge SIDE serve ARGS`` on a free port and ``database_url`` (a fresh
    SQLite file by default); wait until ``/readyz`` answers 200; terminate it at the end."""
    port, log = free_port(), tmp_path / f"{side}-{time.monotonic_ns()}.log"
    variables = {
        **os.environ,
        "REELBRIDGE_ADMIN_TOKEN": ADMIN_TOKEN,
        "REELBRIDGE_PROVIDER_ADMIN_TOKEN": ADMIN_TOKEN,
        **(env or {}),
    }
    command = [sys.executable, "-m", "reelbridge", side, "serve", "--port", str(port),
               "--database-url", database_url or f"sqlite:///{tmp_path / f'{side}-{port}.db'}",
               *args]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=variables, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, f"not ready after 30 s:\n{log.read_text()}"
            time.sleep(0.05)
        yield Served(url, log, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
