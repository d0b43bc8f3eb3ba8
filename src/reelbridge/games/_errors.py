"""Failures of the slot maths package.

Exception tree::

    GamesError                  carries the wire code and whether a retry can help
     ├── UnknownGameError       WRONG_INPUT_PARAMETERS: no game has that id
     ├── InvalidStakeError      WRONG_INPUT_PARAMETERS: bet per line not a stake level
     ├── InvalidDrawError       INTERNAL_ERROR: a stored draw does not fit the game
     ├── GameDefinitionError    INTERNAL_ERROR: a game's data is inconsistent
     └── JackpotError           INTERNAL_ERROR: a jackpot plan or pool breaks B18

The games package never builds wire bodies itself; the provider's protocol boundary
translates ``code`` with ``reelbridge.protocol`` (STYLE.md rule 3).
"""

from __future__ import annotations

from typing import ClassVar

from reelbridge.protocol.errors import ErrorCode


class GamesError(Exception):
    """Root of every failure raised by ``reelbridge.games``.

    Attributes:
        code: the protocol error code a provider answers with.
        retryable: whether repeating the same call later can succeed.
    """

    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL_ERROR
    retryable: ClassVar[bool] = False


class UnknownGameError(GamesError, LookupError):
    """No game is registered under the requested id."""

    code = ErrorCode.WRONG_INPUT_PARAMETERS

    def __init__(self, game_id: str, known: tuple[str, ...]) -> None:
        self.game_id = game_id
        self.known = known
        super().__init__(f"unknown game {game_id!r}; known games: {', '.join(known)}")


class InvalidStakeError(GamesError, ValueError):
    """The bet per line (or ``bet_id``) is not one of the game's stake levels."""

    code = ErrorCode.WRONG_INPUT_PARAMETERS


class InvalidDrawError(GamesError, ValueError):
    """A draw (reel stops) cannot be replayed on this game: wrong shape or range."""


class GameDefinitionError(GamesError, ValueError):
    """A game definition is inconsistent (unknown symbol, bad line, diverging feature)."""


class JackpotError(GamesError, ValueError):
    """A jackpot plan or pool breaks PROTOCOL.md B18: a bad level, hit chances that add
    up past 1 at some stake, a return that differs between stakes or reaches 100 %, or
    a pool below its seed."""
