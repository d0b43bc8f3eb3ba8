"""Freespin campaigns end to end (PROTOCOL.md B17), on SQLite and PostgreSQL.

A campaign is idempotent on ``campaign_id``; its spins are played first by that player,
on that game, in that currency, at the stake ``bet_id`` selects, inside the validity
window, each as a ``bet`` of type ``freespin`` and amount 0 and a ``win`` of type
``freespin``; cancel voids the unplayed spins.
"""

from __future__ import annotations

import time
from typing import Any

from integration.support import FakeClock
from provider.conftest import MakeStack
from provider.support import Player, Stack, units
from reelbridge.games import get_game

BOOK = get_game("book-of-reels")


def campaign(stack: Stack, player: Player, campaign_id: str, **changes: Any) -> dict[str, Any]:
    """The fields of a create-campaign request (now → in an hour unless changed)."""
    now = int(time.time())
    return {
        "client_id": stack.client_id,
        "game_id": player.game_id,
        "player_id": player.player_id,
        "campaign_id": campaign_id,
        "currency": player.currency,
        "quantity": 3,
        "valid_from": now - 60,
        "valid_until": now + 3600,
        "bet_id": 2,
        **changes,
    }


def create(stack: Stack, fields: dict[str, Any]) -> dict[str, Any]:
    """Send create-campaign."""
    return stack.call("/api/freespins/create", **fields)


def cancel(stack: Stack, campaign_id: str) -> dict[str, Any]:
    """Send cancel-campaign."""
    return stack.call("/api/freespins/cancel", client_id=stack.client_id, campaign_id=campaign_id)


WRONG = {"status": False, "code": "WRONG_INPUT_PARAMETERS"}


def is_wrong_input(reply: dict[str, Any]) -> bool:
    """The reply is a WRONG_INPUT_PARAMETERS error."""
    return {k: reply.get(k) for k in WRONG} == WRONG


def test_b17_create_is_idempotent_on_campaign_id_and_refuses_other_parameters(
    stack: Stack,
) -> None:
    player, other = stack.new_player(), stack.new_player()
    fields = campaign(stack, player, "camp-1")
    first = create(stack, fields)
    assert first["status"] is True and first["new_campaign_id"]
    assert create(stack, fields) == first
    for change in (
        {"quantity": 4},
        {"bet_id": 1},
        {"player_id": other.player_id},
        {"valid_until": fields["valid_until"] + 1},
        {"game_id": "classic-7s", "bet_id": 0},
    ):
        assert is_wrong_input(create(stack, {**fields, **change})), change
    another = create(stack, campaign(stack, player, "camp-2"))
    assert another["status"] is True and another["new_campaign_id"] != first["new_campaign_id"]
    rows = stack.listing(stack.admin, "campaigns", client_id=stack.client_id)
    assert sorted(r["campaign_id"] for r in rows) == ["camp-1", "camp-2"]


def test_create_refuses_a_bet_id_out_of_range_or_a_window_already_over_or_empty(
    stack: Stack,
) -> None:
    player = stack.new_player()
    before = stack.counts()
    now = int(time.time())
    changes: list[dict[str, Any]] = [
        {"bet_id": len(BOOK.stake_levels)},
        {"bet_id": -1},
        {"valid_from": now - 7200, "valid_until": now - 3600},
        {"valid_from": now + 100, "valid_until": now + 100},
        {"quantity": "3"},
    ]
    for i, change in enumerate(changes):
        assert is_wrong_input(create(stack, campaign(stack, player, f"bad-{i}", **change))), change
    assert stack.counts() == before


def test_b17_cancel_of_an_unknown_campaign_is_wrong_input(stack: Stack) -> None:
    assert is_wrong_input(cancel(stack, "never-created"))


def test_b17_the_players_session_plays_the_campaign_first_as_freespin_bets_of_zero(
    stack: Stack,
) -> None:
    player, other = stack.new_player(), stack.new_player()
    reply = create(stack, campaign(stack, player, "camp-play", quantity=3, bet_id=2))
    token = stack.launch(player)
    state = stack.game(token, "state").json()
    assert state["campaign"]["id"] == reply["new_campaign_id"]
    assert state["campaign"]["remaining"] == 3
    free_stake = BOOK.total_stake(BOOK.stake_levels[2])
    answers = [stack.spin(token, bet_id=0) for _ in range(5)]
    assert [a["kind"] for a in answers] == ["freespin"] * 3 + ["real"] * 2
    for a in answers[:3]:
        assert a["campaign_id"] == reply["new_campaign_id"]
        assert units(a["stake"]) == free_stake  # the campaign's stake, not the one asked
    assert units(answers[3]["stake"]) == BOOK.total_stake(BOOK.stake_levels[0])
    assert stack.game(token, "state").json()["campaign"] is None
    # The wallet saw freespin bets of 0 and freespin wins for the campaign's rounds.
    journal = stack.transactions()
    for a in answers:
        rows = [t for t in journal if t["round_id"] == a["round_id"]]
        kinds = {(t["action"], t["type"]) for t in rows}
        if a["kind"] == "freespin":
            assert kinds == {("bet", "freespin"), ("win", "freespin")}, rows
            (bet,) = [t for t in rows if t["action"] == "bet"]
            assert units(bet["amount"]) == 0 and units(bet["moved"]) == 0
        else:
            assert kinds == {("bet", "bet"), ("win", "win")}, rows
    # Another player of the same client, or the player on another game, plays for money.
    assert stack.spin(stack.launch(other), 0)["kind"] == "real"
    elsewhere = stack.new_player(game_id="classic-7s")
    create(stack, campaign(stack, elsewhere, "camp-book", game_id="book-of-reels"))
    assert stack.spin(stack.launch(elsewhere), 0)["kind"] == "real"
    stack.assert_books_agree(player, other, elsewhere)


def test_b17_cancel_voids_the_unplayed_spins_and_cancelling_twice_is_success(stack: Stack) -> None:
    player = stack.new_player()
    create(stack, campaign(stack, player, "camp-cancel", quantity=4))
    token = stack.launch(player)
    assert stack.spin(token, 0)["kind"] == "freespin"
    assert cancel(stack, "camp-cancel") == {"status": True}
    assert cancel(stack, "camp-cancel") == {"status": True}
    assert [stack.spin(token, 0)["kind"] for _ in range(2)] == ["real", "real"]
    (row,) = stack.listing(stack.admin, "campaigns", client_id=stack.client_id)
    assert (row["status"], row["remaining"], row["quantity"]) == ("cancelled", 3, 4)
    assert stack.game(token, "state").json()["campaign"] is None
    stack.assert_books_agree(player)


def test_b17_campaign_spins_are_played_only_inside_the_validity_window(
    make_stack: MakeStack,
) -> None:
    clock = FakeClock()
    stack = make_stack(clock=clock)
    player = stack.new_player()
    start = clock() // 1_000_000
    fields = campaign(
        stack, player, "camp-window", valid_from=start + 10, valid_until=start + 70, quantity=5
    )
    assert create(stack, fields)["status"] is True
    token = stack.launch(player)
    assert stack.spin(token, 0)["kind"] == "real"  # not yet
    clock.advance(10)
    assert stack.spin(token, 0)["kind"] == "freespin"  # valid_from is inclusive
    clock.advance(59)
    assert stack.spin(token, 0)["kind"] == "freespin"
    clock.advance(1)
    assert stack.spin(token, 0)["kind"] == "real"  # valid_until is exclusive
    stack.assert_books_agree(player)
