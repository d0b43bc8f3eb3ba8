"""The README's commands run exactly as shown, on a fresh copy of the checkout: every
```sh block, in order, in one shell (``walkthrough.py`` says what differs from a
person's fresh clone: free ports for the fixed ones, a throw-away layer over
``.venv/``). The Quickstart keeps its two set-up commands, and the blocks not run are
the few named here, each for its reason."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from docs.walkthrough import (
    ROOT,
    TRACEBACK,
    Block,
    blocks,
    logs_with_tracebacks,
    run_blocks,
    substitute_ports,
    walkthrough,
)
from reelbridge.testing import free_port

README = ROOT / "README.md"
QUICKSTART = """\
python3 dev.py demo    # run the system (reelbridge demo), seeded, on SQLite
python3 dev.py test    # lint, types and the whole test suite (what CI runs)"""
NOT_RUN = {
    "Quickstart": "`dev.py test` is the whole suite itself; `dev.py demo` serves until "
    "stopped: tests/docs/test_readme.py starts it in the background and stops it",
    "Test it locally": "a part of the test suite, which runs tests/plugins itself",
    "Certify a wallet or a provider": "it waits for a person to play each round in a browser",
    "Benchmarks": "they load both cores for minutes (the wallet benchmark is measured, not tested)",
}
"""The README's blocks the test does not run, by heading, with the reason each gives."""


def test_the_quickstart_keeps_exactly_its_two_set_up_commands_at_the_top() -> None:
    first = blocks(README)[0]
    assert first.heading == "Quickstart"
    assert first.body == QUICKSTART


def test_the_blocks_not_run_are_the_named_exceptions() -> None:
    skipped = {b.heading: b.not_run for b in blocks(README) if b.not_run}
    assert skipped == NOT_RUN


def test_every_readme_command_runs_as_shown_on_a_fresh_copy(tmp_path: Path) -> None:
    with walkthrough(README, tmp_path) as (run, shell):
        outcomes = run_blocks(run, shell)
        shown: dict[str, str] = {}
        for outcome in outcomes:
            shown[outcome.block.heading] = shown.get(outcome.block.heading, "") + outcome.output
        # the commands did what the prose says they do, not just exit 0
        assert "plug-in reelbridge-lucky-clover==0.1.0" in shown["Try it"]
        assert shown["Running it"].count("│ settled │") == 2 * 20  # played, then listed
        assert "balanced" in shown["Running it"] and "self-excluded" in shown["Running it"]
        assert shown["Reconcile the two sides"].count("the books agree") == 2
        report = json.loads((run.root / "data" / "wallet-report.json").read_text())
        assert report["kind"] == "wallet" and report["results"]
        assert not [r["name"] for r in report["results"] if r["status"] == "fail"]
        # the README's own last block stopped every server it started
        assert not shell.jobs_left_after(45), "the README's servers outlived its last block"
        assert not logs_with_tracebacks(run)
        assert (run.root / "data" / "casino-backup.db").stat().st_size > 0


def test_the_port_substitution_covers_every_fixed_port_of_the_readme() -> None:
    ports = dict.fromkeys((8000, 8001, 8090, 9100), 1)
    for block in blocks(README):
        substitute_ports(block.body, ports)  # raises on a port it would miss


def test_the_quickstart_demo_starts_from_a_fresh_copy_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    """``python3 dev.py demo`` as the Quickstart shows it, on a free pair of ports
    (``--port``: the demo's 8000 and 8001 are the fixed ports here), in the background;
    ``dev.py test`` is this suite itself."""
    command = QUICKSTART.splitlines()[0].split("#")[0].strip()
    port = free_pair()
    body = f"mkdir -p data\n{command} --port {port} > data/demo.log 2>&1 &"
    with walkthrough(README, tmp_path) as (run, shell):
        outcome = shell.run(Block(0, "Quickstart", body, None), body, timeout=30)
        assert outcome.code is None, outcome.output
        log = run.root / "data" / "demo.log"
        deadline = time.monotonic() + 120
        while "Ctrl-C stops the demo." not in log.read_text():
            assert shell.running_jobs(), log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        banner = log.read_text()
        assert "new data in data/" in banner and f"http://127.0.0.1:{port}/" in banner
        shell.stop_jobs()  # SIGTERM, as Ctrl-C
    assert log.read_text().rstrip().endswith("stopped")
    assert TRACEBACK not in log.read_text()
    # The seeding, the launches and the lobby's warm-up made requests: none of them
    # scrolled the banner away with a log line.
    assert '"logger"' not in log.read_text() and "reelbridge.access" not in log.read_text()


def free_pair() -> int:
    """A free port whose next port is free too (the demo takes both)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as probe:
            if port < 65000 and probe.connect_ex(("127.0.0.1", port + 1)) != 0:
                return port
    raise AssertionError("no two free ports in a row")
