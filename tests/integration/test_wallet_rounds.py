"""Rounds belong to a player (B12, B13): the journal keys them by player account.

A provider whose round ids are per-session counters ("1", "2", …) reuses an id for
other players of the same client; each player's round stays their own. Several
sessions of one player still share their rounds.
"""

from __future__ import annotations

import pytest

from reelbridge.protocol import ErrorCode

from .support import Aggregator, ok, refused, units

pytestmark = pytest.mark.anyio


async def test_b13_another_players_refunded_round_of_the_same_id_does_not_deny_a_win(
    aggregator: Aggregator,
) -> None:
    client = aggregator.new_client()
    alice = aggregator.new_player(balance="10", client=client)
    bob = aggregator.new_player(balance="10", client=client)
    async with aggregator.wallet(alice) as for_alice, aggregator.wallet(bob) as for_bob:
        tx = for_alice.new_id()
        ok(
            await for_alice.bet(
                alice.session_id, 10000, transaction_id=tx, round_id="1", game_id="g1"
            )
        )
        ok(await for_alice.refund(alice.session_id, tx, round_id="1", game_id="g1"))
        refused(
            await for_alice.win(alice.session_id, 5000, round_id="1", game_id="g1"),
            ErrorCode.TRANSACTION_DENIED,
        )
        assert ok(await for_bob.win(bob.session_id, 5000, round_id="1", game_id="g1")) == units(
            "10.5"
        )


async def test_b12_another_players_win_of_the_same_round_id_does_not_settle_a_round(
    aggregator: Aggregator,
) -> None:
    client = aggregator.new_client()
    alice = aggregator.new_player(balance="10", client=client)
    bob = aggregator.new_player(balance="10", client=client)
    async with aggregator.wallet(alice) as for_alice, aggregator.wallet(bob) as for_bob:
        ok(await for_bob.win(bob.session_id, 5000, round_id="7", game_id="g1"))
        tx = for_alice.new_id()
        ok(
            await for_alice.bet(
                alice.session_id, 10000, transaction_id=tx, round_id="7", game_id="g1"
            )
        )
        assert ok(
            await for_alice.refund(alice.session_id, tx, round_id="7", game_id="g1")
        ) == units("10")
    assert aggregator.listing("anomalies", client_id=client[0]) == []


async def test_b13_sessions_of_one_player_share_their_rounds(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="10")
    other_session = aggregator.open_session(player)
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        ok(
            await wallet.bet(
                player.session_id, 10000, transaction_id=tx, round_id="r", game_id="g1"
            )
        )
        ok(await wallet.refund(player.session_id, tx, round_id="r", game_id="g1"))
        refused(
            await wallet.win(other_session, 5000, round_id="r", game_id="g1"),
            ErrorCode.TRANSACTION_DENIED,
        )
