"""The ``engines`` and ``engine_games`` tables: remote game engines and their games.

An engine is a studio's own game server (C#, Node, Go, …) that plays rounds through the
provider's engine API (``web/engine_api.py``, ``docs/remote-engine.md``). It signs its
calls with one of its tokens (two during a rotation) and receives players at its launch
URL template (``{token}`` becomes the launch token). Each of its games has a
``game_id`` no other game has, a name, a number of lines and its stake levels (bets per
line, in units; a round costs bet per line × lines), and optionally the RTP the engine
declares (its maths is its own; the declared value is only shown).

A registration is the engine's whole description: games it no longer lists leave the
catalogue (their stored rounds stay). Every registration writes an audit row with
token fingerprints, never the tokens.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from reelbridge.protocol import format_amount
from reelbridge.provider.errors import GameIdTaken
from reelbridge.storage import Flow, Sql, run, value
from reelbridge.storage.audit import audit, fingerprint
from reelbridge.storage.rows import columns, fetch_all, fetch_one


class EngineRow(msgspec.Struct, frozen=True, array_like=True):
    """A stored engine (``tokens``: a JSON list; the first is listed first)."""

    engine_id: str
    tokens: str
    launch_url: str
    created_at: int
    updated_at: int

    def token_list(self) -> tuple[str, ...]:
        """The tokens that verify this engine's calls."""
        return tuple(json.loads(self.tokens))


class EngineGameRow(msgspec.Struct, frozen=True, array_like=True):
    """A stored remote game (``stake_levels``: a JSON list of units; ``rtp``: the declared
    return as an exact fraction ``"p/q"``, or None)."""

    game_id: str
    engine_id: str
    name: str
    lines: int
    stake_levels: str
    rtp: str | None
    created_at: int
    updated_at: int

    def levels(self) -> tuple[int, ...]:
        """The bets per line, in units."""
        return tuple(int(b) for b in json.loads(self.stake_levels))


_ENGINE = Sql.of(f"SELECT {columns(EngineRow)} FROM engines WHERE engine_id = ? {{lock}}")
_ENGINES = Sql.of(f"SELECT {columns(EngineRow)} FROM engines ORDER BY engine_id")
_GAMES = Sql.of(f"SELECT {columns(EngineGameRow)} FROM engine_games ORDER BY engine_id, game_id")
_GAMES_OF = Sql.of(
    f"SELECT {columns(EngineGameRow)} FROM engine_games WHERE engine_id = ? ORDER BY game_id"
)
_UPSERT_ENGINE = Sql.of(
    """INSERT INTO engines (engine_id, tokens, launch_url, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (engine_id) DO UPDATE SET tokens = excluded.tokens,
              launch_url = excluded.launch_url, updated_at = excluded.updated_at"""
)
# A game id belongs to the engine that registered it first: the update applies only to
# that engine's own row, so a concurrent registration by another engine changes nothing
# (and is told so by the missing RETURNING row).
_UPSERT_GAME = Sql.of(
    """INSERT INTO engine_games (game_id, engine_id, name, lines, stake_levels, rtp,
              created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (game_id) DO UPDATE SET name = excluded.name, lines = excluded.lines,
              stake_levels = excluded.stake_levels, rtp = excluded.rtp,
              updated_at = excluded.updated_at
        WHERE engine_games.engine_id = excluded.engine_id
       RETURNING game_id"""
)
_DROP_GAME = Sql.of("DELETE FROM engine_games WHERE engine_id = ? AND game_id = ?")


class GameSpec(msgspec.Struct, frozen=True):
    """A remote game as registered (stakes in units, ``rtp`` as ``"p/q"`` or None)."""

    game_id: str
    name: str
    lines: int
    stake_levels: tuple[int, ...]
    rtp: str | None = None


class EngineSpec(msgspec.Struct, frozen=True):
    """An engine's whole registration."""

    engine_id: str
    tokens: tuple[str, ...]
    launch_url: str
    games: tuple[GameSpec, ...]


def load() -> Flow[tuple[list[EngineRow], list[EngineGameRow]]]:
    """Every engine and every remote game."""
    engines = yield from fetch_all(EngineRow, _ENGINES)
    games = yield from fetch_all(EngineGameRow, _GAMES)
    return engines, games


def _described(
    engine: EngineRow | None, games: list[EngineGameRow], key: bytes
) -> dict[str, Any] | None:
    if engine is None:
        return None
    return {
        "tokens": [fingerprint(t, key) for t in engine.token_list()],
        "launch_url": engine.launch_url,
        "games": {
            g.game_id: {
                "name": g.name,
                "lines": g.lines,
                "stake_levels": [format_amount(b) for b in g.levels()],
                "rtp": g.rtp,
            }
            for g in games
        },
    }


def register(
    spec: EngineSpec, *, actor: str, reason: str, now: int, key: bytes
) -> Flow[dict[str, Any]]:
    """Create or replace an engine and its games (audited; tokens as fingerprints under
    ``key``).

    Raises:
        GameIdTaken: one of the game ids is another engine's (nothing is written).
    """
    before = yield from fetch_one(EngineRow, _ENGINE, spec.engine_id)
    before_games = yield from fetch_all(EngineGameRow, _GAMES_OF, spec.engine_id)
    tokens = json.dumps(list(spec.tokens))
    yield run(_UPSERT_ENGINE, spec.engine_id, tokens, spec.launch_url, now, now)
    listed = {g.game_id for g in spec.games}
    for old in before_games:
        if old.game_id not in listed:
            yield run(_DROP_GAME, spec.engine_id, old.game_id)
    for g in spec.games:
        levels = json.dumps(list(g.stake_levels))
        kept = yield value(
            _UPSERT_GAME, g.game_id, spec.engine_id, g.name, g.lines, levels, g.rtp, now, now
        )
        if kept is None:
            raise GameIdTaken(f"game_id {g.game_id!r} is another engine's game")
    after = yield from fetch_one(EngineRow, _ENGINE, spec.engine_id)
    after_games = yield from fetch_all(EngineGameRow, _GAMES_OF, spec.engine_id)
    yield from audit(
        "provider_audit_log",
        actor=actor,
        action="engine.register",
        subject=spec.engine_id,
        before=_described(before, before_games, key),
        after=_described(after, after_games, key),
        reason=reason,
        now=now,
    )
    return {
        "engine_id": spec.engine_id,
        "created": before is None,
        "tokens": len(spec.tokens),
        "games": sorted(listed),
        "removed_games": sorted({g.game_id for g in before_games} - listed),
    }
