"""``reelbridge aggregator …`` through click's CliRunner: readable errors, exit codes
(2 for bad usage, 1 for a failed operation), never a traceback; admin commands print
tables from a running aggregator."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from click.testing import CliRunner, Result

from reelbridge.cli import cli
from reelbridge.testing import free_port

from .support import ADMIN_TOKEN, Aggregator, uid, units

# The admin commands talk HTTP: which database serves them does not matter here.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def invoke(args: Sequence[str], *, url: str | None = None, token: str = ADMIN_TOKEN) -> Result:
    env = {
        "COLUMNS": "250",  # wide enough that rich tables do not fold the ids
        "REELBRIDGE_ADMIN_TOKEN": token,
        "REELBRIDGE_AGGREGATOR_URL": url,
        "REELBRIDGE_DATABASE_URL": None,
    }
    return CliRunner().invoke(cli, list(args), env=env)


def assert_clean_exit(result: Result, code: int) -> None:
    """Exit ``code`` with a readable message and no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    if code:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Error" in result.output


def table_row(output: str, key: str) -> list[str]:
    """The cells of the one table row of ``output`` that contains ``key``."""
    (line,) = [line for line in output.splitlines() if key in line and "│" in line]
    return [cell.strip() for cell in line.strip().strip("│").split("│")]


# -- bad usage -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--database-url", "foo"], "unsupported database URL", id="bad url"),
        pytest.param(["--database-url", "sqlite:///"], "names no file", id="no file"),
        pytest.param(["--port", "99999"], "99999", id="port out of range"),
        pytest.param(["--port", "http"], "'http' is not a valid integer", id="port not a number"),
        pytest.param(
            ["--workers", "2", "--database-url", "sqlite:///x.db"],
            "several workers need PostgreSQL",
            id="workers on sqlite",
        ),
        pytest.param(["--workers", "0"], "--workers", id="no workers"),
        pytest.param(
            ["--database-url", "sqlite:///x.db", "--read-database-url", "postgresql://h/db"],
            "a read URL needs PostgreSQL",
            id="read url on sqlite",
        ),
        pytest.param(
            ["--database-url", "postgresql://h/db", "--read-database-url", "mysql://h/db"],
            "the read URL must be postgresql",
            id="read url not postgresql",
        ),
        pytest.param(["--colour", "red"], "No such option", id="unknown option"),
    ],
)
def test_cli_serve_with_bad_arguments_exits_2_with_a_readable_message(
    args: list[str], message: str
) -> None:
    result = invoke(["aggregator", "serve", *args])

    assert_clean_exit(result, 2)
    assert message in result.output


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["aggregator", "players", "add", "p1"], id="missing currency"),
        pytest.param(["aggregator", "deposit", "p1", "5", "--currency", "EUR"], id="no reference"),
        pytest.param(["aggregator", "sessions", "open", "--client", "c"], id="missing options"),
        pytest.param(["aggregator", "transactions", "--limit", "0"], id="limit out of range"),
        pytest.param(["aggregator", "nonsense"], id="unknown command"),
    ],
)
def test_cli_admin_command_with_bad_arguments_exits_2(args: list[str]) -> None:
    assert_clean_exit(invoke(args, url="http://127.0.0.1:9"), 2)


