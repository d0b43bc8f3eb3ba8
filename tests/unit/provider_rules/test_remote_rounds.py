"""The remote-engine round API's rules without a socket (PROTOCOL.md B14–B18 for rounds
whose outcome is an engine's): opening sends the bet once, a repeat never bets again,
settling pays through the outbox with the jackpot drawn here, cancelling refunds, and
demo rounds move only the virtual balance. The fakes of every port are in
``remote_harness``."""

from __future__ import annotations

import pytest

from provider_rules.remote_harness import (
    ENGINE,
    GAME,
    LEVELS,
    LINES,
    ScriptedJackpots,
    remote_provider,
)
from reelbridge.games import JackpotLevel, JackpotPlan
from reelbridge.protocol import CreateFreespins
from reelbridge.provider import rounds, sessions
from reelbridge.provider.errors import (
    BadOutcome,
    BadStake,
    GameNotOffered,
    RoundConflict,
    SessionGone,
    SpinInProgress,
    UnknownRound,
)
from reelbridge.provider.recall import recall
from reelbridge.provider.rounds import EngineRef
from reelbridge.testing.fakes import Fault

pytestmark = pytest.mark.anyio
STAKE = LEVELS[0] * LINES  # 1.00


async def test_an_open_sends_one_bet_of_the_games_stake_and_waits_accepted() -> None:
    async with remote_provider() as p:
        token = await p.launch(balance=10_0000)
        answer = await p.open(token, "e-1", bet_id=1)
        assert answer["status"] == "accepted" and answer["engine_round_id"] == "e-1"
        assert (answer["stake"], answer["balance"], answer["error"]) == ("5.0", "5.0", None)
        (bet,) = p.wallet.calls("bet")
        assert bet.data["amount"] == 5 and bet.data["game_id"] == GAME
        assert bet.data["type"] == "bet" and bet.data["round_id"] == answer["round_id"]
        stored = await p.round(answer["round_id"])
        assert (stored.status, stored.engine_id, stored.engine_bet_id) == ("accepted", ENGINE, 1)


async def test_a_repeated_open_answers_the_stored_round_and_never_bets_again() -> None:
    async with remote_provider() as p:
        token = await p.launch()
        first = await p.open(token, "e-1")
        assert await p.open(token, "e-1") == first
        assert len(p.wallet.calls("bet")) == 1


@pytest.mark.parametrize("change", ["bet_id", "launch_token"])
async def test_an_engine_round_id_reused_with_other_content_is_a_conflict(change: str) -> None:
    async with remote_provider() as p:
        token, other = await p.launch("s-1"), await p.launch("s-2")
        await p.open(token, "e-1", bet_id=0)
        with pytest.raises(RoundConflict):
            if change == "bet_id":
                await p.open(token, "e-1", bet_id=2)
            else:
                await p.open(other, "e-1", bet_id=0)
        assert len(p.wallet.calls("bet")) == 1


async def test_a_settle_stores_the_engines_outcome_and_sends_its_win_once() -> None:
    async with remote_provider() as p:
        token = await p.launch(balance=10_0000)
        opened = await p.open(token)
        answer = await p.settle(win=2_5000, outcome={"dice": [6, 6], "text": "double"})
        assert answer["status"] == "settled" and answer["win"] == "2.5"
        assert answer["balance"] == "11.5" and answer["jackpot"] is None
        (win,) = p.wallet.calls("win")
        assert (win.data["type"], win.data["amount"]) == ("win", 2.5)
        assert win.data["round_id"] == opened["round_id"]
        stored = await p.round(opened["round_id"])
        assert stored.decoded_outcome() == {"dice": [6, 6], "text": "double"}
        assert p.wallet.balances["s-1"] == 10_0000 - STAKE + 2_5000


async def test_a_repeated_settle_answers_the_same_and_sends_nothing_more() -> None:
    async with remote_provider() as p:
        token = await p.launch()
        await p.open(token)
        first = await p.settle(win=1_0000, outcome={"a": 1, "b": [1, 2]})
        again = await p.settle(win=1_0000, outcome={"b": [1, 2], "a": 1})  # same JSON value
        assert again == first and len(p.wallet.calls("win")) == 1


