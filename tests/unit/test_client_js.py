"""The game client's pure browser modules pass their own unit tests (``tests/js/``).

They run on node's built-in test runner, the same command by hand:

    node --test tests/js/*.mjs

Without ``node`` the test is skipped, except under ``CI=true``, where it fails (as for
PostgreSQL and the browser): CI must never silently skip the client's tests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS_TESTS = sorted((ROOT / "tests" / "js").glob("test_*.mjs"))


def _node() -> str:
    found = shutil.which("node") or shutil.which("nodejs")
    if found is None:
        message = "node is missing (apt-get install nodejs): the JavaScript unit tests cannot run"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


def test_the_clients_pure_modules_pass_their_node_unit_tests() -> None:
    assert JS_TESTS, "no JavaScript unit tests found under tests/js/"
    node = _node()
    # the files are named one by one: node 18-20 search a folder for other file names,
    # node 22 takes glob patterns instead
    result = subprocess.run(
        [
            node,
            "--test",
            "--test-reporter=tap",
            *(str(path.relative_to(ROOT)) for path in JS_TESTS),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    report = f"node --test:\n{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, report
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    assert passed is not None and int(passed.group(1)) > 0, report
