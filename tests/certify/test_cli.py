"""``reelbridge certify wallet|provider`` through click's CliRunner and one real process:
the report as a table, JSON and JUnit XML files, exit 1 on any failure, and readable
usage errors (exit 2) — never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from certify.support import BUDGET, PROVIDER_ADMIN
from integration.support import ADMIN_TOKEN, Aggregator, uid
from reelbridge.cli import cli
from reelbridge.protocol import sign
from reelbridge.testing import free_port

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def invoke(args: Sequence[str]) -> Result:
    env = {
        "COLUMNS": "200",
        "REELBRIDGE_ADMIN_TOKEN": None,
        "REELBRIDGE_PROVIDER_ADMIN_TOKEN": None,
    }
    return CliRunner().invoke(cli, list(args), env=env)


def wallet_args(aggregator: Aggregator, url: str | None = None) -> list[str]:
    client_id = uid("kit")
    return [
        "certify",
        "wallet",
        "--url",
        f"{url or aggregator.base_url}/wallet/{client_id}",
        "--client-id",
        client_id,
        "--token",
        f"{client_id}-token",
        "--admin-url",
        aggregator.base_url,
        "--admin-token",
        ADMIN_TOKEN,
    ]


@SQLITE_ONLY
def test_certify_wallet_writes_json_and_junit_and_exits_zero(
    aggregator: Aggregator, tmp_path: Path
) -> None:
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    result = invoke(
        [
            *wallet_args(aggregator),
            "--only",
            "B9",
            "--only",
            "B1_header*",
            "--json",
            str(report),
            "--junit",
            str(junit),
        ]
    )
    assert result.exit_code == 0, result.output
    assert (
        "B9_duplicate_bet_is_idempotent" in result.output and "5 passed, 0 failed" in result.output
    )
    data = json.loads(report.read_text())
    assert data["results"][0]["name"] == "B1_header_name_in_any_case"
    assert data["summary"] == {"pass": 5, "fail": 0, "not run": 0}
    suite = ET.fromstring(junit.read_bytes())
    assert (suite.get("tests"), suite.get("failures")) == ("5", "0")


@SQLITE_ONLY
def test_certify_wallet_exits_one_when_a_scenario_fails(
    aggregator: Aggregator, broken: Callable[[str, str, str], str], tmp_path: Path
) -> None:
    args = wallet_args(aggregator)
    token = args[args.index("--token") + 1]
    proxy = broken(aggregator.base_url, token, "double_debit")
    args[args.index("--url") + 1] = args[args.index("--url") + 1].replace(
        aggregator.base_url, proxy
    )
    junit = tmp_path / "junit.xml"
    result = invoke([*args, "--only", "B9_duplicate_bet", "--junit", str(junit)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "the bet was applied twice" in result.output
    assert '"action":"bet"' in result.output, "the deciding exchange is printed"
    failure = ET.fromstring(junit.read_bytes()).find("testcase/failure")
    assert failure is not None and "applied twice" in (failure.get("message") or "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["certify", "wallet", "--client-id", "c", "--token", "t", "--session", "s"], "--url"),
        (
            ["certify", "wallet", "--url", "http://x/wallet/c", "--client-id", "c", "--token", "t"],
            "--admin-url",
        ),
        (
            [
                "certify",
                "wallet",
                "--url",
                "x",
                "--client-id",
                "c",
                "--token",
                "t",
                "--session",
                "s",
            ],
            "http://",
        ),
        (
            [
                "certify",
                "wallet",
                "--url",
                "http://x",
                "--client-id",
                "c",
                "--token",
                "t",
                "--admin-url",
                "http://x",
            ],
            "--admin-token",
        ),
        (
            [
                "certify",
                "wallet",
                "--url",
                "http://x",
                "--client-id",
                "c",
                "--token",
                "t",
                "--session",
                "s",
                "--only",
                "B99",
            ],
            "no scenario matches",
        ),
        (
            [
                "certify",
                "provider",
                "--url",
                "http://x",
                "--client-id",
                "c",
                "--token",
                "t",
                "--endpoints",
                "demo-url,nope",
            ],
            "unknown endpoint 'nope'",
        ),
        (["certify", "provider", "--client-id", "c", "--token", "t"], "--url"),
    ],
)
def test_bad_usage_is_a_readable_error(args: list[str], message: str) -> None:
    result = invoke(args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_an_unreachable_wallet_is_a_readable_failure() -> None:
    url = f"http://127.0.0.1:{free_port()}/wallet/c"
    result = invoke(
        ["certify", "wallet", "--url", url, "--client-id", "c", "--token", "t", "--session", "s"]
    )
    assert result.exit_code == 1, result.output
    assert "does not answer" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("side", ["wallet", "provider"])
def test_list_shows_every_scenario(side: str) -> None:
    result = invoke(["certify", side, "--list"])
    assert result.exit_code == 0, result.output
    assert (
        "B9_duplicate_bet_is_idempotent" if side == "wallet" else "B15_bet_timeout_is_refunded"
    ) in result.output


def test_certify_provider_through_its_admin_api(our_provider: str, tmp_path: Path) -> None:
    report = tmp_path / "provider.json"
    result = invoke(
        [
            "certify",
            "provider",
            "--url",
            our_provider,
            "--client-id",
            uid("kit"),
            "--token",
            "certify-cli-token",
            "--admin-url",
            our_provider,
            "--admin-token",
            PROVIDER_ADMIN,
            "--wallet-timeout",
            str(BUDGET),
            "--settle-timeout",
            "8",
            "--only",
            "A_demo",
            "--only",
            "A_game",
            "--only",
            "A_accepted",
            "--only",
            "B15_bet_unknown",
            "--endpoints",
            "demo-url,game-url",
            "--json",
            str(report),
        ]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text())
    assert data["kind"] == "provider"
    assert data["summary"] == {"pass": 4, "fail": 0, "not run": 0}, data


@SQLITE_ONLY
def test_a_real_process_certifies_the_wallet(aggregator: Aggregator, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    args = [*wallet_args(aggregator), "--only", "B11", "--junit", str(junit)]
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "reelbridge", *args[0:]],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed, 0 failed" in done.stdout
    assert ET.fromstring(junit.read_bytes()).get("tests") == "2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--token", "short"], "at least 8 characters"),
        (["--database-url", "mysql://x/y"], "unsupported database URL"),
        (["--database-url", "sqlite:////no/such/folder/w.db"], "folder does not exist"),
        (["--provider-url", "127.0.0.1:8001"], "http:// or https://"),
    ],
)
def test_sandbox_bad_options_are_readable_errors(args: list[str], message: str) -> None:
    result = invoke(["sandbox", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_the_sandbox_command_serves_the_page_and_the_wallet() -> None:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "reelbridge",
        "sandbox",
        "--port",
        str(port),
        "--token",
        "sandbox-token-of-the-cli-test",
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        page = None
        while page is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, (
                    "the sandbox did not start"
                )
                time.sleep(0.1)
        assert page.status_code == 200 and f"127.0.0.1:{port}/wallet/sandbox" in page.text
        body = b'{"action":"balance","session_id":"nobody"}'
        answer = httpx.post(
            f"http://127.0.0.1:{port}/wallet/sandbox",
            content=body,
            headers={"X-Sign": sign(body, "sandbox-token-of-the-cli-test")},
        )
        assert answer.json()["code"] == "SESSION_NOT_FOUND"
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert "token        sandbox-token-of-the-cli-test" in output


@SQLITE_ONLY
def test_a_premade_session_the_kit_cannot_use_stops_it_with_a_reason(
    aggregator: Aggregator,
) -> None:
    client_id = uid("kit")
    aggregator.admin.upsert_client(client_id, [f"{client_id}-token"])
    player = aggregator.new_player(client=(client_id, f"{client_id}-token"), game_id="certify-game")
    url = f"{aggregator.base_url}/wallet/{client_id}"
    result = invoke(
        [
            "certify",
            "wallet",
            "--url",
            url,
            "--client-id",
            client_id,
            "--token",
            "not-the-token",
            "--session",
            player.session_id,
        ]
    )
    assert result.exit_code == 1, result.output
    assert "got INVALID_SIGN" in result.output and "check --url" in result.output
