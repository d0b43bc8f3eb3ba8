"""A studio's own tests of its game, against reelbridge's interface and checks.

Run with the game installed (``pip install -e .``)::

    python -m pytest tests -q
"""

from __future__ import annotations

import json

import pytest
from reelbridge_lucky_clover import GAME, RTP, enumerate_rtp

from reelbridge.games import InvalidDrawError, SeededRng, installed_games, validate_game


def test_the_game_passes_the_checks_reelbridge_runs_on_every_plug_in() -> None:
    assert validate_game(GAME) is GAME


def test_reelbridge_finds_the_game_through_its_entry_point() -> None:
    entry = installed_games(refresh=True).get("lucky-clover")
    assert entry.game is GAME
    assert entry.source.distribution == "reelbridge-lucky-clover"


def test_the_exact_rtp_is_the_documented_one() -> None:
    assert enumerate_rtp() == RTP
    assert all(GAME.exact_rtp(level) == RTP for level in GAME.stake_levels)


def test_a_stored_draw_replays_the_same_outcome() -> None:
    rng = SeededRng(1)
    for _ in range(1000):
        draw = GAME.draw(rng)
        stored = json.loads(json.dumps(draw))
        assert GAME.replay(1000, stored).to_json() == GAME.replay(1000, draw).to_json()


def test_a_draw_from_another_game_is_refused() -> None:
    with pytest.raises(InvalidDrawError):
        GAME.replay(1000, [[0, 0, 0, 0, 0]])
