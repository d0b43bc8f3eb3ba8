"""Checks a game must pass before the provider offers it (built-in or plug-in).

:func:`validate_game` goes beyond the structural ``isinstance(obj, SlotGame)`` (which
only sees that the attributes exist): it reads every property, asks ``total_stake`` for
each stake level, checks the ``client()`` layout the reel client draws from, and plays
one smoke round (``draw`` from a seeded RNG, a JSON round trip, ``replay`` twice) so
that a broken game is refused at discovery, with a readable reason, rather than in the
middle of a player's round. ``exact_rtp`` is not called (it may enumerate for a while).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, TypeGuard, TypeVar

from reelbridge.games._errors import GameDefinitionError
from reelbridge.games._interface import Outcome, SlotGame
from reelbridge.games._rng_seeded import SeededRng

MAX_GAME_ID_LENGTH = 64
"""The longest ``game_id`` accepted (it travels in every protocol call)."""

_MEMBERS = (
    "game_id",
    "name",
    "stake_levels",
    "total_stake",
    "draw",
    "replay",
    "exact_rtp",
    "client",
)
_METHODS = ("total_stake", "draw", "replay", "exact_rtp", "client")
_KINDS = frozenset({"line", "wild", "scatter"})
_SMOKE_SEED = "reelbridge.games.validate_game"

T = TypeVar("T")


class _Invalid(Exception):
    """One failed check; becomes the ``GameDefinitionError`` message."""


def validate_game(obj: object) -> SlotGame:
    """Check that ``obj`` is a game the provider can offer, and return it.

    Args:
        obj: a candidate game, e.g. what a plug-in's entry point produced.

    Returns:
        ``obj`` itself, typed as a :class:`SlotGame`.

    Raises:
        GameDefinitionError: the first check that failed, in a readable sentence: not a
            ``SlotGame`` (naming the missing members), a bad ``game_id`` (empty, over 64
            characters, whitespace or control characters), bad ``stake_levels`` (not
            positive, strictly increasing integers), a ``total_stake`` that is not a
            positive integer, a ``client()`` layout the reel client cannot draw, or a
            smoke round that fails (``draw`` not plain JSON, ``replay`` raising, not
            pure, or an outcome without an integer ``total_win``).
    """
    if isinstance(obj, type):
        raise GameDefinitionError(f"{_describe(obj)} is not a game: a game is an instance")
    if not isinstance(obj, SlotGame):
        missing = [name for name in _MEMBERS if not hasattr(obj, name)]
        raise GameDefinitionError(
            f"{_describe(obj)} is not a SlotGame (missing: {', '.join(missing)})"
        )
    try:
        game_id = _call(lambda: obj.game_id, "game_id")
        _check_game_id(game_id)
    except _Invalid as exc:
        raise GameDefinitionError(str(exc)) from None
    try:
        _check_game(obj)
    except _Invalid as exc:
        raise GameDefinitionError(f"game {game_id!r}: {exc}") from None
    return obj


def _describe(obj: object) -> str:
    kind = "the class" if isinstance(obj, type) else "an object of type"
    name = obj.__qualname__ if isinstance(obj, type) else type(obj).__qualname__
    return f"{kind} {name}"


def _call(action: Callable[[], T], what: str) -> T:
    # Plug-in code may raise anything; each failure names the member that raised.
    try:
        return action()
    except Exception as exc:
        raise _Invalid(f"{what} raised {type(exc).__name__}: {exc}") from None


def _check_game_id(game_id: object) -> None:
    if not isinstance(game_id, str) or not game_id:
        raise _Invalid(f"game_id must be a non-empty string, got {game_id!r}")
    if len(game_id) > MAX_GAME_ID_LENGTH:
        raise _Invalid(f"game_id {game_id!r} is longer than {MAX_GAME_ID_LENGTH} characters")
    if not game_id.isprintable() or any(c.isspace() for c in game_id):
        raise _Invalid(f"game_id {game_id!r} contains whitespace or control characters")


def _check_game(game: SlotGame) -> None:
    for method in _METHODS:
        if not callable(getattr(game, method)):
            raise _Invalid(f"{method} is not callable")
    name = _call(lambda: game.name, "name")
    if not isinstance(name, str) or not name.strip():
        raise _Invalid(f"name must be a non-empty string, got {name!r}")
    levels = _call(lambda: game.stake_levels, "stake_levels")
    _check_stake_levels(levels)
    for level in levels:
        stake = _call(partial(game.total_stake, level), f"total_stake({level})")
        if not _is_int(stake) or stake <= 0:
            raise _Invalid(f"total_stake({level}) must be a positive integer, got {stake!r}")
    _check_client(_call(game.client, "client()"))
    _smoke_round(game, levels[0])


def _is_int(value: object) -> TypeGuard[int]:
    return type(value) is int  # bool is an int subclass, and never a count or an amount


def _check_stake_levels(levels: object) -> None:
    ok = (
        isinstance(levels, Sequence)
        and not isinstance(levels, str)
        and len(levels) > 0
        and all(_is_int(level) and level > 0 for level in levels)
        and all(a < b for a, b in itertools.pairwise(levels))
    )
    if not ok:
        raise _Invalid(
            f"stake_levels must be positive, strictly increasing integers, got {levels!r}"
        )


def _check_client(layout: object) -> None:
    if not isinstance(layout, Mapping):
        raise _Invalid(f"client() must return a dict, got {type(layout).__name__}")
    missing = [key for key in ("rows", "reels", "lines", "symbols") if key not in layout]
    if missing:
        raise _Invalid(f"client() lacks {', '.join(missing)}")
    rows, reels = layout["rows"], layout["reels"]
    if not (_is_int(rows) and _is_int(reels) and rows > 0 and reels > 0):
        raise _Invalid("client() rows and reels must be positive integers")
    lines = layout["lines"]
    if not isinstance(lines, list | tuple) or not lines:
        raise _Invalid("client() lines must be a non-empty list")
    for line in lines:
        if not (
            isinstance(line, list | tuple)
            and len(line) == reels
            and all(_is_int(row) and 0 <= row < rows for row in line)
        ):
            raise _Invalid(f"client() line {line!r} is not a row index per reel")
    _check_symbols(layout["symbols"])
    feature = layout.get("free_games")
    if feature is not None and not (
        isinstance(feature, Mapping)
        and _pairs(feature.get("awards"))
        and _is_int(multiplier := feature.get("multiplier"))
        and multiplier >= 1
    ):
        raise _Invalid("client() free_games must be None or {awards: [[n, games]], multiplier}")
    try:
        json.dumps(layout)
    except (TypeError, ValueError) as exc:
        raise _Invalid(f"client() is not plain JSON: {exc}") from None


def _pairs(value: object) -> bool:
    return isinstance(value, list | tuple) and all(
        isinstance(pair, list | tuple) and len(pair) == 2 and all(_is_int(x) for x in pair)
        for pair in value
    )


def _check_symbols(symbols: object) -> None:
    if not isinstance(symbols, list | tuple) or not symbols:
        raise _Invalid("client() symbols must be a non-empty list")
    names: set[str] = set()
    for symbol in symbols:
        if not isinstance(symbol, Mapping):
            raise _Invalid(f"client() symbol {symbol!r} is not a dict")
        name = symbol.get("name")
        if not isinstance(name, str) or not name or name in names:
            raise _Invalid(f"client() symbol names must be unique strings, got {name!r}")
        names.add(name)
        if symbol.get("kind") not in _KINDS:
            raise _Invalid(f"client() symbol {name} has kind {symbol.get('kind')!r}")
        if not _pairs(symbol.get("pays")):
            raise _Invalid(f"client() symbol {name} pays must be [[count, multiplier], …]")


def _smoke_round(game: SlotGame, bet_per_line: int) -> None:
    draw = _call(lambda: game.draw(SeededRng(_SMOKE_SEED)), "draw()")
    try:
        stored = json.loads(json.dumps(draw))
    except (TypeError, ValueError) as exc:
        raise _Invalid(f"draw() must return plain JSON: {exc}") from None
    outcome = _call(lambda: game.replay(bet_per_line, stored), "replay() of a fresh draw")
    if not isinstance(outcome, Outcome):
        raise _Invalid(f"replay() returned a {type(outcome).__name__}, not an Outcome")
    total = _call(lambda: outcome.total_win, "total_win")
    if not _is_int(total) or total < 0:
        raise _Invalid(f"total_win must be a non-negative integer, got {total!r}")
    data = _json_of(outcome)
    if data.get("total_win") != total:
        raise _Invalid("to_json()['total_win'] differs from total_win")
    base = data.get("base")
    if not isinstance(base, Mapping) or not isinstance(base.get("grid"), list):
        raise _Invalid("to_json() needs a base screen with a grid (see Outcome.to_json)")
    again = _json_of(_call(lambda: game.replay(bet_per_line, stored), "replay()"))
    if again != data:
        raise _Invalid("replay() is not pure: the same draw gave two outcomes")


def _json_of(outcome: Any) -> dict[str, Any]:
    data = _call(outcome.to_json, "to_json()")
    if not isinstance(data, dict):
        raise _Invalid(f"to_json() must return a dict, got {type(data).__name__}")
    try:
        json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise _Invalid(f"to_json() is not plain JSON: {exc}") from None
    return data
