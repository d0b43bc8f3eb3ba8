"""The installed games: the built-in ones plus every valid plug-in, found lazily.

A studio ships its games as a Python distribution that declares entry points in the
group ``reelbridge.games``::

    [project.entry-points."reelbridge.games"]
    lucky-clover = "reelbridge_lucky_clover:GAME"

An entry point may load a :class:`SlotGame` instance, a :class:`GameDefinition` (a game
as data, played by the built-in engine), or a zero-argument callable (a class counts)
returning either of them or an iterable of them. Every game found is checked by
:func:`validate_game`; its ``game_id`` must be unique: a plug-in never shadows a
built-in game, and when two plug-ins claim one id neither is offered (the order in
which distributions were installed must not decide which game players get).

A broken plug-in (import error, bad object, failed check, duplicate id) never breaks
discovery: it becomes a :class:`BrokenPlugin` with a readable reason, is logged once as
a warning on the ``reelbridge.games`` logger, and its games are not offered. The other
games are.

Discovery runs on first use, not at import, and is cached for the process;
``installed_games(refresh=True)`` looks again (after installing a distribution, or in
tests that change ``sys.path``).
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, distributions
from typing import Any, Literal

from reelbridge.games._engine import Game
from reelbridge.games._errors import GameDefinitionError, UnknownGameError
from reelbridge.games._interface import SlotGame
from reelbridge.games._model import GameDefinition
from reelbridge.games._registry import all_games as builtin_games
from reelbridge.games._validate import validate_game

ENTRY_POINT_GROUP = "reelbridge.games"
"""The entry-point group game plug-ins declare."""

_LOG = logging.getLogger("reelbridge.games")


@dataclass(frozen=True, slots=True)
class GameSource:
    """Where an installed game (or a broken plug-in) comes from.

    Attributes:
        kind: ``"built-in"`` or ``"plug-in"``.
        distribution: the plug-in's distribution name (``None`` for built-in games).
        version: the distribution's version.
        entry_point: the entry point's name.
        target: what it points at, ``module:attribute``.
    """

    kind: Literal["built-in", "plug-in"]
    distribution: str | None = None
    version: str | None = None
    entry_point: str | None = None
    target: str | None = None

    def __str__(self) -> str:
        if self.kind == "built-in":
            return "built-in"
        return f"plug-in {self.distribution}=={self.version}"

    def to_json(self) -> dict[str, Any]:
        """The source as plain JSON types."""
        return {
            "kind": self.kind,
            "distribution": self.distribution,
            "version": self.version,
            "entry_point": self.entry_point,
            "target": self.target,
        }


BUILT_IN = GameSource("built-in")


@dataclass(frozen=True, slots=True)
class InstalledGame:
    """A game the provider offers, and where it comes from."""

    game: SlotGame
    source: GameSource

    @property
    def game_id(self) -> str:
        """The game's ``game_id``."""
        return self.game.game_id


