"""``reelbridge aggregator limits …`` (B19–B21) through click's CliRunner against a
running aggregator: set, show, exclude, block; a reason is required; bad input exits
with a readable message and changes nothing."""

from __future__ import annotations

import pytest

from .support import Aggregator, uid
from .test_cli import SQLITE_ONLY, assert_clean_exit, invoke, table_row

pytestmark = SQLITE_ONLY


def new_player(aggregator: Aggregator) -> str:
    player_id = uid("player")
    aggregator.admin.create_player(player_id, "EUR")
    aggregator.admin.deposit(player_id, "EUR", "100", uid("dep"))
    return player_id


def test_cli_sets_and_shows_limits_with_a_reason(aggregator: Aggregator) -> None:
    player_id = new_player(aggregator)
    url = aggregator.base_url
    result = invoke(
        ["aggregator", "limits", "set", player_id, "--currency", "eur", "--loss-day", "50",
         "--wager-week", "1000.5", "--session-minutes", "60", "--reason", "player asked"],
        url=url,
    )  # fmt: skip
    assert_clean_exit(result, 0)
    assert "changed" in result.output
    assert table_row(result.output, "loss per day") == ["loss per day", "50.00", "0.00", ""]
    raised = invoke(
        ["aggregator", "limits", "set", player_id, "--currency", "EUR", "--loss-day", "none",
         "--reason", "player asked"],
        url=url,
    )  # fmt: skip
    assert_clean_exit(raised, 0)
    row = table_row(raised.output, "loss per day")
    assert row[:2] == ["loss per day", "50.00"] and row[3].startswith("none from ")
    shown = invoke(["aggregator", "limits", "show", player_id], url=url)
    assert_clean_exit(shown, 0)
    assert table_row(shown.output, "stakes per week")[1] == "1,000.50"
    assert table_row(shown.output, "session minutes")[1] == "60"
    assert [r["reason"] for r in aggregator.listing("audit", subject=player_id)][:2] == [
        "player asked",
        "player asked",
    ]


def test_cli_excludes_and_blocks_a_player(aggregator: Aggregator) -> None:
    player_id = new_player(aggregator)
    url = aggregator.base_url
    excluded = invoke(
        ["aggregator", "limits", "exclude", player_id, "--indefinite", "--reason", "asked"],
        url=url,
    )
    assert_clean_exit(excluded, 0)
    assert "self-excluded indefinitely" in excluded.output
    blocked = invoke(["aggregator", "limits", "block", player_id, "--reason", "fraud"], url=url)
    assert_clean_exit(blocked, 0)
    assert f"{player_id} blocked" in blocked.output
    again = invoke(["aggregator", "limits", "block", player_id, "--reason", "fraud"], url=url)
    assert "already blocked" in again.output
    (eur,) = aggregator.admin.limits(player_id)["accounts"]
    assert eur["blocked"] and eur["excluded_indefinitely"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["set", "{p}", "--currency", "EUR", "--loss-day", "5"], 2, "--reason"),
        (["set", "{p}", "--currency", "EUR", "--reason", "x"], 2, "name a limit"),
        (["set", "{p}", "--currency", "EUR", "--loss-day", "1e3", "--reason", "x"], 1, "loss_day"),
        (["set", "{p}", "--currency", "EUR", "--loss-day", "0", "--reason", "x"], 1, "more than"),
        (["set", "{p}", "--currency", "EUR", "--session-minutes", "1h", "--reason", "x"], 2,
         "whole number of minutes"),
        (["set", "{p}", "--currency", "USD", "--loss-day", "5", "--reason", "x"], 1, "no USD"),
        (["set", "ghost", "--currency", "EUR", "--loss-day", "5", "--reason", "x"], 1, "unknown"),
        (["exclude", "{p}", "--reason", "x"], 2, "exactly one of"),
        (["exclude", "{p}", "--until", "2020-01-01", "--reason", "x"], 1, "in the future"),
        (["exclude", "{p}", "--until", "soon", "--reason", "x"], 1, "a date like"),
    ],
)  # fmt: skip
def test_cli_limits_refuse_bad_input_readably_and_change_nothing(
    aggregator: Aggregator, args: list[str], code: int, message: str
) -> None:
    player_id = new_player(aggregator)
    before = aggregator.admin.limits(player_id)
    filled = [a.replace("{p}", player_id) for a in args]
    result = invoke(["aggregator", "limits", *filled], url=aggregator.base_url)
    assert_clean_exit(result, code)
    assert message in result.output
    assert aggregator.admin.limits(player_id) == before
