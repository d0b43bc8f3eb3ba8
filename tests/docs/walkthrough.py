"""Run a document's ```sh blocks as a person would: in order, in one bash shell, in a
fresh copy of the checkout.

How a run differs from a person's fresh clone, and nothing else:

* **The copy.** The files git knows of (tracked, and new ones not ignored) are copied
  into a temporary folder, as a clone would have them: no ``data/``, no build output.
* **``.venv/``** is a throw-away virtualenv layered over this checkout's ``.venv/``: the
  same interpreter and installed packages (a ``.pth`` file adds that site-packages
  directory; reelbridge, installed editable there, is imported from this checkout's
  ``src/``, the same files as the copy's), with its ``bin/`` scripts pointing at the
  layer's interpreter. What a
  block installs with pip lands in the layer and goes away with the folder, so a run
  never changes the suite's environment. Its dev.py stamp is copied: ``dev.py`` finds
  the environment ready, as after ``python3 dev.py test``.
* **Ports.** Each fixed port a document uses (8000, 8001, 8090, 9100) becomes a free
  port, wherever it appears as ``127.0.0.1:PORT``, ``--port PORT`` or ``--wallet-port
  PORT``; any other occurrence of those numbers in a block is an error of this helper
  (so no substitution is ever silently missed). The run then never collides with a
  server a person or another test has on those ports.
* **The environment.** The caller's ``REELBRIDGE_…`` variables are removed (a document
  sets what it needs), and ``COLUMNS=200`` keeps tables unfolded.
* **Blocks marked** ``<!-- not run: REASON -->`` on the line above them are skipped; the
  tests list which ones, so exceptions stay few and named.

The shell runs ``set -euo pipefail``: a block fails when any command in it exits
non-zero (a person would see it fail), and when its output holds a Python traceback.
Each block is sourced from a file with standard input from ``/dev/null`` (a command
that reads standard input cannot swallow the next block); variables, exports and the
working directory carry over from block to block as in a terminal. The servers a
document starts in the background write their logs to ``data/*.log`` of the copy; a
traceback there fails the tests too (``logs_with_tracebacks``). After every block the
shell's background jobs (``jobs -p``) are recorded with their start times;
``stop_jobs`` ends every one still running, by PID (SIGTERM, then SIGKILL), and never a
later process that was given the same PID.
"""

from __future__ import annotations

import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
import venv
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from reelbridge.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
FIXED_PORTS = (8000, 8001, 8090, 9100)
TRACEBACK = "Traceback (most recent call last)"
_BLOCK = re.compile(
    r"^(?:<!-- not run: (?P<reason>.+?) -->\n)?```sh\n(?P<body>.*?)\n```$", re.M | re.S
)
_HEADING = re.compile(r"^#{2,4} (.+)$", re.M)
_PORT_FORMS = r"(?P<lead>127\.0\.0\.1:|--port |--wallet-port )(?P<port>{ports})\b"


@dataclass(frozen=True)
class Block:
    """One ```sh block: its place in the document, its heading, and why it is not run."""

    number: int
    heading: str
    body: str
    not_run: str | None

    @property
    def title(self) -> str:
        """How a failure names the block."""
        return f"block {self.number} (under '{self.heading}')"


def blocks(document: Path) -> list[Block]:
    """The ```sh blocks of ``document``, in order."""
    text = document.read_text()
    headings = [(m.start(), m[1]) for m in _HEADING.finditer(text)]
    found = []
    for number, match in enumerate(_BLOCK.finditer(text), start=1):
        heading = next((h for at, h in reversed(headings) if at < match.start()), "(top)")
        found.append(Block(number, heading, match["body"], match["reason"]))
    return found


def substitute_ports(body: str, ports: dict[int, int]) -> str:
    """``body`` with each fixed port replaced where it is a port (see the module doc).

    Raises:
        AssertionError: a fixed port's number is left somewhere else in the block.
    """
    pattern = re.compile(_PORT_FORMS.format(ports="|".join(str(p) for p in ports)))
    done = pattern.sub(lambda m: f"{m['lead']}{ports[int(m['port'])]}", body)
    left = re.findall(r"\b(?:{})\b".format("|".join(str(p) for p in ports)), done)
    assert not left, f"a fixed port in a form the helper doesn't substitute: {left} in\n{body}"
    return done


