"""The wallet-call log: every wallet call with its bodies, HTTP status, outcome, latency
and attempt number, searchable by round, transaction or player (admin API, CLI, the
console's round page), kept for ``call_log_days`` and pruned after."""

from __future__ import annotations

import asyncio
import json

import httpx
from click.testing import CliRunner

from provider.support import PROVIDER_ADMIN, Stack, eventually
from provider.test_console_pages import log_in
from reelbridge.cli import cli
from reelbridge.provider.call_log import LISTING as CALLS
from reelbridge.provider.call_log import CallLog
from reelbridge.provider.wallet_client import Accepted, CallContext, RawReply, Unknown
from reelbridge.storage import PROVIDER, engine_from_url, migrate
from reelbridge.testing import FakeClock
from reelbridge.testing.faults import cut, reply


def logged(stack: Stack, **filters: str) -> list[dict[str, object]]:
    return stack.listing(stack.admin, "calls", **filters)


def test_a_round_shows_its_bet_and_every_attempt_of_its_win(stack: Stack) -> None:
    player = stack.new_player(balance="50")
    token = stack.launch(player)
    stack.proxy.add(action="win", kind=reply("INTERNAL_ERROR", "wallet busy"), times=1)
    answer = stack.spin(token)
    stack.settle_all()
    round_id = answer["round_id"]

    calls = eventually(
        lambda: c if len(c := logged(stack, round_id=round_id)) >= 3 else None,
        what="the round's three calls in the log",
    )
    bet, failed, landed = sorted(calls, key=lambda c: int(str(c["id"])))
    (outbox_bet,) = [e for e in stack.outbox(round_id=round_id) if e["kind"] == "bet"]

    assert (bet["action"], bet["attempt"], bet["outcome"]) == ("bet", 1, "accepted")
    assert bet["status"] == 200
    assert bet["request_body"] == outbox_bet["body"]  # exactly the bytes sent
    assert json.loads(str(bet["response_body"]))["status"] is True
    assert (failed["action"], failed["attempt"], failed["outcome"]) == ("win", 1, "unknown")
    assert "INTERNAL_ERROR" in str(failed["error"])
    assert (landed["action"], landed["attempt"], landed["outcome"]) == ("win", 2, "accepted")
    assert failed["transaction_id"] == landed["transaction_id"]
    assert {c["player_id"] for c in calls} == {player.player_id}  # wins filed too
    assert all(int(str(c["latency_us"])) > 0 and c["request_id"] for c in calls)
    by_transaction = logged(stack, transaction_id=str(landed["transaction_id"]))
    assert [c["id"] for c in by_transaction] == [landed["id"], failed["id"]]
    assert {c["round_id"] for c in logged(stack, player_id=player.player_id)} == {round_id}


def test_a_call_without_an_answer_is_logged_without_a_status(stack: Stack) -> None:
    player = stack.new_player(balance="50")
    token = stack.launch(player)
    stack.proxy.add(action="bet", kind=cut(), times=1)  # the wallet's answer never comes
    answer = stack.spin(token)
    calls = eventually(
        lambda: (
            [c for c in logged(stack, round_id=answer["round_id"]) if c["action"] == "bet"] or None
        ),
        what="the bet in the log",
    )
    assert calls[0]["status"] is None and calls[0]["response_body"] is None
    assert calls[0]["outcome"] == "unknown"


def test_the_cli_searches_the_log_by_round_with_bodies(stack: Stack) -> None:
    player = stack.new_player(balance="50")
    answer = stack.spin(stack.launch(player))
    eventually(lambda: len(logged(stack, round_id=answer["round_id"])) >= 2 or None, what="2 calls")
    env = {"REELBRIDGE_PROVIDER_ADMIN_TOKEN": PROVIDER_ADMIN, "COLUMNS": "250"}
    url = ("--url", stack.provider_url)
    result = CliRunner().invoke(
        cli, ["provider", "calls", "--round", answer["round_id"], "--bodies", *url], env=env
    )
    unfiltered = CliRunner().invoke(
        cli, ["provider", "calls", "--url", stack.provider_url], env=env
    )

    assert result.exit_code == 0, result.output
    assert "bet" in result.output and "win" in result.output and "accepted" in result.output
    assert '"action":"bet"' in result.output.replace(" ", "")
    assert unfiltered.exit_code == 2 and "--round" in unfiltered.output


def test_the_consoles_round_page_lists_the_rounds_wallet_calls(stack: Stack) -> None:
    player = stack.new_player(balance="50")
    answer = stack.spin(stack.launch(player))
    eventually(lambda: len(logged(stack, round_id=answer["round_id"])) >= 2 or None, what="2 calls")
    with httpx.Client(base_url=stack.provider_url, timeout=60) as http:
        assert log_in(http, PROVIDER_ADMIN).status_code == 303
        page = http.get(f"/console/rounds/{answer['round_id']}").text
    table = page.split('data-testid="wallet-calls"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 3  # the head, the bet, the win


def test_rows_older_than_the_kept_days_are_pruned() -> None:
    async def scenario() -> tuple[int, int]:
        engine, clock = engine_from_url("sqlite:///:memory:"), FakeClock()
        await engine.start()
        try:
            await migrate(engine, PROVIDER)
            log = CallLog(engine=engine, clock=clock, days=2)
            for n in range(3):
                log.record(
                    CallContext("balance", "c", player_id=f"p{n}"), request_id=f"r{n}",
                    body=b"{}", reply=RawReply(200, b"{}"), outcome=Accepted(0), latency_us=5,
                )  # fmt: skip
                await log.flush()
                clock.advance(86_400)  # a day between calls
            log.record(CallContext("bet", "c"), request_id="x", body=b"{}", reply=None,
                       outcome=Unknown("timeout"), latency_us=5)  # fmt: skip
            await log.flush()
            await log.prune()
            rows = await engine.run(lambda: CALLS.rows({}, 10, 0))
            return len(rows), min(int(str(r["request_id"])[1:] or 9) for r in rows)
        finally:
            await engine.close()

    left, oldest = asyncio.run(scenario())
    assert left == 3  # the first call, 3 days old, is gone; the rest are within 2 days
    assert oldest == 1


def test_no_log_is_kept_with_zero_days() -> None:
    log = CallLog(engine=engine_from_url("sqlite:///:memory:"), clock=FakeClock(), days=0)
    log.record(CallContext("bet", "c"), request_id="x", body=b"{}", reply=None,
               outcome=Unknown("timeout"), latency_us=5)  # fmt: skip
    assert not log.enabled
    assert log.pending == 0
