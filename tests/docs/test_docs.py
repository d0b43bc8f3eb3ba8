"""The other documents' commands run as shown, by the same machinery as the README's
(``walkthrough.py``): the remote-engine walkthrough (an aggregator, a provider and the
stand-in engine, started in the background, a launch and rounds played by the engine)
and the Lucky Clover example's README. Every document with ```sh blocks is run by a
test, or named here with the reason it is not. And the command a refused secret's
message tells a person to run makes a secret that is accepted."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from click.testing import CliRunner

from docs.walkthrough import (
    ROOT,
    blocks,
    checkout_files,
    logs_with_tracebacks,
    run_blocks,
    walkthrough,
)
from reelbridge.cli import cli
from reelbridge.config import AggregatorSettings, check_secrets

REMOTE_ENGINE = ROOT / "docs" / "remote-engine.md"
LUCKY_CLOVER = ROOT / "examples" / "lucky-clover" / "README.md"
RUN_ELSEWHERE = {
    "README.md": "tests/docs/test_readme.py",
    "docs/deploy.md": "tests/deploy (its blocks marked <!-- run: NAME -->, with nginx)",
    "bench/README.md": "not run: benchmarks load the machine for minutes",
    "bench/PROVIDER.md": "not run: benchmarks load the machine for minutes",
}
"""Documents with ```sh blocks not run by this file: who runs them, or why nobody does."""


def documents_with_commands() -> set[str]:
    """Every Markdown file of the checkout holding a ```sh block, relative to the root."""
    return {str(p) for p in checkout_files("*.md") if "```sh\n" in (ROOT / p).read_text()}


def test_every_document_with_commands_is_run_or_named() -> None:
    here = {str(p.relative_to(ROOT)) for p in (REMOTE_ENGINE, LUCKY_CLOVER)}
    assert documents_with_commands() == here | set(RUN_ELSEWHERE)


def test_the_remote_engine_walkthrough_runs_as_shown(tmp_path: Path) -> None:
    skipped = [b.heading for b in blocks(REMOTE_ENGINE) if b.not_run]
    assert skipped == ["Registering an engine"]
    with walkthrough(REMOTE_ENGINE, tmp_path) as (run, shell):
        outcomes = run_blocks(run, shell)
        played = "\n".join(o.output for o in outcomes if o.block.heading == "Try it")
        assert played.count('"state": "settled"') == 2, played  # the engine's two rounds
        assert "balanced" in played
        assert not shell.jobs_left_after(45), "its processes outlived its last block (kill)"
        assert not logs_with_tracebacks(run)


def test_the_lucky_clover_readme_runs_as_shown(tmp_path: Path) -> None:
    assert not [b for b in blocks(LUCKY_CLOVER) if b.not_run]
    with walkthrough(LUCKY_CLOVER, tmp_path) as (run, shell):
        outcomes = run_blocks(run, shell)
        shown = "\n".join(o.output for o in outcomes)
        assert "plug-in reelbridge-lucky-clover==0.1.0" in shown
        assert "Successfully uninstalled reelbridge-lucky-clover" in shown


def test_the_command_a_refused_secret_names_makes_a_secret_that_is_accepted(
    tmp_path: Path,
) -> None:
    refused = CliRunner().invoke(
        cli, ["aggregator", "serve", "--database-url", f"sqlite:///{tmp_path / 'a.db'}"],
        env={"REELBRIDGE_ADMIN_TOKEN": "changeme"},
    )  # fmt: skip
    assert refused.exit_code == 2 and "admin_token is a placeholder" in refused.output
    (command,) = re.findall(r"`([^`]+)`", refused.output)
    made = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True)
    secret = made.stdout.strip()
    check_secrets(AggregatorSettings(admin_token=secret))  # raises if refused
    assert secret != "changeme"