@pytest.mark.parametrize(
    ("win", "outcome"), [(2_0000, {"dice": [3, 4]}), (1_0000, {"dice": [4, 3]})]
)
async def test_a_settle_with_another_outcome_or_win_is_a_conflict(
    win: int, outcome: dict[str, object]
) -> None:
    async with remote_provider() as p:
        token = await p.launch()
        await p.open(token)
        await p.settle(win=1_0000, outcome={"dice": [3, 4]})
        with pytest.raises(RoundConflict):
            await p.settle(win=win, outcome=outcome)
        assert len(p.wallet.calls("win")) == 1


async def test_a_losing_round_is_settled_with_a_win_of_zero() -> None:
    async with remote_provider() as p:
        token = await p.launch(balance=10_0000)
        await p.open(token)
        answer = await p.settle(win=0)
        assert (answer["status"], answer["win"]) == ("settled", "0.0")
        assert p.wallet.calls("win")[0].data["amount"] == 0
        assert p.wallet.balances["s-1"] == 10_0000 - STAKE


@pytest.mark.parametrize("win", [-1, STAKE * 100_000 + 1])
async def test_a_negative_or_unbounded_win_is_refused_and_the_round_stays_accepted(
    win: int,
) -> None:
    async with remote_provider() as p:
        token = await p.launch()
        opened = await p.open(token)
        with pytest.raises(BadOutcome):
            await p.settle(win=win)
        assert p.wallet.calls("win") == []
        assert (await p.round(opened["round_id"])).status == "accepted"


async def test_a_cancel_refunds_the_bet_once_and_a_repeat_answers_the_same() -> None:
    async with remote_provider() as p:
        token = await p.launch(balance=10_0000)
        opened = await p.open(token)
        answer = await p.cancel(reason="the engine lost its state")
        assert (answer["status"], answer["balance"]) == ("refunded", "10.0")
        assert answer["error"] == {"code": "VOIDED", "message": "the engine lost its state"}
        assert await p.cancel() == answer
        (refund,) = p.wallet.calls("refund")
        assert refund.transaction_id == p.wallet.calls("bet")[0].transaction_id
        assert p.wallet.balances["s-1"] == 10_0000
        with pytest.raises(RoundConflict):
            await p.settle(win=1_0000)
        assert (await p.round(opened["round_id"])).win is None


async def test_a_settled_round_cannot_be_cancelled() -> None:
    async with remote_provider() as p:
        token = await p.launch()
        await p.open(token)
        await p.settle(win=0)
        with pytest.raises(RoundConflict):
            await p.cancel()
        assert p.wallet.calls("refund") == []


@pytest.mark.parametrize(
    "fault", [Fault.no_answer(applied=True), Fault.refuse("BET_FAILED_UNKNOWN_ERROR")]
)
async def test_b15_a_bet_of_unknown_fate_is_refunded_and_the_engine_told_so(
    fault: Fault,
) -> None:
    async with remote_provider() as p:
        token = await p.launch(balance=10_0000)
        p.wallet.fail("bet", fault)
        answer = await p.open(token)
        assert answer["status"] == "refunded" and answer["balance"] == "10.0"
        assert answer["error"] == {"code": "UNKNOWN_ERROR", "message": "Unknown error"}
        assert len(p.wallet.calls("refund")) == 1 and p.wallet.balances["s-1"] == 10_0000
        with pytest.raises(RoundConflict):
            await p.settle(win=5_0000)
        assert p.wallet.calls("win") == []


