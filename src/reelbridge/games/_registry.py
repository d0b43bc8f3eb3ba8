"""The built-in games (the engine's, defined as data), looked up by ``game_id``.

These are built-in games only, typed as :class:`Game` (the ``rtp`` command's PAR sheet
needs the engine). The public ``reelbridge.games.get_game`` and ``all_games`` come from
``_plugins`` and include the installed plug-ins.
"""

from __future__ import annotations

from functools import cache

from reelbridge.games._book_of_reels import BOOK_OF_REELS
from reelbridge.games._classic_7s import CLASSIC_7S
from reelbridge.games._engine import Game
from reelbridge.games._errors import UnknownGameError

_DEFINITIONS = (BOOK_OF_REELS, CLASSIC_7S)


@cache
def _catalogue() -> dict[str, Game]:
    # Built on first use, not at import; one Game per id, so the maths each Game
    # caches (tables, PAR sheet) is computed once per process.
    return {definition.game_id: Game(definition) for definition in _DEFINITIONS}


def all_games() -> tuple[Game, ...]:
    """Return every built-in game, in catalogue order."""
    return tuple(_catalogue().values())


def get_game(game_id: str) -> Game:
    """Return the built-in game ``game_id``.

    Raises:
        UnknownGameError: if no game has that id (the message lists the known ones).
    """
    try:
        return _catalogue()[game_id]
    except KeyError:
        raise UnknownGameError(game_id, tuple(_catalogue())) from None