def checkout_files(*patterns: str) -> list[Path]:
    """The files git knows of (tracked, and new ones not ignored) that exist, relative
    to the root; only those matching ``patterns`` (git pathspecs) when given."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *patterns],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout  # fmt: skip
    names = sorted(set(filter(None, listed.decode().split("\0"))))
    return [Path(n) for n in names if (ROOT / n).is_file()]  # not deleted, uncommitted


def copy_checkout(target: Path) -> None:
    """The files git knows of, copied to ``target`` (a clone without its history)."""
    for name in checkout_files():
        source = ROOT / name
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)


def layered_venv(target: Path) -> None:
    """A virtualenv at ``target`` that sees everything installed in this one."""
    venv.create(target, with_pip=False, symlinks=True)
    base = Path(sysconfig.get_paths()["purelib"])
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = target / "lib" / version / "site-packages"
    (site / "_reelbridge_layer.pth").write_text(f"import site; site.addsitedir({str(base)!r})\n")
    here = Path(sys.prefix)
    for script in (here / "bin").iterdir():
        mine = target / "bin" / script.name
        if mine.exists() or not script.is_file():
            continue
        with script.open("rb") as file:
            first = file.readline()
        if first.startswith(f"#!{here}/bin/python".encode()):
            mine.write_bytes(
                f"#!{target}/bin/python\n".encode() + script.read_bytes()[len(first) :]
            )
            mine.chmod(0o755)
        elif not first.startswith(b"#!"):
            mine.symlink_to(script)  # a binary (ruff)
    for stamp in here.glob(".*stamp*"):
        shutil.copy2(stamp, target / stamp.name)


@dataclass
class Outcome:
    """What one block did."""

    block: Block
    output: str
    code: int | None  # None: finished; else the shell's exit status (the block failed)
    seconds: float = 0.0  # float ok: how long it ran


@dataclass
class Shell:
    """One bash process running blocks in a folder; see the module docstring."""

    folder: Path
    env: dict[str, str]
    process: subprocess.Popen[str] = field(init=False)
    jobs: dict[int, str] = field(default_factory=dict)  # PID -> its start time (/proc)

    def __post_init__(self) -> None:
        self._scripts = self.folder.parent / "blocks"
        self._scripts.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], cwd=self.folder, env=self.env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()
        self._send("set -euo pipefail\n")

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def run(self, block: Block, body: str, timeout: float) -> Outcome:
        """Source ``body`` (``block`` with substitutions); its output and how it ended."""
        script = self._scripts / f"{block.number:02d}.sh"
        script.write_text(body + "\n")
        marker = f"@@block-done-{secrets.token_hex(8)}@@"
        jobs = "\"$(jobs -p | tr '\\n' ' ')\""  # every background job's PID, on one line
        self._send(f"source {script} < /dev/null\nprintf '\\n%s %s\\n' {marker} {jobs}\n")
        output: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None and self._lines.empty():
                    return Outcome(block, "".join(output), self.process.returncode)
                assert time.monotonic() < deadline, (
                    f"{block.title} ran past {timeout:.0f} s:\n{''.join(output)}"
                )
                continue
            if line is None:
                return Outcome(block, "".join(output), self.process.wait(timeout=10))
            if line.startswith(marker):
                for pid in map(int, line[len(marker) :].split()):
                    if pid not in self.jobs and (started := _start_time(pid)) is not None:
                        self.jobs[pid] = started
                return Outcome(block, "".join(output).removesuffix("\n"), None)
            output.append(line)

    def running_jobs(self) -> set[int]:
        """The background jobs still alive."""
        return {pid for pid, started in self.jobs.items() if _alive(pid, started)}

    def jobs_left_after(self, seconds: float) -> set[int]:
        """The background jobs still alive after waiting up to ``seconds`` for them to end."""
        deadline = time.monotonic() + seconds
        while self.running_jobs() and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.running_jobs()

    def stop_jobs(self) -> None:
        """End every background job still running (SIGTERM, then SIGKILL), then bash."""
        for pid in self.running_jobs():
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in self.jobs_left_after(30):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self._pump_thread.join(timeout=10)  # EOF once every holder of the pipe has ended
        streams = [self.process.stdin]
        if not self._pump_thread.is_alive():  # else it still reads: leave the pipe to it
            streams.append(self.process.stdout)
        for stream in streams:
            with suppress(OSError):
                if stream is not None:
                    stream.close()


def _start_time(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot), None if it is gone or a
    zombie: with the PID, it names one process, never a later one given the same PID."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == "Z" else fields[19]


def _alive(pid: int, started: str) -> bool:
    # The jobs are the shell's children, not this process's: once ended they are gone
    # from /proc (reaped by the shell, or by init when the shell is gone) or zombies.
    return _start_time(pid) == started


@dataclass
class Walkthrough:
    """A document's blocks run in a fresh copy; ``outcomes`` as they ran."""

    document: Path
    root: Path
    ports: dict[int, int]
    outcomes: list[Outcome] = field(default_factory=list)


@contextmanager
def walkthrough(document: Path, workspace: Path) -> Iterator[tuple[Walkthrough, Shell]]:
    """A fresh copy of the checkout in ``workspace``, and a shell in it; every background
    job the shell started is stopped on exit."""
    root = workspace / "checkout"
    copy_checkout(root)
    layered_venv(root / ".venv")
    ports: dict[int, int] = {}
    while len(set(ports.values())) < len(FIXED_PORTS):  # distinct, however free_port picks
        ports = {port: free_port() for port in FIXED_PORTS}
    dropped = ("VIRTUAL_ENV", "PYTHONPATH")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("REELBRIDGE_") and k not in dropped
    }
    env["COLUMNS"] = "200"
    shell = Shell(root, env)
    try:
        yield Walkthrough(document, root, ports), shell
    finally:
        shell.stop_jobs()


def run_blocks(run: Walkthrough, shell: Shell, *, timeout: float = 120.0) -> list[Outcome]:
    """Run the document's blocks not marked ``not run``, in order, in ``shell``.

    Raises:
        AssertionError: naming the first block that failed or printed a traceback.
    """
    for block in blocks(run.document):
        if block.not_run is not None:
            continue
        started = time.monotonic()
        outcome = shell.run(block, substitute_ports(block.body, run.ports), timeout)
        outcome.seconds = time.monotonic() - started
        run.outcomes.append(outcome)
        assert outcome.code is None, (
            f"{block.title} of {run.document.name} failed (exit status {outcome.code}):\n"
            f"{block.body}\n--- output ---\n{outcome.output}"
        )
        assert TRACEBACK not in outcome.output, (
            f"{block.title} of {run.document.name} printed a traceback:\n{outcome.output}"
        )
    return run.outcomes


def logs_with_tracebacks(run: Walkthrough) -> dict[str, str]:
    """The servers' logs (``data/*.log`` of the copy) that hold a Python traceback."""
    found = {}
    for log in sorted((run.root / "data").glob("*.log")):
        text = log.read_text(errors="replace")
        if TRACEBACK in text:
            at = text.index(TRACEBACK)
            found[log.name] = text[max(0, at - 2000) : at + 3000]
    return found