async def test_a_known_bet_error_rejects_the_round_with_the_wallets_message() -> None:
    async with remote_provider() as p:
        token = await p.launch()
        p.wallet.fail("bet", Fault.refuse("INSUFFICIENT_BALANCE", "Top up first"))
        answer = await p.open(token)
        assert answer["status"] == "rejected" and answer["balance"] is None
        assert answer["error"] == {"code": "INSUFFICIENT_BALANCE", "message": "Top up first"}
        with pytest.raises(RoundConflict):
            await p.settle()
        assert (await p.cancel())["status"] == "rejected"  # nothing to refund
        assert p.wallet.calls("refund") == []


async def test_b17_a_freespin_campaign_of_the_player_comes_first() -> None:
    async with remote_provider() as p:
        token = await p.launch(balance=10_0000)
        now_s = p.clock() // 1_000_000
        new_id = await p.services.launches.create_freespins(
            CreateFreespins(
                client_id="casino",
                game_id=GAME,
                player_id="player-of-s-1",
                campaign_id="c-1",
                currency="EUR",
                quantity=1,
                valid_from=now_s - 10,
                valid_until=now_s + 3600,
                bet_id=2,
            )
        )
        answer = await p.open(token, "e-1", bet_id=0)
        assert (answer["kind"], answer["campaign_id"], answer["stake"]) == (
            "freespin",
            new_id,
            "10.0",
        )
        assert p.wallet.calls("bet")[0].data["type"] == "freespin"
        assert p.wallet.calls("bet")[0].data["amount"] == 0
        await p.settle(win=3_0000)
        assert p.wallet.calls("win")[0].data["type"] == "freespin"
        assert (await p.open(token, "e-2"))["kind"] == "real"  # the campaign is spent
        assert p.wallet.balances["s-1"] == 10_0000 + 3_0000 - STAKE


async def test_b18_a_remote_round_takes_part_in_the_jackpot_drawn_at_settle() -> None:
    # 2.5 % of the stake back as jackpots: with the declared 95 % the game stays below 100 %.
    level = JackpotLevel("Unit", seed=5000, contribution_ppm=5_000, stake_per_hit=25_0000)
    plan = JackpotPlan((level,))
    rng = ScriptedJackpots(plan.modulus, [0])  # u = 0: the first round hits
    async with remote_provider(jackpots=plan, rng=rng) as p:
        token = await p.launch(balance=10_0000)
        opened = await p.open(token)
        answer = await p.settle(win=0)
        assert answer["jackpot"] == {"level": "Unit", "amount": "0.505"}  # seed + 0.5 % of 1.00
        jackpot = [w for w in p.wallet.calls("win") if w.data["type"] == "jackpot"]
        assert [w.transaction_id for w in jackpot] == [f"{opened['round_id']}:jackpot"]
        stored = await p.round(opened["round_id"])
        shown = recall(p.services.catalog.games.get(GAME), plan, stored)
        assert shown["replay_verified"] is None and shown["jackpot_verified"] is True
        assert shown["outcome"] == {"dice": [3, 4]}


async def test_an_accepted_round_is_never_refunded_behind_the_engines_back() -> None:
    async with remote_provider() as p:
        token = await p.launch()
        opened = await p.open(token)
        assert await p.relay(after_seconds=24 * 3600) == 0
        assert (await p.round(opened["round_id"])).status == "accepted"
        assert p.wallet.calls("refund") == []


async def test_demo_rounds_move_only_the_virtual_balance() -> None:
    async with remote_provider() as p:
        token = await p.launch_demo()
        opened = await p.open(token, "d-1", bet_id=2)
        assert (opened["status"], opened["kind"], opened["balance"]) == (
            "accepted",
            "demo",
            "990.0",
        )
        settled = await p.settle("d-1", win=25_0000)
        assert (settled["status"], settled["balance"]) == ("settled", "1015.0")
        await p.open(token, "d-2", bet_id=2)
        voided = await p.cancel("d-2")
        assert (voided["status"], voided["balance"]) == ("refunded", "1015.0")
        assert p.wallet.calls() == []


