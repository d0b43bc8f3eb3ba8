"""The protocol's twelve error codes and the exception every protocol failure raises.

Exception tree::

    ProtocolError                 carries the wire code, a message, retryability, tx id
     ├── InvalidSign              INVALID_SIGN
     ├── WrongInput               WRONG_INPUT_PARAMETERS
     └── UnknownAction            ACTION_IS_NOT_EXIST

Business refusals (``INSUFFICIENT_BALANCE``, ``TRANSACTION_DENIED`` …) are raised as
plain ``ProtocolError`` with their code. Translation to a wire body happens in exactly
one place: ``codec.encode_error``.
"""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    """Every error code of the protocol (PROTOCOL.md Part A)."""

    INTERNAL_ERROR = "INTERNAL_ERROR"
    SESSION_NOT_FOUND = "SESSION_NOT_FOUND"
    TRANSACTION_PREPARING_ERROR = "TRANSACTION_PREPARING_ERROR"
    TRANSACTION_DENIED = "TRANSACTION_DENIED"
    TRANSACTION_IN_PROGRESS = "TRANSACTION_IN_PROGRESS"
    INVALID_SIGN = "INVALID_SIGN"
    WRONG_INPUT_PARAMETERS = "WRONG_INPUT_PARAMETERS"
    AMOUNT_SHOULD_BE_POSITIVE = "AMOUNT_SHOULD_BE_POSITIVE"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    BET_FAILED_KNOWN_ERROR = "BET_FAILED_KNOWN_ERROR"
    BET_FAILED_UNKNOWN_ERROR = "BET_FAILED_UNKNOWN_ERROR"
    ACTION_IS_NOT_EXIST = "ACTION_IS_NOT_EXIST"

    @property
    def default_message(self) -> str:
        """The human-readable message sent when no more specific one is known."""
        return _MESSAGES[self]

    @property
    def retryable(self) -> bool:
        """Whether repeating the same request later can succeed (PROTOCOL.md B10)."""
        return self is ErrorCode.TRANSACTION_IN_PROGRESS


_MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.INTERNAL_ERROR: "Internal error",
    ErrorCode.SESSION_NOT_FOUND: "Session not found",
    ErrorCode.TRANSACTION_PREPARING_ERROR: "Transaction preparing error",
    ErrorCode.TRANSACTION_DENIED: "Transaction denied",
    ErrorCode.TRANSACTION_IN_PROGRESS: "Transaction in progress",
    ErrorCode.INVALID_SIGN: "Invalid sign",
    ErrorCode.WRONG_INPUT_PARAMETERS: "Wrong input parameters",
    ErrorCode.AMOUNT_SHOULD_BE_POSITIVE: "Amount should be positive",
    ErrorCode.INSUFFICIENT_BALANCE: "Insufficient balance",
    ErrorCode.BET_FAILED_KNOWN_ERROR: "Bet failed: known error",
    ErrorCode.BET_FAILED_UNKNOWN_ERROR: "Bet failed: unknown error",
    ErrorCode.ACTION_IS_NOT_EXIST: "Action does not exist",
}

# Bet refusals a provider shows to the player as-is, without a refund (Part A, "What
# the provider must do on errors"). Everything else on a bet is an unknown error.
KNOWN_BET_ERRORS: frozenset[ErrorCode] = frozenset(
    {
        ErrorCode.INSUFFICIENT_BALANCE,
        ErrorCode.INTERNAL_ERROR,
        ErrorCode.BET_FAILED_KNOWN_ERROR,
        ErrorCode.SESSION_NOT_FOUND,
        ErrorCode.AMOUNT_SHOULD_BE_POSITIVE,
        ErrorCode.TRANSACTION_DENIED,
    }
)


class ProtocolError(Exception):
    """A failure that has a wire error code.

    Attributes:
        code: the wire code sent in the error body.
        message: the human-readable message sent with it.
        transaction_id: the transaction concerned, when there is one.
    """

    default_code: ErrorCode = ErrorCode.INTERNAL_ERROR

    def __init__(
        self,
        code: ErrorCode | None = None,
        message: str | None = None,
        *,
        transaction_id: str | None = None,
    ) -> None:
        self.code = code if code is not None else self.default_code
        self.message = message if message is not None else self.code.default_message
        self.transaction_id = transaction_id
        super().__init__(f"{self.code}: {self.message}")

    @property
    def retryable(self) -> bool:
        """Whether the same request may succeed later."""
        return self.code.retryable


class InvalidSign(ProtocolError):
    """The X-Sign header is missing or does not match any token of the client."""

    default_code = ErrorCode.INVALID_SIGN


class WrongInput(ProtocolError):
    """The body is not a valid request: bad JSON, missing or mistyped field, bad amount."""

    default_code = ErrorCode.WRONG_INPUT_PARAMETERS


class UnknownAction(ProtocolError):
    """The wallet request names an action that does not exist."""

    default_code = ErrorCode.ACTION_IS_NOT_EXIST
