"""The machinery that runs documents' commands fails when a person's run would: a
command exiting non-zero anywhere in a block, a traceback, a port it would not
substitute; it carries state from block to block as one terminal does, skips only
marked blocks, and stops the background jobs a document leaves running."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from docs.walkthrough import Block, blocks, run_blocks, substitute_ports, walkthrough

FENCE = "```"


def document(folder: Path, *bodies: str, marks: dict[int, str] | None = None) -> Path:
    """A Markdown file with one ```sh block per body (block i marked ``not run`` when
    ``marks`` names it)."""
    parts = ["# A document", ""]
    for number, body in enumerate(bodies, start=1):
        parts.append(f"## Part {number}")
        if marks and number in marks:
            parts.append(f"<!-- not run: {marks[number]} -->")
        parts += [f"{FENCE}sh", textwrap.dedent(body).strip(), FENCE, ""]
    path = folder / "doc.md"
    path.write_text("\n".join(parts))
    return path


def test_blocks_are_found_in_order_with_their_heading_and_mark(tmp_path: Path) -> None:
    path = document(tmp_path, "echo one", "echo two", marks={2: "needs a person"})
    assert blocks(path) == [
        Block(1, "Part 1", "echo one", None),
        Block(2, "Part 2", "echo two", "needs a person"),
    ]


def test_state_carries_from_block_to_block_and_marked_blocks_are_skipped(
    tmp_path: Path,
) -> None:
    path = document(tmp_path, "GREETING=hello; cd data 2>/dev/null || mkdir data",
                    "exit 3", "echo \"$GREETING from $(basename $PWD)\"",
                    marks={2: "would fail"})  # fmt: skip
    with walkthrough(path, tmp_path / "work") as (run, shell):
        outcomes = run_blocks(run, shell)
    assert [o.block.number for o in outcomes] == [1, 3]
    assert outcomes[-1].output == "hello from checkout\n"


@pytest.mark.parametrize(
    "body",
    ["false\necho after", "true | false | true", 'X=$(false)\necho "$X"', "echo $UNSET_NAME"],
    ids=["a middle command", "a pipeline", "a command substitution", "an unset variable"],
)
def test_a_failing_command_anywhere_in_a_block_fails_the_run(tmp_path: Path, body: str) -> None:
    path = document(tmp_path, "echo first", body, "echo never")
    with (
        walkthrough(path, tmp_path / "work") as (run, shell),
        pytest.raises(AssertionError, match=r"block 2 .* failed"),
    ):
        run_blocks(run, shell)
    assert len(run.outcomes) == 2


def test_a_traceback_fails_the_run_even_when_the_command_exits_zero(tmp_path: Path) -> None:
    script = (
        "import traceback\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n    traceback.print_exc()"
    )
    path = document(tmp_path, f".venv/bin/python -c '{script}'")
    with (
        walkthrough(path, tmp_path / "work") as (run, shell),
        pytest.raises(AssertionError, match="printed a traceback"),
    ):
        run_blocks(run, shell)


def test_a_command_reading_standard_input_cannot_swallow_the_next_block(tmp_path: Path) -> None:
    path = document(tmp_path, "cat", "echo still here")
    with walkthrough(path, tmp_path / "work") as (run, shell):
        outcomes = run_blocks(run, shell)
    assert outcomes[-1].output == "still here\n"


def test_background_jobs_left_running_are_stopped_by_pid(tmp_path: Path) -> None:
    path = document(tmp_path, "sleep 300 &\nsleep 301 &")
    with walkthrough(path, tmp_path / "work") as (run, shell):
        run_blocks(run, shell)
        started = shell.running_jobs()
        assert len(started) == 2
    for pid in started:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_job_the_document_stops_itself_is_not_left_running(tmp_path: Path) -> None:
    path = document(tmp_path, "sleep 300 &\necho $! > job.pid", "kill $(cat job.pid)")
    with walkthrough(path, tmp_path / "work") as (run, shell):
        run_blocks(run, shell)
        assert shell.jobs and not shell.jobs_left_after(10)


def test_the_fixed_ports_are_substituted_only_where_they_are_ports() -> None:
    ports = {8000: 41000, 8001: 41001}
    shown = "serve --port 8000 --provider-url http://127.0.0.1:8001/x"
    assert (
        substitute_ports(shown, ports)
        == "serve --port 41000 --provider-url http://127.0.0.1:41001/x"
    )
    with pytest.raises(AssertionError, match="doesn't substitute"):
        substitute_ports("curl http://localhost:8000/", ports)


def test_the_copy_has_a_venv_of_its_own_that_sees_this_one(tmp_path: Path) -> None:
    path = document(
        tmp_path,
        ".venv/bin/python -c 'import sys, reelbridge; print(sys.prefix)'",
        "test -x .venv/bin/reelbridge\ntest ! -e data",
    )
    with walkthrough(path, tmp_path / "work") as (run, shell):
        outcomes = run_blocks(run, shell)
        assert outcomes[0].output == f"{run.root / '.venv'}\n"
        assert (run.root / "README.md").is_file() and (run.root / "src").is_dir()