async def test_a_demo_stake_the_virtual_balance_cannot_cover_is_rejected() -> None:
    async with remote_provider() as p:
        token = await p.launch_demo()
        for n in range(100):
            answer = await p.open(token, f"d-{n}", bet_id=2)
            await p.settle(f"d-{n}", win=0)
        answer = await p.open(token, "d-last", bet_id=2)
        assert answer["status"] == "rejected" and answer["balance"] == "0.0"
        assert answer["error"] == {
            "code": "INSUFFICIENT_BALANCE",
            "message": "Insufficient balance",
        }


async def test_session_shows_what_the_engine_draws_with() -> None:
    async with remote_provider() as p:
        token = await p.launch(balance=7_5000)
        shown = await p.services.engine_rounds.session(ENGINE, token)
        assert shown["player_id"] == "player-of-s-1" and shown["balance"] == "7.5"
        assert (shown["currency"], shown["demo"], shown["campaign"]) == ("EUR", False, None)
        assert [s["stake"] for s in shown["game"]["stakes"]] == ["1.0", "5.0", "10.0"]
        demo = await p.services.engine_rounds.session(ENGINE, await p.launch_demo())
        assert (demo["demo"], demo["balance"], demo["language"]) == (True, "1000.0", "de")


async def test_unknown_sessions_other_engines_bad_stakes_and_unknown_rounds_change_nothing() -> (
    None
):
    async with remote_provider() as p:
        token = await p.launch()
        with pytest.raises(SessionGone):
            await p.open("no-such-token")
        with pytest.raises(SessionGone):
            await p.services.engine_rounds.open("another-engine", "e-1", token, 0)
        with pytest.raises(BadStake):
            await p.open(token, bet_id=len(LEVELS))
        with pytest.raises(UnknownRound):
            await p.settle("never-opened")
        with pytest.raises(UnknownRound):
            await p.cancel("never-opened")
        assert p.wallet.calls() == []


async def test_the_built_in_game_api_refuses_a_remote_games_session() -> None:
    async with remote_provider() as p:
        token = await p.launch()
        with pytest.raises(GameNotOffered):
            await p.services.spins.spin(token, 0)
        assert p.wallet.calls() == []


async def test_b15_an_open_whose_sender_died_is_refunded_after_its_lease_and_a_repeat_says_so() -> (
    None
):
    async with remote_provider() as p:
        token = await p.launch(balance=10_0000)
        now = p.clock()
        ticket = await p.services.engine.run(
            lambda: rounds.begin(
                token,
                round_id="orphan",
                bet_per_line=LEVELS[0],
                stake_of={b: b * LINES for b in LEVELS},
                now=now,
                lease_us=30_000_000,
                engine=EngineRef(ENGINE, "e-1", 0),
            )
        )
        await p.wallet.post("https://wallet/", ticket.bet.body, "sig")  # it reached the wallet
        with pytest.raises(SpinInProgress):
            await p.open(token, "e-1")  # the bet is in flight: repeat shortly
        assert await p.relay(after_seconds=31) == 1
        answer = await p.open(token, "e-1")
        assert answer["status"] == "refunded" and answer["error"]["message"] == "Unknown error"
        assert p.wallet.balances["s-1"] == 10_0000 and len(p.wallet.calls("bet")) == 1


async def test_an_engine_round_id_taken_meanwhile_writes_nothing_for_the_second_open() -> None:
    async with remote_provider() as p:
        first, second = await p.launch("s-1"), await p.launch("s-2")
        await p.open(first, "e-1")
        now = p.clock()
        with pytest.raises(RoundConflict):
            await p.services.engine.run(
                lambda: rounds.begin(
                    second,
                    round_id="late",
                    bet_per_line=LEVELS[0],
                    stake_of={b: b * LINES for b in LEVELS},
                    now=now,
                    lease_us=30_000_000,
                    engine=EngineRef(ENGINE, "e-1", 0),
                )
            )
        assert await p.services.engine.run(lambda: rounds.find("late")) is None
        session = await p.services.engine.run(lambda: sessions.find(second))
        assert session is not None and session.busy_round is None  # rolled back
        assert len(p.wallet.calls("bet")) == 1
