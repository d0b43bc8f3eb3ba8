"""Errors of the provider side.

Exception tree::

    ProviderError             root
     └── GameError            a game-API request refused (HTTP 4xx to the browser)
          ├── SessionGone     unknown or expired launch token          404
          ├── SpinInProgress  one spin at a time per game session      409
          └── BadStake        no stake level with that bet_id          400

Protocol endpoints raise ``reelbridge.protocol.ProtocolError`` (wire codes); admin
endpoints raise ``reelbridge.web.AdminError``.
"""

from __future__ import annotations

from reelbridge.web.errors import AdminError


class ProviderError(Exception):
    """Root of provider failures."""


class GameError(ProviderError, AdminError):
    """A game-API request that was refused; nothing changed."""


class SessionGone(GameError):
    """The launch token is unknown or its session expired."""

    status = 404
    code = "session_not_found"


class SpinInProgress(GameError):
    """Another spin of this game session has not finished."""

    status = 409
    code = "spin_in_progress"


class BadStake(GameError):
    """The stake selector names no stake level of the game."""

    status = 400
    code = "bad_stake"
