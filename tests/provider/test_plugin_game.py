"""A studio's own game, installed as a plug-in, played for real money through the wallet
(issue 7 "bring your own game"): the example package ``examples/lucky-clover`` is built
and installed with pip (``lucky_clover`` fixtures), discovered through the entry-point
group ``reelbridge.games``, offered by the provider, and played through the real wallet
behind a fault proxy — with a bet timeout, and with the provider killed between the bet
and the win — on SQLite and PostgreSQL. Every run ends with the books reconciled.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

import httpx

from plugins.support import PluginInstall
from provider.conftest import BUDGET, MakeStack
from provider.processes import crash_stack_on, restart
from provider.support import Stack, units
from reelbridge.games import DEFAULT_JACKPOTS, SeededRng, get_game
from reelbridge.testing.faults import delay, hang_until

GAME = "lucky-clover"


def spins(stack: Stack, token: str, count: int) -> list[dict[str, Any]]:
    return [stack.spin(token, bet_id=i % 3) for i in range(count)]


def test_a_plug_in_game_is_offered_launched_and_played_for_real_money(
    lucky_clover: PluginInstall, make_stack: MakeStack
) -> None:
    game = get_game(GAME)
    stack = make_stack(rng=SeededRng(11), jackpots=DEFAULT_JACKPOTS)
    catalogue = {
        g["game_id"]: g for g in stack.call("/api/games", client_id=stack.client_id)["games"]
    }
    assert GAME in catalogue and catalogue[GAME]["name"] == game.name
    games = {g["game_id"]: g for g in stack.admin.get("/admin/games")["games"]}
    assert games[GAME]["source"].startswith("plug-in reelbridge-lucky-clover==")
    player = stack.new_player(balance="100", game_id=GAME)
    token = stack.launch(player)
    state = stack.game(token, "state").json()
    assert state["game"]["id"] == GAME and len(state["game"]["stakes"]) == len(game.stake_levels)
    answers = spins(stack, token, 12)
    assert all(a["status"] == "settled" for a in answers), answers
    assert any(units(a["win"]) > 0 for a in answers)  # seed 11 wins in these rounds
    for answer in answers[:3]:
        recalled = stack.admin.get(f"/admin/rounds/{answer['round_id']}")
        assert recalled["replay_verified"] is True and recalled["jackpot_verified"] is True
        assert recalled["outcome"] == answer["outcome"]
    stack.assert_books_agree(player)


def test_a_plug_in_round_whose_bet_times_out_is_refunded_and_pays_nothing(
    lucky_clover: PluginInstall, make_stack: MakeStack
) -> None:
    stack = make_stack()
    player = stack.new_player(balance="50", game_id=GAME)
    token = stack.launch(player)
    # The wallet applies the bet, but its answer comes after the provider's budget.
    stack.proxy.add(action="bet", kind=delay(BUDGET + 1.0, forward="before"))
    answer = stack.spin(token)
    assert answer["status"] in ("refunding", "refunded") and answer["outcome"] is None
    assert answer["error"] == {"code": "UNKNOWN_ERROR", "message": "Unknown error"}
    (round_,) = stack.assert_books_agree(player)
    assert round_["status"] == "refunded" and round_["game_id"] == GAME
    assert stack.balance(player) == player.start
    assert stack.proxy.requests("win") == []


def test_a_plug_in_round_survives_a_kill_between_bet_and_win(
    lucky_clover_install: PluginInstall, database_url: str, tmp_path: Path
) -> None:
    with crash_stack_on(database_url, tmp_path, env=lucky_clover_install.env) as (stack, process):
        player = stack.new_player(balance="100", game_id=GAME)
        token = stack.launch(player)
        release = threading.Event()
        # The bet lands; the win is held at the proxy while the provider dies.
        stack.proxy.add(action="win", kind=hang_until(release))
        thread = threading.Thread(target=lambda: _quiet_spin(stack, token), daemon=True)
        thread.start()
        stack.proxy.wait_for("win")
        process.kill()
        thread.join(timeout=10)
        restart(stack, process)
        (round_,) = stack.assert_books_agree(player)  # the relay delivers the stored win
        assert round_["status"] == "settled" and round_["game_id"] == GAME
        release.set()
        stack.proxy.wait_idle()
        sent = stack.proxy.requests("win")
        assert len(sent) >= 2 and {s.body for s in sent} == {sent[0].body}  # same bytes
        stack.assert_books_agree(player)


def _quiet_spin(stack: Stack, token: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the provider dies mid-call on purpose
        stack.http.post(f"{stack.provider_url}/game/api/{token}/spin", json={"bet_id": 0})