@dataclass(frozen=True, slots=True)
class BrokenPlugin:
    """A plug-in entry point (or one game of it) that is not offered, and why.

    Attributes:
        source: the distribution and entry point.
        reason: a readable sentence.
        game_id: the game concerned, when known.
    """

    source: GameSource
    reason: str
    game_id: str | None = None

    def __str__(self) -> str:
        return f"{self.source} ({self.source.entry_point} = {self.source.target}): {self.reason}"

    def to_json(self) -> dict[str, Any]:
        """The error as plain JSON types."""
        return {"source": self.source.to_json(), "game_id": self.game_id, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class GameCatalogue:
    """Every game offered (built-in first, then plug-ins) and every broken plug-in."""

    games: tuple[InstalledGame, ...]
    errors: tuple[BrokenPlugin, ...]

    def ids(self) -> tuple[str, ...]:
        """The ``game_id`` of every game offered, in catalogue order."""
        return tuple(entry.game_id for entry in self.games)

    def get(self, game_id: str) -> InstalledGame:
        """Return the installed game ``game_id``.

        Raises:
            UnknownGameError: no game offered has that id (the message lists them).
        """
        for entry in self.games:
            if entry.game_id == game_id:
                return entry
        raise UnknownGameError(game_id, self.ids())


_lock = threading.RLock()
_cached: GameCatalogue | None = None
_loading = False


def installed_games(*, refresh: bool = False) -> GameCatalogue:
    """Return the installed games and the broken plug-ins, discovering them on first use.

    A plug-in that asks for games while it is being loaded (e.g. ``get_game`` at import
    time, to build on a built-in game) sees the built-in games only.

    Args:
        refresh: look for plug-ins again (import caches are invalidated first), e.g.
            after installing a distribution or changing ``sys.path``.
    """
    global _cached, _loading
    with _lock:  # re-entrant: only a plug-in being loaded by this thread gets in
        if _loading:
            return GameCatalogue(games=_builtin_entries(), errors=())
        if _cached is None or refresh:
            _loading = True
            try:
                importlib.invalidate_caches()
                _cached = _discover()
            finally:
                _loading = False
        return _cached


def all_games() -> tuple[SlotGame, ...]:
    """Return every game offered: the built-in ones, then the valid plug-ins."""
    return tuple(entry.game for entry in installed_games().games)


def get_game(game_id: str) -> SlotGame:
    """Return the game offered as ``game_id``, built-in or plug-in.

    Raises:
        UnknownGameError: if no game has that id (the message lists the known ones).
    """
    return installed_games().get(game_id).game


def _builtin_entries() -> tuple[InstalledGame, ...]:
    return tuple(InstalledGame(game, BUILT_IN) for game in builtin_games())


def _discover() -> GameCatalogue:
    games = list(_builtin_entries())
    errors: list[BrokenPlugin] = []
    found: list[InstalledGame] = []
    for entry_point in sorted(_entry_points(errors), key=_order):
        source = _source_of(entry_point)
        try:
            loaded = entry_point.load()
        except Exception as exc:  # plug-in code: any failure is that plug-in's
            errors.append(BrokenPlugin(source, f"cannot load it: {type(exc).__name__}: {exc}"))
            continue
        try:
            candidates = _candidates(loaded)
        except Exception as exc:
            errors.append(BrokenPlugin(source, f"its factory raised {type(exc).__name__}: {exc}"))
            continue
        if not candidates:
            errors.append(BrokenPlugin(source, "it provides no game"))
        for candidate in candidates:
            try:
                found.append(InstalledGame(_checked(candidate), source))
            except GameDefinitionError as exc:
                errors.append(BrokenPlugin(source, str(exc)))
    builtin_ids = {entry.game_id for entry in games}
    claims = Counter(entry.game_id for entry in found)
    for entry in found:
        if entry.game_id in builtin_ids:
            reason = f"game id {entry.game_id!r} is taken by a built-in game"
        elif claims[entry.game_id] > 1:
            others = ", ".join(
                f"{other.source} ({other.source.entry_point})"
                for other in found
                if other.game_id == entry.game_id and other is not entry
            )
            reason = (
                f"game id {entry.game_id!r} is also offered by {others}; none of them is offered"
            )
        else:
            games.append(entry)
            continue
        errors.append(BrokenPlugin(entry.source, reason, entry.game_id))
    for error in errors:
        _LOG.warning("game plug-in not offered: %s", error)
    return GameCatalogue(games=tuple(games), errors=tuple(errors))


def _entry_points(errors: list[BrokenPlugin]) -> list[EntryPoint]:
    # Like importlib.metadata.entry_points(group=…) (the first distribution of a name on
    # sys.path wins), except that one unreadable entry_points.txt does not hide the rest.
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for dist in distributions():
        name = re.sub(r"[-_.]+", "-", dist.metadata["Name"] or "").lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            found.extend(dist.entry_points.select(group=ENTRY_POINT_GROUP))
        except Exception as exc:
            if f"[{ENTRY_POINT_GROUP}]" in (dist.read_text("entry_points.txt") or ""):
                source = GameSource("plug-in", distribution=dist.name, version=dist.version)
                reason = f"its entry_points.txt cannot be read: {type(exc).__name__}: {exc}"
                errors.append(BrokenPlugin(source, reason))
    return found


def _order(entry_point: EntryPoint) -> tuple[str, str, str]:
    dist = entry_point.dist
    return ("" if dist is None else dist.name.lower(), entry_point.name, entry_point.value)


def _source_of(entry_point: EntryPoint) -> GameSource:
    dist = entry_point.dist
    return GameSource(
        "plug-in",
        distribution=None if dist is None else dist.name,
        version=None if dist is None else dist.version,
        entry_point=entry_point.name,
        target=entry_point.value,
    )


def _candidates(loaded: object) -> list[object]:
    # A class or a plain callable is a factory; a game instance may be callable too.
    is_game = isinstance(loaded, GameDefinition) or (
        isinstance(loaded, SlotGame) and not isinstance(loaded, type)
    )
    value = loaded() if callable(loaded) and not is_game else loaded
    if isinstance(value, GameDefinition | SlotGame) and not isinstance(value, type):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping):
        return list(value)
    return [value]


def _checked(candidate: object) -> SlotGame:
    # A game as data gets the same checks (its id, for one, is unchecked by the engine).
    return validate_game(Game(candidate) if isinstance(candidate, GameDefinition) else candidate)
