"""The twelve wire error codes and the exception that carries them (PROTOCOL.md Part A)."""

from __future__ import annotations

import pytest

from reelbridge.protocol import (
    KNOWN_BET_ERRORS,
    ErrorCode,
    InvalidSign,
    ProtocolError,
    UnknownAction,
    WrongInput,
)

# Copied from PROTOCOL.md Part A, "Error codes", in the document's order.
SPEC_CODES = [
    "INTERNAL_ERROR",
    "SESSION_NOT_FOUND",
    "TRANSACTION_PREPARING_ERROR",
    "TRANSACTION_DENIED",
    "TRANSACTION_IN_PROGRESS",
    "INVALID_SIGN",
    "WRONG_INPUT_PARAMETERS",
    "AMOUNT_SHOULD_BE_POSITIVE",
    "INSUFFICIENT_BALANCE",
    "BET_FAILED_KNOWN_ERROR",
    "BET_FAILED_UNKNOWN_ERROR",
    "ACTION_IS_NOT_EXIST",
]


def test_there_are_exactly_the_twelve_error_codes_of_the_spec() -> None:
    assert [code.value for code in ErrorCode] == SPEC_CODES


@pytest.mark.parametrize("code", list(ErrorCode), ids=str)
def test_wire_code_is_the_member_name(code: ErrorCode) -> None:
    assert code.value == code.name
    assert str(code) == code.name


@pytest.mark.parametrize("code", list(ErrorCode), ids=str)
def test_every_code_has_a_default_message(code: ErrorCode) -> None:
    message = code.default_message
    assert isinstance(message, str)
    assert message.strip() == message
    assert message


def test_default_messages_are_distinct() -> None:
    messages = [code.default_message for code in ErrorCode]
    assert len(set(messages)) == len(messages)


def test_wrong_input_default_message_is_the_one_in_the_spec_example() -> None:
    assert ErrorCode.WRONG_INPUT_PARAMETERS.default_message == "Wrong input parameters"


def test_protocol_error_carries_code_message_and_transaction_id() -> None:
    error = ProtocolError(
        ErrorCode.INSUFFICIENT_BALANCE, "Not enough money", transaction_id="tx-42"
    )
    assert error.code is ErrorCode.INSUFFICIENT_BALANCE
    assert error.message == "Not enough money"
    assert error.transaction_id == "tx-42"
    assert "INSUFFICIENT_BALANCE" in str(error)
    assert "Not enough money" in str(error)


def test_protocol_error_without_arguments_is_an_internal_error_with_its_default_message() -> None:
    error = ProtocolError()
    assert error.code is ErrorCode.INTERNAL_ERROR
    assert error.message == ErrorCode.INTERNAL_ERROR.default_message
    assert error.transaction_id is None


def test_protocol_error_without_message_uses_the_code_default_message() -> None:
    error = ProtocolError(ErrorCode.TRANSACTION_DENIED, transaction_id="tx-1")
    assert error.message == "Transaction denied"
    assert error.transaction_id == "tx-1"


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        (InvalidSign, ErrorCode.INVALID_SIGN),
        (WrongInput, ErrorCode.WRONG_INPUT_PARAMETERS),
        (UnknownAction, ErrorCode.ACTION_IS_NOT_EXIST),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_each_subclass_is_a_protocol_error_with_its_own_code(
    kind: type[ProtocolError], code: ErrorCode
) -> None:
    error = kind(message="details", transaction_id="tx-9")
    assert isinstance(error, ProtocolError)
    assert isinstance(error, Exception)
    assert error.code is code
    assert error.message == "details"
    assert error.transaction_id == "tx-9"
    assert kind().message == code.default_message


def test_transaction_in_progress_is_retryable() -> None:
    assert ErrorCode.TRANSACTION_IN_PROGRESS.retryable is True
    error = ProtocolError(ErrorCode.TRANSACTION_IN_PROGRESS, transaction_id="tx-1")
    assert error.retryable is True


@pytest.mark.parametrize(
    "code",
    [
        # An id's outcome never changes (rule B9): repeating these cannot help.
        ErrorCode.TRANSACTION_DENIED,
        ErrorCode.INSUFFICIENT_BALANCE,
        ErrorCode.AMOUNT_SHOULD_BE_POSITIVE,
        ErrorCode.SESSION_NOT_FOUND,
        ErrorCode.INVALID_SIGN,
        ErrorCode.WRONG_INPUT_PARAMETERS,
        ErrorCode.ACTION_IS_NOT_EXIST,
    ],
    ids=str,
)
def test_final_refusals_are_not_retryable(code: ErrorCode) -> None:
    assert code.retryable is False
    assert ProtocolError(code).retryable is False


def test_known_bet_errors_include_the_two_the_spec_names() -> None:
    assert ErrorCode.INSUFFICIENT_BALANCE in KNOWN_BET_ERRORS
    assert ErrorCode.INTERNAL_ERROR in KNOWN_BET_ERRORS


def test_an_unknown_bet_failure_is_not_a_known_bet_error() -> None:
    assert ErrorCode.BET_FAILED_UNKNOWN_ERROR not in KNOWN_BET_ERRORS
    assert KNOWN_BET_ERRORS.issubset(ErrorCode)
