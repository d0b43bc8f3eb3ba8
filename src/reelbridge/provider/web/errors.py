"""The one place where the provider's domain errors become HTTP errors (game, admin and
engine APIs; the aggregator-facing endpoints answer wire codes instead, B4)."""

from __future__ import annotations

from reelbridge.provider.errors import (
    EngineUnauthorized,
    GameIdTaken,
    ProviderError,
    RoundConflict,
    SessionGone,
    SpinInProgress,
    UnknownRound,
)
from reelbridge.tokens import TokenRefused
from reelbridge.web import AdminError

_STATUS: tuple[tuple[type[ProviderError], int], ...] = (
    (SessionGone, 404),
    (UnknownRound, 404),
    (SpinInProgress, 409),
    (RoundConflict, 409),
    (GameIdTaken, 409),
    (EngineUnauthorized, 401),
)
"""HTTP status per error class; any other ``ProviderError`` is a 400 (bad input)."""


def http_status(error: ProviderError) -> int:
    """The HTTP status a provider error answers with."""
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 400


_TOKEN_STATUS = {"conflict": 409, "not_found": 404}


def translate(error: Exception) -> AdminError | None:
    """A provider error as an HTTP error (None for anything else)."""
    if isinstance(error, TokenRefused):
        return AdminError(error.message, status=_TOKEN_STATUS.get(error.kind, 400), code=error.kind)
    if not isinstance(error, ProviderError):
        return None
    return AdminError(error.message, status=http_status(error), code=error.code)
