"""``reelbridge demo`` as a newcomer runs it (a real process): the lobby URL first, the
back office and console with how to log in, columns that line up, commands that run as
printed, a second run that reuses the data and says so, ``--fresh``, and SIGTERM
stopping it as cleanly as Ctrl-C."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from reelbridge.testing import free_port

REELBRIDGE = Path(sys.executable).parent / "reelbridge"
END = "Ctrl-C stops the demo."


class Demo:
    """A running ``reelbridge demo`` process and what it printed."""

    def __init__(self, process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        self.process = process
        self._lines = lines
        self.output: list[str] = []

    def read_until(self, marker: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            self.output.append(line.rstrip("\n"))
            if marker in line:
                return "\n".join(self.output)
        raise AssertionError(f"no {marker!r} in the demo's output:\n" + "\n".join(self.output))

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout=60)
        self.read_until("stopped", timeout=10)
        return code


def free_pair() -> int:
    for _ in range(50):
        port = free_port()
        if port < 65000:
            try:
                import socket

                with socket.socket() as s:
                    s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
    raise AssertionError("no two free ports in a row")


@contextmanager
def demo(folder: Path, *args: str) -> Iterator[Demo]:
    port = free_pair()
    process = subprocess.Popen(
        [str(REELBRIDGE), "demo", "--data-dir", str(folder), "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    running = Demo(process, lines)
    try:
        running.read_until(END)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        reader.join(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


def row(banner: str, name: str) -> str:
    (line,) = [line for line in banner.splitlines() if line.startswith(f"  {name} ")]
    return line


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_the_demo_prints_the_lobby_first_and_stops_cleanly(tmp_path: Path, sig: int) -> None:
    with demo(tmp_path / "data") as running:
        banner = "\n".join(running.output)
        names = ["Lobby", "Back office", "Studio console"]
        rows = [row(banner, name) for name in names]
        assert banner.index(rows[0]) < banner.index(rows[1]) < banner.index(rows[2])
        starts = {line.index("http://") for line in rows}
        assert len(starts) == 1, rows  # the URL column lines up
        assert "log in with admin token" in rows[1] and "log in with admin token" in rows[2]
        lobby = re.search(r"(http://\S+)", rows[0])
        assert lobby
        assert httpx.get(lobby[1], timeout=60).status_code == 200
        assert running.stop(sig) == 0
    assert "Traceback" not in "\n".join(running.output)


def test_a_second_run_reuses_the_data_and_shows_the_real_balance(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    with demo(folder) as first:
        banner = "\n".join(first.output)
        assert "new data in" in banner
        assert "alice 1,000.00 EUR" in banner
        token = re.search(r"aggregator transactions list .* --token (\S+)", banner)
        url = re.search(r"Back office\s+(http://[^/\s]+)", banner)
        assert token and url
        deposit = {"player_id": "alice", "currency": "EUR", "amount": "955.45",
                   "reference": "test-top-up", "reason": "test"}  # fmt: skip
        headers = {"Authorization": f"Bearer {token[1]}"}
        assert httpx.post(f"{url[1]}/admin/deposits", json=deposit, headers=headers).is_success
        assert first.stop() == 0
    with demo(folder) as second:
        banner = "\n".join(second.output)
        assert "reusing the data in" in banner and "--fresh starts over" in banner
        assert "alice 1,955.45 EUR" in banner
        assert f"--token {token[1]}" in banner  # the same login as before
        assert second.stop() == 0
    with demo(folder, "--fresh") as fresh:
        banner = "\n".join(fresh.output)
        assert "new data in" in banner and "alice 1,000.00 EUR" in banner
        assert fresh.stop() == 0


def test_the_commands_the_demo_prints_run_as_printed(tmp_path: Path) -> None:
    """Pasted into a fresh shell elsewhere: bash, another folder, no REELBRIDGE_ variable."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    fresh = {k: v for k, v in os.environ.items() if not k.startswith("REELBRIDGE_")}
    with demo(tmp_path / "data") as running:
        commands = [
            line.strip()
            for line in running.output
            if line.startswith("  ") and line.strip().startswith(str(REELBRIDGE))
        ]
        assert len(commands) == 3, running.output
        outputs = []
        for command in commands:
            done = subprocess.run(
                ["bash", "-c", command], capture_output=True, text=True, timeout=120,
                env={**fresh, "COLUMNS": "200"}, cwd=elsewhere,
            )  # fmt: skip
            assert done.returncode == 0, (command, done.stdout, done.stderr)
            assert "Traceback" not in done.stdout + done.stderr
            outputs.append(done.stdout)
        assert "settled" in outputs[0]  # ten rounds played
        assert "alice" in outputs[1] and "deposit" in outputs[1]
        assert "alice" in outputs[2] and "real" in outputs[2]
        assert running.stop() == 0


def test_every_link_the_demo_prints_opens(tmp_path: Path) -> None:
    with demo(tmp_path / "data") as running:
        printed = re.findall(r"(http://127\.0\.0\.1:\d+/\S*)", "\n".join(running.output))
        links = list(dict.fromkeys(printed))
        # the lobby, back office, studio console, and the two launched games (the real one
        # printed again in the command that plays it)
        assert len(links) == 5, running.output
        for link in links:
            assert httpx.get(link, timeout=60, follow_redirects=True).status_code == 200, link
        assert running.stop() == 0
