"""Raw bytes to messages and back, for both directions (rules B1, B3, B4, B5)."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelbridge.protocol import (
    LEDGER_LIMIT,
    MAX_BODY_BYTES,
    BalanceReply,
    Bet,
    BetType,
    CancelFreespins,
    CatalogueGame,
    CreateFreespins,
    DemoUrlRequest,
    ErrorCode,
    ErrorReply,
    FreespinsCreated,
    GamesReply,
    GameUrlRequest,
    GetBalance,
    InvalidSign,
    Jackpot,
    JackpotsReply,
    JackpotsRequest,
    OkReply,
    ProtocolError,
    Refund,
    UnknownAction,
    UrlReply,
    WalletRequest,
    Win,
    WinType,
    WrongInput,
    decode_provider_reply,
    decode_provider_request,
    decode_wallet_reply,
    decode_wallet_request,
    encode_error,
    encode_provider_request,
    encode_reply,
    encode_wallet_request,
)

VECTORS_DIR = Path(__file__).resolve().parents[2] / "vectors"
PHP_VECTORS: list[dict[str, Any]] = json.loads(
    (VECTORS_DIR / "signing.json").read_text(encoding="utf-8")
)["vectors"]
MESSAGES: dict[str, type[Any]] = {
    "Bet": Bet,
    "Win": Win,
    "Refund": Refund,
    "GetBalance": GetBalance,
}
# No example database: the tests must not write outside tests/.
SETTINGS = settings(database=None, max_examples=200, deadline=None)
MAX_UNITS = 10**22 - 1

BET = {
    "action": "bet",
    "type": "bet",
    "session_id": "sess-1",
    "amount": "10.0001",
    "transaction_id": "tx-1",
    "round_id": "round-1",
    "game_id": "classic-7s",
}
WIN = {**BET, "action": "win", "type": "win", "transaction_id": "tx-2", "amount": 0}
REFUND = {
    "action": "refund",
    "session_id": "sess-1",
    "transaction_id": "tx-1",
    "round_id": "round-1",
    "game_id": "classic-7s",
}
BALANCE = {"action": "balance", "session_id": "sess-1"}
REQUESTS = {"bet": BET, "win": WIN, "refund": REFUND, "balance": BALANCE}
ID_FIELDS = {
    "bet": ["session_id", "transaction_id", "round_id", "game_id"],
    "win": ["session_id", "transaction_id", "round_id", "game_id"],
    "refund": ["session_id", "transaction_id", "round_id", "game_id"],
    "balance": ["session_id"],
}
FREESPINS = {
    "client_id": "client-1",
    "game_id": "book-of-reels",
    "player_id": "player-1",
    "campaign_id": "campaign-1",
    "currency": "EUR",
    "quantity": 10,
    "valid_from": 1_700_000_000,
    "valid_until": 1_700_086_400,
    "bet_id": 0,
}


def _json(fields: object) -> bytes:
    return json.dumps(fields).encode("utf-8")


def _wrong_input(body: bytes) -> WrongInput:
    with pytest.raises(WrongInput) as caught:
        decode_wallet_request(body)
    assert caught.value.code is ErrorCode.WRONG_INPUT_PARAMETERS
    return caught.value


# -- decoding wallet requests ------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            BET,
            Bet(
                type=BetType.BET,
                session_id="sess-1",
                amount=100001,
                transaction_id="tx-1",
                round_id="round-1",
                game_id="classic-7s",
            ),
        ),
        (
            WIN,
            Win(
                type=WinType.WIN,
                session_id="sess-1",
                amount=0,
                transaction_id="tx-2",
                round_id="round-1",
                game_id="classic-7s",
            ),
        ),
        (
            REFUND,
            Refund(
                session_id="sess-1",
                transaction_id="tx-1",
                round_id="round-1",
                game_id="classic-7s",
            ),
        ),
        (BALANCE, GetBalance(session_id="sess-1")),
    ],
    ids=["bet", "win", "refund", "balance"],
)
def test_each_wallet_action_decodes_to_its_message(
    fields: dict[str, Any], expected: WalletRequest
) -> None:
    decoded = decode_wallet_request(_json(fields))
    assert decoded == expected
    assert type(decoded) is type(expected)
    assert decoded.action == fields["action"]


@pytest.mark.parametrize("bet_type", list(BetType), ids=str)
def test_every_bet_type_decodes(bet_type: BetType) -> None:
    decoded = decode_wallet_request(_json({**BET, "type": str(bet_type)}))
    assert isinstance(decoded, Bet)
    assert decoded.type is bet_type


@pytest.mark.parametrize("win_type", list(WinType), ids=str)
def test_every_win_type_decodes(win_type: WinType) -> None:
    decoded = decode_wallet_request(_json({**WIN, "type": str(win_type)}))
    assert isinstance(decoded, Win)
    assert decoded.type is win_type


@pytest.mark.parametrize("vector", PHP_VECTORS, ids=[v["name"] for v in PHP_VECTORS])
def test_php_body_decodes_to_the_expected_outcome(vector: dict[str, Any]) -> None:
    body = base64.b64decode(vector["body_base64"], validate=True)
    expect = vector["expect"]
    if "error" in expect:
        with pytest.raises(ProtocolError) as caught:
            decode_wallet_request(body)
        assert caught.value.code == ErrorCode(expect["error"])
    else:
        decoded = decode_wallet_request(body)
        assert decoded == MESSAGES[expect["message"]](**expect["fields"])


@pytest.mark.parametrize("action", ["payout", "BET", "Bet", "bet ", "", "deposit"])
def test_unknown_action_is_action_is_not_exist(action: str) -> None:
    with pytest.raises(UnknownAction) as caught:
        decode_wallet_request(_json({**BALANCE, "action": action}))
    assert caught.value.code is ErrorCode.ACTION_IS_NOT_EXIST


def test_unknown_action_is_reported_before_its_fields_are_checked() -> None:
    with pytest.raises(UnknownAction):
        decode_wallet_request(b'{"action":"cashout"}')


def test_missing_action_is_wrong_input() -> None:
    fields = dict(BET)
    del fields["action"]
    _wrong_input(_json(fields))


@pytest.mark.parametrize("action", [None, 1, True, ["bet"], {"name": "bet"}], ids=repr)
def test_action_that_is_not_a_string_is_wrong_input(action: object) -> None:
    _wrong_input(_json({**BET, "action": action}))


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'[{"action":"balance","session_id":"sess-1"}]',
        b'"balance"',
        b"1",
        b"10.0001",
        b"null",
        b"true",
        b"{",
        b"not json",
        b"",
        b" ",
        b"\xff\xfe",
        b'{"action":"balance","session_id":"sess-1"} trailing',
        b'{"action":"balance","session_id":"sess-1",}',
        b"{'action':'balance','session_id':'sess-1'}",
    ],
    ids=repr,
)
def test_body_that_is_not_a_json_object_is_wrong_input(body: bytes) -> None:
    _wrong_input(body)


def test_invalid_utf8_inside_a_string_is_wrong_input() -> None:
    _wrong_input(b'{"action":"balance","session_id":"sess-\xff"}')


@pytest.mark.parametrize(
    ("action", "field"),
    [
        (action, field)
        for action, fields in REQUESTS.items()
        for field in fields
        if field != "action"
    ],
)
def test_missing_field_is_wrong_input(action: str, field: str) -> None:
    fields = dict(REQUESTS[action])
    del fields[field]
    _wrong_input(_json(fields))


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [
        ("balance", "session_id", 123),
        ("bet", "session_id", 123),
        ("bet", "transaction_id", None),
        ("bet", "round_id", ["round-1"]),
        ("bet", "game_id", {"id": "g"}),
        ("bet", "type", 1),
        ("bet", "amount", True),
        ("bet", "amount", None),
        ("win", "transaction_id", 42),
        ("refund", "transaction_id", 42),
        ("refund", "game_id", False),
    ],
    ids=repr,
)
def test_mistyped_field_is_wrong_input(action: str, field: str, value: object) -> None:
    _wrong_input(_json({**REQUESTS[action], field: value}))


@pytest.mark.parametrize(
    ("action", "type_"),
    [
        ("bet", "win"),
        ("bet", "jackpot"),
        ("bet", "BET"),
        ("bet", ""),
        ("win", "bet"),
        ("win", "tip"),
        ("win", "Win"),
        ("win", "bonus"),
    ],
)
def test_unknown_type_is_wrong_input(action: str, type_: str) -> None:
    _wrong_input(_json({**REQUESTS[action], "type": type_}))


@pytest.mark.parametrize(
    ("action", "field"),
    [(action, field) for action, fields in ID_FIELDS.items() for field in fields],
)
def test_empty_string_id_is_wrong_input(action: str, field: str) -> None:
    _wrong_input(_json({**REQUESTS[action], field: ""}))


@pytest.mark.parametrize(
    ("action", "field"),
    [(action, field) for action, fields in ID_FIELDS.items() for field in fields],
)
def test_id_of_256_characters_is_wrong_input(action: str, field: str) -> None:
    _wrong_input(_json({**REQUESTS[action], field: "x" * 256}))


def test_id_of_255_characters_is_accepted() -> None:
    decoded = decode_wallet_request(_json({**BET, "transaction_id": "x" * 255}))
    assert isinstance(decoded, Bet)
    assert decoded.transaction_id == "x" * 255


@pytest.mark.parametrize(
    "value", ["a\x00b", "\x00", "a\tb", "a\nb", "\nabc", "abc\x7f", "\x1f"], ids=repr
)
def test_id_with_a_control_character_is_wrong_input(value: str) -> None:
    _wrong_input(_json({**BET, "session_id": value}))


def test_id_ending_in_a_newline_is_wrong_input() -> None:
    _wrong_input(_json({**BET, "session_id": "sess-1\n"}))


def _padded_balance_body(size: int) -> bytes:
    head = b'{"action":"balance","session_id":"sess-1","padding":"'
    tail = b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_body_of_exactly_64_kib_is_accepted() -> None:
    assert MAX_BODY_BYTES == 64 * 1024
    body = _padded_balance_body(MAX_BODY_BYTES)
    assert len(body) == MAX_BODY_BYTES
    assert decode_wallet_request(body) == GetBalance(session_id="sess-1")


def test_body_over_64_kib_is_wrong_input() -> None:
    body = _padded_balance_body(MAX_BODY_BYTES + 1)
    assert len(body) == MAX_BODY_BYTES + 1
    _wrong_input(body)


def test_huge_body_that_is_not_json_is_wrong_input() -> None:
    _wrong_input(b"[" * (MAX_BODY_BYTES + 1))


def test_moderately_nested_unknown_field_is_ignored() -> None:
    nested = b"[" * 200 + b"]" * 200
    body = b'{"action":"balance","session_id":"sess-1","extra":' + nested + b"}"
    assert decode_wallet_request(body) == GetBalance(session_id="sess-1")


def test_deeply_nested_unknown_field_is_wrong_input() -> None:
    nested = b"[" * 1000 + b"]" * 1000
    body = b'{"action":"balance","session_id":"sess-1","extra":' + nested + b"}"
    assert len(body) < 4096
    _wrong_input(body)


@pytest.mark.parametrize("action", list(REQUESTS))
def test_unknown_extra_fields_are_ignored(action: str) -> None:
    plain = decode_wallet_request(_json(REQUESTS[action]))
    extended = decode_wallet_request(
        _json({**REQUESTS[action], "currency": "EUR", "extra": {"nested": [1, None]}})
    )
    assert extended == plain


def test_negative_amount_decodes_and_is_left_to_the_sign_rules() -> None:
    # Rule B6 (AMOUNT_SHOULD_BE_POSITIVE) is the ledger's, not the codec's.
    decoded = decode_wallet_request(_json({**BET, "amount": -1}))
    assert isinstance(decoded, Bet)
    assert decoded.amount == -10000


# -- encoding wallet requests ---------------------------------------------------------

_CONTROL = [chr(c) for c in range(0x20)] + ["\x7f"]
ids = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=_CONTROL),
    min_size=1,
    max_size=255,
)
units = st.integers(min_value=-MAX_UNITS, max_value=MAX_UNITS)
wallet_requests = st.one_of(
    st.builds(
        Bet,
        type=st.sampled_from(BetType),
        session_id=ids,
        amount=units,
        transaction_id=ids,
        round_id=ids,
        game_id=ids,
    ),
    st.builds(
        Win,
        type=st.sampled_from(WinType),
        session_id=ids,
        amount=units,
        transaction_id=ids,
        round_id=ids,
        game_id=ids,
    ),
    st.builds(Refund, session_id=ids, transaction_id=ids, round_id=ids, game_id=ids),
    st.builds(GetBalance, session_id=ids),
)


@SETTINGS
@given(wallet_requests)
def test_encoded_wallet_request_decodes_back_to_an_equal_message(
    request: WalletRequest,
) -> None:
    assert decode_wallet_request(encode_wallet_request(request)) == request


def _raw_numbers(body: bytes) -> dict[str, Any]:
    """Decode ``body`` keeping every number as ("number", its exact text)."""
    fields: dict[str, Any] = json.loads(
        body,
        parse_float=lambda text: ("number", text),
        parse_int=lambda text: ("number", text),
    )
    return fields


@SETTINGS
@given(st.booleans(), units)
def test_encoded_amount_is_an_exact_json_number_without_exponent(is_bet: bool, amount: int) -> None:
    ids = {"session_id": "s", "transaction_id": "t", "round_id": "r", "game_id": "g"}
    request: Bet | Win = (
        Bet(type=BetType.BET, amount=amount, **ids)
        if is_bet
        else Win(type=WinType.WIN, amount=amount, **ids)
    )
    fields = _raw_numbers(encode_wallet_request(request))
    marker, text = fields["amount"]
    assert marker == "number"
    assert "e" not in text.lower()
    assert Decimal(text) * 10000 == amount


@pytest.mark.parametrize(
    ("amount", "text"),
    [(100001, "10.0001"), (0, "0.0"), (1, "0.0001"), (1000000, "100.0"), (105000, "10.5")],
)
def test_encoded_bet_carries_the_action_and_the_amount_number(amount: int, text: str) -> None:
    request = Bet(
        type=BetType.TIP,
        session_id="sess/1",
        amount=amount,
        transaction_id="tx-1",
        round_id="round-1",
        game_id="Bücher",
    )
    body = encode_wallet_request(request)
    fields = _raw_numbers(body)
    assert fields == {
        "action": "bet",
        "type": "tip",
        "session_id": "sess/1",
        "amount": ("number", text),
        "transaction_id": "tx-1",
        "round_id": "round-1",
        "game_id": "Bücher",
    }
    assert f'"amount":{text}'.encode() in body


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        (
            Refund(session_id="s", transaction_id="t", round_id="r", game_id="g"),
            {
                "action": "refund",
                "session_id": "s",
                "transaction_id": "t",
                "round_id": "r",
                "game_id": "g",
            },
        ),
        (GetBalance(session_id="s"), {"action": "balance", "session_id": "s"}),
    ],
    ids=["refund", "balance"],
)
def test_encoded_request_without_amount_has_exactly_its_fields(
    request_: WalletRequest, fields: dict[str, str]
) -> None:
    assert json.loads(encode_wallet_request(request_)) == fields


# -- replies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("balance", "body"),
    [
        (1000001, b'{"status":true,"balance":100.0001}'),
        (0, b'{"status":true,"balance":0.0}'),
        (1000000, b'{"status":true,"balance":100.0}'),
        (1, b'{"status":true,"balance":0.0001}'),
        (105000, b'{"status":true,"balance":10.5}'),
        (LEDGER_LIMIT, b'{"status":true,"balance":922337203685477.5807}'),
    ],
)
def test_balance_reply_is_an_exact_json_number(balance: int, body: bytes) -> None:
    assert encode_reply(BalanceReply(balance=balance)) == body


@SETTINGS
@given(st.integers(min_value=0, max_value=LEDGER_LIMIT))
def test_encoded_balance_reply_decodes_back_to_the_same_balance(balance: int) -> None:
    body = encode_reply(BalanceReply(balance=balance))
    assert decode_wallet_reply(body) == BalanceReply(balance=balance)
    marker, text = _raw_numbers(body)["balance"]
    assert marker == "number"
    assert Decimal(text) * 10000 == balance


@pytest.mark.parametrize(
    ("error", "body"),
    [
        (
            WrongInput(),
            b'{"status":false,"code":"WRONG_INPUT_PARAMETERS","message":"Wrong input parameters"}',
        ),
        (InvalidSign(), b'{"status":false,"code":"INVALID_SIGN","message":"Invalid sign"}'),
        (
            UnknownAction(),
            b'{"status":false,"code":"ACTION_IS_NOT_EXIST","message":"Action does not exist"}',
        ),
        (
            ProtocolError(ErrorCode.INTERNAL_ERROR, "Not enough limits", transaction_id="t"),
            b'{"status":false,"code":"INTERNAL_ERROR","message":"Not enough limits"}',
        ),
    ],
    ids=["wrong-input", "invalid-sign", "unknown-action", "internal-with-message"],
)
def test_encode_error_gives_the_spec_error_body(error: ProtocolError, body: bytes) -> None:
    assert encode_error(error) == body


@pytest.mark.parametrize("code", list(ErrorCode), ids=str)
def test_every_error_code_round_trips_through_the_error_body(code: ErrorCode) -> None:
    message = 'Quote " backslash \\ slash / Bücher 🎰'
    body = encode_error(ProtocolError(code, message))
    assert json.loads(body) == {"status": False, "code": code.value, "message": message}
    assert decode_wallet_reply(body) == ErrorReply(code=code, message=message)


@pytest.mark.parametrize(
    ("reply", "fields"),
    [
        (
            UrlReply(url="https://games.example/play?a=1&b=/x"),
            {"url": "https://games.example/play?a=1&b=/x"},
        ),
        (FreespinsCreated(new_campaign_id="fs-1"), {"status": True, "new_campaign_id": "fs-1"}),
        (OkReply(), {"status": True}),
        (
            JackpotsReply(
                jackpots=(
                    Jackpot(name="Bronze", amount=1000000, currency="USD"),
                    Jackpot(name="Gold", amount=123456789, currency="EUR"),
                )
            ),
            {
                "status": True,
                "jackpots": [
                    {"name": "Bronze", "amount": ("number", "100.0"), "currency": "USD"},
                    {"name": "Gold", "amount": ("number", "12345.6789"), "currency": "EUR"},
                ],
            },
        ),
        (
            ErrorReply(code=ErrorCode.TRANSACTION_DENIED, message="Denied"),
            {"status": False, "code": "TRANSACTION_DENIED", "message": "Denied"},
        ),
    ],
    ids=["url", "freespins-created", "ok", "jackpots", "error"],
)
def test_encode_reply_gives_the_spec_body(reply: Any, fields: dict[str, Any]) -> None:
    assert _raw_numbers(encode_reply(reply)) == fields


# -- decoding wallet replies -------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"status":true,"balance":100.0001}', BalanceReply(balance=1000001)),
        (b'{"status": true, "balance": 0}', BalanceReply(balance=0)),
        (b'{"status":true,"balance":"100.50"}', BalanceReply(balance=1005000)),
        (b'{"balance":1.5,"status":true,"currency":"EUR"}', BalanceReply(balance=15000)),
        (
            b'{"status":false,"code":"INSUFFICIENT_BALANCE","message":"Not enough money"}',
            ErrorReply(code=ErrorCode.INSUFFICIENT_BALANCE, message="Not enough money"),
        ),
        (
            b'{"status":false,"code":"SESSION_NOT_FOUND"}',
            ErrorReply(code=ErrorCode.SESSION_NOT_FOUND, message="Session not found"),
        ),
    ],
    ids=["balance", "spaced-integer", "string-balance", "extra-field", "error", "no-message"],
)
def test_decode_wallet_reply(body: bytes, expected: BalanceReply | ErrorReply) -> None:
    assert decode_wallet_reply(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        b'{"status":false,"code":"NOT_A_CODE","message":"?"}',
        b'{"status":false,"code":"insufficient_balance","message":"?"}',
        b'{"status":false,"message":"no code"}',
        b'{"status":true}',
        b'{"status":true,"balance":1e2}',
        b'{"status":true,"balance":0.00001}',
        b'{"status":true,"balance":null}',
        b'{"status":"true","balance":1}',
        b'{"balance":1}',
        b"<html><body>502 Bad Gateway</body></html>",
        b"",
        b"[]",
        b"null",
    ],
    ids=repr,
)
def test_malformed_wallet_reply_is_wrong_input(body: bytes) -> None:
    # Rule B4: the client treats WrongInput here as an unknown error.
    with pytest.raises(WrongInput):
        decode_wallet_reply(body)


# -- provider requests -------------------------------------------------------------------


def test_create_freespins_decodes_with_valid_integers() -> None:
    decoded = decode_provider_request(_json(FREESPINS), CreateFreespins)
    assert decoded == CreateFreespins(**FREESPINS)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", 0),
        ("quantity", -1),
        ("quantity", 1.5),
        ("quantity", 10.0),
        ("quantity", "10"),
        ("quantity", True),
        ("quantity", None),
        ("valid_from", -1),
        ("valid_until", 1_700_086_400.5),
        ("bet_id", "0"),
        ("bet_id", -1),
        ("campaign_id", ""),
        ("client_id", 7),
    ],
    ids=repr,
)
def test_create_freespins_with_a_bad_field_is_wrong_input(field: str, value: object) -> None:
    with pytest.raises(WrongInput):
        decode_provider_request(_json({**FREESPINS, field: value}), CreateFreespins)


@pytest.mark.parametrize("field", list(FREESPINS))
def test_create_freespins_missing_a_field_is_wrong_input(field: str) -> None:
    fields = {key: value for key, value in FREESPINS.items() if key != field}
    with pytest.raises(WrongInput):
        decode_provider_request(_json(fields), CreateFreespins)


@pytest.mark.parametrize(
    "request_",
    [
        DemoUrlRequest(
            client_id="c", game_id="g", language="en", return_url="https://casino.example/"
        ),
        GameUrlRequest(
            client_id="c",
            game_id="🎰",
            currency="EUR",
            language="de",
            session_id="sess/1",
            player_id="p",
            return_url="https://casino.example/lobby?x=1",
        ),
        JackpotsRequest(client_id="c"),
        CreateFreespins(**FREESPINS),
        CancelFreespins(client_id="c", campaign_id="campaign-1"),
    ],
    ids=lambda request: type(request).__name__,
)
def test_encoded_provider_request_decodes_back_to_an_equal_message(request_: Any) -> None:
    body = encode_provider_request(request_)
    assert decode_provider_request(body, type(request_)) == request_


# -- provider replies --------------------------------------------------------------------


def test_decode_provider_reply_url() -> None:
    body = b'{"url":"https:\\/\\/games.example\\/play?token=abc"}'
    reply = decode_provider_reply(body, UrlReply)
    assert reply == UrlReply(url="https://games.example/play?token=abc")


def test_decode_provider_reply_jackpots_parses_amounts_exactly() -> None:
    body = (
        b'{"status":true,"jackpots":['
        b'{"name":"Bronze","amount":100.0,"currency":"USD"},'
        b'{"name":"Silver","amount":"2500.0001","currency":"USD"},'
        b'{"name":"Gold","amount":0.3,"currency":"EUR"}]}'
    )
    reply = decode_provider_reply(body, JackpotsReply)
    assert reply == JackpotsReply(
        jackpots=(
            Jackpot(name="Bronze", amount=1000000, currency="USD"),
            Jackpot(name="Silver", amount=25000001, currency="USD"),
            Jackpot(name="Gold", amount=3000, currency="EUR"),
        )
    )


def test_decode_provider_reply_jackpot_with_an_inexact_amount_is_wrong_input() -> None:
    body = (
        b'{"status":true,"jackpots":'
        b'[{"name":"Gold","amount":0.30000000000000004,"currency":"EUR"}]}'
    )
    with pytest.raises(WrongInput):
        decode_provider_reply(body, JackpotsReply)


@pytest.mark.parametrize(
    ("body", "kind", "expected"),
    [
        (
            b'{"status":true,"new_campaign_id":"fs-9"}',
            FreespinsCreated,
            FreespinsCreated(new_campaign_id="fs-9"),
        ),
        (b'{"status":true}', OkReply, OkReply()),
    ],
    ids=["freespins-created", "ok"],
)
def test_decode_provider_reply_success(body: bytes, kind: type[Any], expected: Any) -> None:
    assert decode_provider_reply(body, kind) == expected


@pytest.mark.parametrize("kind", [UrlReply, JackpotsReply, FreespinsCreated, OkReply])
def test_decode_provider_reply_gives_the_error_the_provider_sent(kind: type[Any]) -> None:
    body = b'{"status":false,"code":"WRONG_INPUT_PARAMETERS","message":"Unknown campaign"}'
    assert decode_provider_reply(body, kind) == ErrorReply(
        code=ErrorCode.WRONG_INPUT_PARAMETERS, message="Unknown campaign"
    )


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'{"status":false,"code":"NOPE","message":"?"}', UrlReply),
        (b'{"status":true}', UrlReply),
        (b'{"url":7}', UrlReply),
        (b'{"status":true,"jackpots":{}}', JackpotsReply),
        (b'{"status":"ok"}', OkReply),
        (b"Service Unavailable", OkReply),
        (b"", FreespinsCreated),
    ],
    ids=repr,
)
def test_malformed_provider_reply_is_wrong_input(body: bytes, kind: type[Any]) -> None:
    with pytest.raises(WrongInput):
        decode_provider_reply(body, kind)


def test_the_catalogue_extension_round_trips_and_refuses_a_malformed_game() -> None:
    game = CatalogueGame(
        game_id="g-1",
        name="Game / One",
        rtp="97.23",
        rtp_base="96.06",
        rtp_jackpot="1.18",
        volatility="medium",
        stakes=("0.2", "1.0"),
        thumbnail="https://p.example/game/thumbnail/g-1.svg",
    )
    body = encode_reply(GamesReply(games=(game,)))
    assert json.loads(body)["status"] is True
    assert decode_provider_reply(body, GamesReply) == GamesReply(games=(game,))
    broken = body.replace(b'"volatility":"medium",', b"")
    with pytest.raises(WrongInput):
        decode_provider_reply(broken, GamesReply)
    error = decode_provider_reply(
        b'{"status":false,"code":"INVALID_SIGN","message":"x"}', GamesReply
    )
    assert isinstance(error, ErrorReply) and error.code is ErrorCode.INVALID_SIGN
