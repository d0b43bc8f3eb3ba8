"""Responsible gambling end to end (docs/PROTOCOL-part-b.md B19, B22): our provider
against the real reelbridge wallet. A bet the wallet refuses for a limit is a known error
(``BET_FAILED_KNOWN_ERROR``): the round is rejected with the wallet's message, nothing
is refunded, and the books agree. ``TRANSACTION_PREPARING_ERROR`` is an unknown error:
the bet is refunded. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from provider.conftest import MakeStack
from provider.support import Stack, units
from reelbridge.games import SeededRng
from reelbridge.testing.faults import reply

LOSS_DAY = "This bet would exceed your daily loss limit"


def test_b19_a_spin_over_the_loss_limit_is_rejected_with_the_wallets_message_no_refund(
    make_stack: MakeStack,
) -> None:
    stack = make_stack(rng=SeededRng(7))
    player = stack.new_player(balance="100")
    stack.wallet.set_limits(player.player_id, "EUR", "player asked", loss_day="0.50")
    token = stack.launch(player)
    answers = []
    for _ in range(40):  # 0.20 a spin: the net loss reaches the limit within a few spins
        answers.append(stack.spin(token))
        if answers[-1]["status"] != "settled":
            break
    *played, answer = answers
    assert played, "the first spins are within the limit"
    assert all(a["status"] == "settled" for a in played)
    assert answer["status"] == "rejected"
    assert answer["error"] == {"code": "BET_FAILED_KNOWN_ERROR", "message": LOSS_DAY}
    assert answer["win"] is None and answer["balance"] is None
    lost = sum(units(a["stake"]) - units(a["win"]) for a in played)
    assert lost + units(answer["stake"]) > units("0.50") >= lost
    assert stack.proxy.requests("refund") == []  # a known error owes nothing back
    bet = stack.transactions(round_id=answer["round_id"])
    assert [(t["action"], t["outcome"], t["message"]) for t in bet] == [
        ("bet", "BET_FAILED_KNOWN_ERROR", LOSS_DAY)
    ]
    rounds = stack.assert_books_agree(player)
    rejected = [r for r in rounds if r["status"] == "rejected"]
    assert [(r["round_id"], r["error_message"]) for r in rejected] == [
        (answer["round_id"], LOSS_DAY)
    ]


def test_b19_a_blocked_player_is_told_so_in_the_game_and_nothing_is_refunded(stack: Stack) -> None:
    player = stack.new_player(balance="100")
    token = stack.launch(player)
    assert stack.spin(token)["status"] == "settled"
    stack.wallet.block(player.player_id, True, "fraud check")
    answer = stack.spin(token)
    assert answer["error"] == {
        "code": "BET_FAILED_KNOWN_ERROR",
        "message": "Your account is blocked",
    }
    assert stack.proxy.requests("refund") == []
    stack.assert_books_agree(player)


def test_b22_transaction_preparing_error_on_a_bet_is_unknown_and_refunded(stack: Stack) -> None:
    player = stack.new_player(balance="100")
    token = stack.launch(player)
    stack.proxy.add(
        action="bet",
        kind=reply("TRANSACTION_PREPARING_ERROR", "The wallet could not begin the transaction"),
    )
    answer = stack.spin(token)
    assert answer["error"] == {"code": "UNKNOWN_ERROR", "message": "Unknown error"}
    assert len(stack.proxy.requests("refund")) >= 1
    stack.assert_books_agree(player)
    assert stack.balance(player) == player.start
