"""Errors of the provider side: what its units of work refuse, in the domain's words.

Exception tree::

    ProviderError                 root; nothing was changed
     ├── SessionGone              unknown or expired launch token          (not found)
     ├── SpinInProgress           one round at a time per game session     (conflict, retry)
     ├── BadStake                 no stake level / the stake is not covered (bad input)
     ├── GameNotOffered           the game or currency is not offered       (bad input)
     ├── UnknownCampaign          no such freespin campaign                 (bad input)
     ├── CampaignConflict         campaign_id reused with other parameters  (bad input)
     ├── UnknownRound             no such round (for this caller)          (not found)
     ├── EngineUnauthorized       a remote engine's call is not signed by it, or names
     │                            no registered engine                      (unauthorized)
     ├── BadEngine                an engine registration that can't be used (bad input)
     ├── GameIdTaken              a game id a built-in, plug-in or other engine's game
     │                            already has                               (conflict)
     ├── BadOutcome               an engine's win that can't be paid         (bad input)
     └── RoundConflict            an engine's round id reused with other content, or a
                                  call that the round's state no longer allows (conflict)

Each error carries ``code`` (a stable machine name for JSON errors), ``wire`` (the
protocol code when an aggregator-facing call fails this way), ``retryable`` and, where
one exists, the ``round_id``. The mapping to HTTP statuses lives at the HTTP boundary
(``provider/web/errors.py``), never here.
"""

from __future__ import annotations

from typing import ClassVar

from reelbridge.protocol import ErrorCode


class ProviderError(Exception):
    """Root of the provider's refusals."""

    code: ClassVar[str] = "provider_error"
    wire: ClassVar[ErrorCode] = ErrorCode.INTERNAL_ERROR
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, round_id: str | None = None) -> None:
        self.message = message
        self.round_id = round_id
        super().__init__(message)


class SessionGone(ProviderError):
    """The launch token is unknown or its session expired."""

    code = "session_not_found"
    wire = ErrorCode.SESSION_NOT_FOUND


class SpinInProgress(ProviderError):
    """Another round of this game session has not finished."""

    code = "spin_in_progress"
    wire = ErrorCode.TRANSACTION_IN_PROGRESS
    retryable = True


class BadStake(ProviderError):
    """No stake level with that ``bet_id``, or a stake the demo balance does not cover."""

    code = "bad_stake"
    wire = ErrorCode.WRONG_INPUT_PARAMETERS


class GameNotOffered(ProviderError):
    """The game, or the currency, is not offered by this provider."""

    code = "not_offered"
    wire = ErrorCode.WRONG_INPUT_PARAMETERS


class UnknownCampaign(ProviderError):
    """No freespin campaign with that id for this client (B17)."""

    code = "unknown_campaign"
    wire = ErrorCode.WRONG_INPUT_PARAMETERS


class CampaignConflict(ProviderError):
    """A ``campaign_id`` already used with other parameters (B17)."""

    code = "campaign_conflict"
    wire = ErrorCode.WRONG_INPUT_PARAMETERS


class UnknownRound(ProviderError):
    """No such round, or not one the caller may see."""

    code = "round_not_found"
    wire = ErrorCode.WRONG_INPUT_PARAMETERS


class EngineUnauthorized(ProviderError):
    """A remote engine's request without a valid signature of that engine."""

    code = "unauthorized"
    wire = ErrorCode.INVALID_SIGN


class BadEngine(ProviderError):
    """An engine registration that can't be used: a launch URL without ``{token}``,
    stakes not increasing, an RTP out of range, stakes the jackpot plan can't serve."""

    code = "bad_engine"
    wire = ErrorCode.WRONG_INPUT_PARAMETERS


class GameIdTaken(ProviderError):
    """A remote game's id is already a built-in or plug-in game's, or another engine's."""

    code = "game_id_taken"
    wire = ErrorCode.WRONG_INPUT_PARAMETERS


class BadOutcome(ProviderError):
    """A remote engine's win that can't be right: negative, or past the bound."""

    code = "bad_outcome"
    wire = ErrorCode.WRONG_INPUT_PARAMETERS


class RoundConflict(ProviderError):
    """An engine round id reused with other content, or a move the round's state
    no longer allows (e.g. settling a refunded round)."""

    code = "round_conflict"
    wire = ErrorCode.TRANSACTION_DENIED
