"""Where a server's time goes: py-spy samples of a process, summed by layer.

    .venv/bin/python bench/bench_profile.py summarize profile.raw

``Sampler`` runs ``py-spy record`` (the ``bench`` extra) against a server process for
the measured window and writes py-spy's raw (collapsed) stacks; ``summarize`` sums the
samples by the deepest layer each stack reaches (see ``LAYERS``), so that the table
says how much of the server's sampled time is HTTP, framework, wallet code, SQL or the
commit thread. Sampling costs CPU: figures measured with a profiler attached are not
comparable to those without.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
from pathlib import Path

# (layer, a substring of a py-spy frame). A stack belongs to the matching layer whose
# frame is deepest in it; stacks that match none are "event loop, asyncio, gc, other".
LAYERS: tuple[tuple[str, str], ...] = (
    ("uvicorn HTTP protocol (httptools)", "httptools_impl"),
    ("Starlette middleware and routing", "Starlette.__call__"),
    ("Starlette Request/Response", "request_response"),
    ("wallet endpoint (raw ASGI) and handler", "WalletEndpoint."),
    ("signature (HMAC)", "verify ("),
    ("decode (msgspec)", "decode_wallet_request"),
    ("engine: batching", "SqliteEngine._batches"),
    ("engine: flow statements (SQLite, loop thread)", "_run_flow"),
    ("engine: flow statements (SQLite, loop thread)", "_run_batch"),
    ("asyncpg", "asyncpg/"),
    ("reads (reader threads)", "_read_in_thread"),
    ("commit thread (COMMIT, fsync; GIL released)", "_worker (concurrent"),
    ("checkpoint thread", "_Checkpointer._run"),
)
OTHER = "event loop, asyncio, gc, other"


def summarize(raw: Path) -> list[tuple[str, float]]:
    """Share of samples per layer, largest first."""
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        frames = stack.split(";")
        total += int(n)
        chosen, depth = OTHER, -1
        for name, key in LAYERS:
            at = max((i for i, frame in enumerate(frames) if key in frame), default=-1)
            if at > depth:
                chosen, depth = name, at
        counts[chosen] += int(n)
    return [(name, count / total) for name, count in counts.most_common()] if total else []


def print_summary(title: str, raw: Path, *, file: object = None) -> None:
    """The layer table of one profile."""
    out = file or sys.stdout
    rows = summarize(raw)
    print(f"{title}: where the sampled time goes ({raw})", file=out)  # type: ignore[call-overload]
    for name, share in rows:
        print(f"  {100 * share:5.1f} %  {name}", file=out)  # type: ignore[call-overload]


class Sampler:
    """``py-spy record`` of one process for a fixed time, in the background."""

    def __init__(self, pid: int, out: Path, seconds: float, rate: int = 200) -> None:
        self.out = out
        self._argv = [
            _py_spy(),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ]
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen(
            self._argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait for the sampler; whether it wrote its output."""
        if self._proc is None:
            return False
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        return self.out.exists()


def _py_spy() -> str:
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if not found:
        raise RuntimeError("py-spy is missing: `python3 dev.py bench` installs the bench extra")
    return found


def available() -> bool:
    """Whether py-spy can be run."""
    try:
        _py_spy()
    except RuntimeError:
        return False
    return True


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "summarize":
        sys.exit(__doc__)
    print_summary("profile", Path(sys.argv[2]))
