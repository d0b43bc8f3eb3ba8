"""``reelbridge reconcile`` against a running stack: agreeing books exit 0 (table or
JSON, through the admin APIs or the database URLs); a wallet transaction the provider
never sent exits 1 and is named; an unreadable side exits 3, bad usage 2 — never a
traceback."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from provider.support import AGGREGATOR_ADMIN, PROVIDER_ADMIN, Stack, units
from reelbridge.cli import cli
from reelbridge.protocol import SIGN_HEADER, Win, WinType, encode_wallet_request, sign
from reelbridge.testing import free_port
from reelbridge.testing.faults import forward_then_fail


def invoke(stack: Stack, *args: str, databases: bool = False, **env: str | None) -> Result:
    """``reelbridge reconcile`` for the stack's client (its admin APIs, or databases)."""
    aggregator, provider = stack.databases
    where: Sequence[str] = (
        ["--provider-database-url", provider, "--aggregator-database-url", aggregator]
        if databases
        else ["--provider-url", stack.provider_url, "--aggregator-url", stack.aggregator_url]
    )
    environment = {
        "COLUMNS": "250",
        "REELBRIDGE_PROVIDER_ADMIN_TOKEN": PROVIDER_ADMIN,
        "REELBRIDGE_ADMIN_TOKEN": AGGREGATOR_ADMIN,
        **env,
    }
    command = ["reconcile", "--client", stack.client_id, *where, *args]
    return CliRunner().invoke(cli, command, env=environment)


def played(stack: Stack, spins: int = 4) -> str:
    """A player's rounds, one of them through a lost answer; the player id."""
    player = stack.new_player()
    token = stack.launch(player)
    stack.proxy.add(action="win", kind=forward_then_fail())
    for _ in range(spins):
        stack.spin(token)
    stack.assert_books_agree(player)
    return player.player_id


def as_json(result: Result) -> dict[str, Any]:
    assert "Traceback" not in result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_agreeing_books_print_a_zero_difference_and_exit_0(stack: Stack) -> None:
    played(stack)
    result = invoke(stack)
    assert result.exit_code == 0, result.output
    assert "the books agree: difference 0.0000" in result.output
    assert "wallet ledger: balanced" in result.output


def test_the_database_urls_give_the_same_report_as_json(stack: Stack) -> None:
    player_id = played(stack)
    through_api = as_json(invoke(stack, "--json"))
    result = invoke(stack, "--json", databases=True)
    assert result.exit_code == 0, result.output
    report = as_json(result)
    assert report == through_api
    assert report["ok"] is True and report["differences"] == []
    (client,) = report["clients"]
    assert client["client_id"] == stack.client_id and client["in_flight"] == 0
    (mine,) = [p for p in client["players"] if p["player_id"] == player_id]
    assert mine["provider_net"] == mine["wallet_net"] and mine["difference"] == "0.0"
    assert sum(client["rounds"].values()) == 4


def test_a_wallet_transaction_the_provider_never_sent_exits_1_and_is_named(stack: Stack) -> None:
    played(stack)
    (round_,) = stack.rounds()[:1]
    body = encode_wallet_request(
        Win(
            type=WinType.WIN,
            session_id=round_["session_id"],
            amount=1_0000,
            transaction_id=f"{round_['round_id']}:stray",
            round_id=round_["round_id"],
            game_id=round_["game_id"],
        )
    )

    answer = stack.http.post(
        f"{stack.aggregator_url}/wallet/{stack.client_id}",
        content=body,
        headers={SIGN_HEADER: sign(body, stack.token), "Content-Type": "application/json"},
    )
    assert answer.json()["status"] is True, answer.text
    result = invoke(stack, "--json")
    assert result.exit_code == 1, result.output
    report = as_json(result)
    checks = {(d["check"], d.get("transaction_id")) for d in report["differences"]}
    assert ("unknown_transaction", f"{round_['round_id']}:stray") in checks
    (net,) = [d for d in report["differences"] if d["check"] == "player_net"]
    assert units(net["actual"]) - units(net["expected"]) == 1_0000
    started = time.monotonic()
    waited = invoke(stack, "--json", "--wait", "0.6")  # re-checks, then gives up
    assert waited.exit_code == 1 and time.monotonic() - started >= 0.6
    table = invoke(stack)
    assert table.exit_code == 1
    assert "unknown_transaction" in table.output and "difference(s)" in table.output


def test_an_unreachable_side_exits_3_with_one_readable_line(stack: Stack) -> None:
    result = CliRunner().invoke(
        cli,
        ["reconcile", "--provider-url", f"http://127.0.0.1:{free_port()}",
         "--provider-token", PROVIDER_ADMIN, "--aggregator-url", stack.aggregator_url,
         "--aggregator-token", AGGREGATOR_ADMIN],
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "cannot reach it" in result.output and "Traceback" not in result.output


def test_a_missing_sqlite_file_exits_3_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    result = CliRunner().invoke(
        cli,
        ["reconcile", "--provider-database-url", f"sqlite:///{missing}",
         "--aggregator-database-url", f"sqlite:///{missing}"],
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "no SQLite database" in result.output and not missing.exists()


def test_a_missing_admin_token_is_bad_usage(stack: Stack) -> None:
    result = invoke(stack, REELBRIDGE_ADMIN_TOKEN=None)
    assert result.exit_code == 2, result.output
    assert "--aggregator-token" in result.output and "Traceback" not in result.output