# -- an unreachable or refusing aggregator ---------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["aggregator", "players", "add", "p1", "--currency", "EUR"],
        ["aggregator", "deposit", "p1", "5", "--currency", "EUR", "--reference", "r1"],
        ["aggregator", "transactions"],
        ["aggregator", "ledger"],
    ],
)
def test_cli_unreachable_aggregator_exits_1_with_a_readable_message(args: list[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    result = invoke(args, url=url)

    assert_clean_exit(result, 1)
    assert f"cannot reach {url}" in result.output


@SQLITE_ONLY
def test_cli_wrong_admin_token_exits_1_unauthorized(aggregator: Aggregator) -> None:
    result = invoke(["aggregator", "players", "list"], url=aggregator.base_url, token="wrong")
    assert_clean_exit(result, 1)
    assert "unauthorized" in result.output


@SQLITE_ONLY
def test_cli_refused_operation_exits_1_with_the_reason(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="1")

    result = invoke(
        [
            "aggregator",
            "withdraw",
            player.player_id,
            "5",
            "--currency",
            "EUR",
            "--reference",
            uid("ref"),
        ],
        url=aggregator.base_url,
    )

    assert_clean_exit(result, 1)
    assert "conflict" in result.output and "insufficient balance" in result.output
    assert aggregator.balance(player) == units("1")


@SQLITE_ONLY
def test_cli_invalid_amount_exits_1_with_the_reason(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="1")
    result = invoke(
        [
            "aggregator",
            "deposit",
            player.player_id,
            "1.00001",
            "--currency",
            "EUR",
            "--reference",
            uid("ref"),
        ],
        url=aggregator.base_url,
    )
    assert_clean_exit(result, 1)
    assert "more than 4 decimals" in result.output


# -- admin commands against a running aggregator ------------------------------------------------


@SQLITE_ONLY
def test_cli_admin_commands_set_up_a_player_and_print_tables(aggregator: Aggregator) -> None:
    client_id, player_id, reference = uid("cli"), uid("p"), uid("ref")
    url = aggregator.base_url

    def run(*args: str) -> str:
        result = invoke(["aggregator", *args], url=url)
        assert_clean_exit(result, 0)
        return result.output

    assert f"client {client_id}: created, 1 token(s)" in run(
        "clients", "set", client_id, "--token", "cli-token-0123456789"
    )
    assert f"player {player_id} EUR: balance 0.00" in run(
        "players", "add", player_id, "--currency", "eur"
    )
    assert f"{player_id} balance 12.50 EUR" in run(
        "deposit", player_id, "12.5", "--currency", "EUR", "--reference", reference
    )
    replay = run("deposit", player_id, "12.5", "--currency", "EUR", "--reference", reference)
    assert "already done: nothing changed" in replay
    session_id = run(
        "sessions",
        "open",
        "--client",
        client_id,
        "--player",
        player_id,
        "--currency",
        "EUR",
        "--game",
        "g1",
    ).strip()
    assert [s["session_id"] for s in aggregator.listing("sessions", player_id=player_id)] == [
        session_id
    ]

    players = run("players", "list", "--player-id", player_id)
    transactions = run("transactions", "--player-id", player_id)
    sessions = run("sessions", "list", "--player-id", player_id)

    assert "player_id" in players and "balance" in players
    assert table_row(players, player_id) == [player_id, "EUR", "12.50"]
    assert "transaction_id" in transactions and "balance_after" in transactions
    assert transactions.count(reference) == 1  # the replay wrote no second row
    assert table_row(transactions, reference)[3:] == [
        "deposit",
        "deposit",
        "",
        "12.50",
        player_id,
        "ok",
        "12.50",
    ]
    assert table_row(sessions, session_id)[1:] == [client_id, player_id, "EUR", "g1", "open"]
    assert "balanced" in run("ledger")
    (row,) = aggregator.listing("players", player_id=player_id)
    assert units(row["balance"]) == units("12.5")


@SQLITE_ONLY
def test_cli_listing_with_no_rows_says_none(aggregator: Aggregator) -> None:
    result = invoke(
        ["aggregator", "transactions", "--player-id", uid("nobody")], url=aggregator.base_url
    )
    assert_clean_exit(result, 0)
    assert "transactions: none" in result.output


@SQLITE_ONLY
def test_transactions_list_runs_as_the_readme_writes_it(aggregator: Aggregator) -> None:
    player_id = uid("player")
    aggregator.admin.create_player(player_id, "EUR")
    aggregator.admin.deposit(player_id, "EUR", "100.00", uid("dep"))
    for args in (["transactions", "list"], ["transactions"]):
        result = invoke(["aggregator", *args, "--player-id", player_id], url=aggregator.base_url)
        assert_clean_exit(result, 0)
        assert table_row(result.output, player_id)[6] == "100.00"
    missing = invoke(["aggregator", "transactions"], url=aggregator.base_url, token="")
    assert_clean_exit(missing, 2)
    assert "--token" in missing.output
