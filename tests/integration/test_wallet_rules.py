"""PROTOCOL.md Part B, rules 1–13: one or more tests per rule, on SQLite and PostgreSQL.

Each test runs against a real aggregator (HTTP, the admin API, a database) with a fake
clock; "nothing was written" is checked by comparing the player's balance and the
client's journal listing before and after.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest

from reelbridge.protocol import BalanceReply, BetType, ErrorCode, ErrorReply, WinType, sign

from .support import (
    Aggregator,
    Player,
    body,
    http_client,
    ok,
    post_signed,
    refused,
    uid,
    units,
    wire,
)

pytestmark = pytest.mark.anyio

E = ErrorCode


def bet_fields(player: Player, **changes: Any) -> dict[str, Any]:
    """The fields of a valid bet of 1.0 with a fresh transaction id."""
    fields: dict[str, Any] = {
        "action": "bet",
        "type": "bet",
        "session_id": player.session_id,
        "amount": "1.0",
        "transaction_id": uid("tx"),
        "round_id": uid("round"),
        "game_id": player.game_id,
    }
    fields.update(changes)
    return fields


async def send_raw(
    aggregator: Aggregator,
    player: Player,
    raw: bytes,
    *,
    token: str | None = "",
    header: str = "X-Sign",
    signature: str | None = None,
) -> dict[str, Any]:
    """POST ``raw`` to the player's client wallet; the decoded (exact) JSON answer."""
    async with http_client() as http:
        response = await post_signed(
            http,
            aggregator.base_url,
            player.client_id,
            raw,
            token=player.token if token == "" else token,
            header=header,
            signature=signature,
        )
    return wire(response)


async def send_fields(aggregator: Aggregator, player: Player, **fields: Any) -> dict[str, Any]:
    """Send a signed request built from ``fields``."""
    return await send_raw(aggregator, player, body(**fields))


def assert_wire_ok(answer: dict[str, Any], balance: str) -> None:
    assert answer == {"status": True, "balance": Decimal(balance)}, answer


def assert_wire_error(answer: dict[str, Any], code: ErrorCode) -> None:
    assert answer["status"] is False, answer
    assert answer["code"] == str(code), answer
    assert isinstance(answer["message"], str) and answer["message"], answer


# -- B1: X-Sign over the exact bytes, any header case --------------------------------


async def test_b1_php_escaped_body_verifies_over_raw_bytes_and_is_accepted(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(game_id="slots/gü")
    tx = uid("tx")
    # What PHP's json_encode produces: "/" escaped as "\/", non-ASCII as "\uXXXX".
    raw = (
        f'{{"action":"bet","type":"bet","session_id":"{player.session_id}","amount":1.5,'
        f'"transaction_id":"{tx}\\/php","round_id":"r\\u00fcnde\\/1",'
        '"game_id":"slots\\/g\\u00fc"}'
    ).encode("ascii")
    assert b"\\/" in raw and b"\\u00fc" in raw

    assert_wire_ok(await send_raw(aggregator, player, raw), "8.5")

    (row,) = aggregator.transactions(player, transaction_id=f"{tx}/php")
    assert (row["round_id"], row["game_id"], row["amount"]) == ("ründe/1", "slots/gü", "1.5")


async def test_b1_signature_of_reserialised_json_does_not_verify_escaped_bytes(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(game_id="slots/gü")
    raw = (
        f'{{"action":"bet","type":"bet","session_id":"{player.session_id}","amount":1.5,'
        f'"transaction_id":"{uid("tx")}","round_id":"r\\u00fcnde",'
        '"game_id":"slots\\/g\\u00fc"}'
    ).encode("ascii")
    reserialised = json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":"))
    assert reserialised.encode() != raw
    before = aggregator.snapshot(player)

    answer = await send_raw(
        aggregator, player, raw, signature=sign(reserialised.encode(), player.token)
    )

    assert_wire_error(answer, E.INVALID_SIGN)
    assert aggregator.snapshot(player) == before


@pytest.mark.parametrize("header", ["x-sign", "X-SIGN", "X-Sign", "x-SiGn"])
async def test_b1_sign_header_name_is_accepted_in_any_case(
    aggregator: Aggregator, header: str
) -> None:
    player = aggregator.new_player()

    answer = await send_raw(aggregator, player, body(**bet_fields(player)), header=header)

    assert_wire_ok(answer, "9.0")


async def test_b1_signature_over_other_bytes_is_invalid_sign(aggregator: Aggregator) -> None:
    player = aggregator.new_player()
    raw = body(**bet_fields(player))
    before = aggregator.snapshot(player)

    # The same JSON value, one insignificant space different: other bytes, other MAC.
    answer = await send_raw(
        aggregator, player, raw, signature=sign(raw.replace(b",", b", ", 1), player.token)
    )

    assert_wire_error(answer, E.INVALID_SIGN)
    assert aggregator.snapshot(player) == before


# -- B2: a token per client, two valid during a rotation ------------------------------


async def test_b2_two_tokens_are_valid_at_once_during_a_rotation(aggregator: Aggregator) -> None:
    old, new = "old-token-0123456789", "new-token-0123456789"
    player = aggregator.new_player(client=aggregator.new_client(old, new))

    async with aggregator.wallet(player, token=old) as with_old:
        assert ok(await with_old.bet(player.session_id, 10000, game_id="g1")) == units("9")
    async with aggregator.wallet(player, token=new) as with_new:
        assert ok(await with_new.bet(player.session_id, 10000, game_id="g1")) == units("8")


async def test_b2_a_retired_token_is_refused_after_the_rotation(aggregator: Aggregator) -> None:
    old, new = "old-token-0123456789", "new-token-0123456789"
    player = aggregator.new_player(client=aggregator.new_client(old, new))
    aggregator.admin.upsert_client(player.client_id, [new], reason="rotation done")
    before = aggregator.snapshot(player)

    async with aggregator.wallet(player, token=old) as with_old:
        refused(await with_old.bet(player.session_id, 10000, game_id="g1"), E.INVALID_SIGN)
    assert aggregator.snapshot(player) == before
    async with aggregator.wallet(player, token=new) as with_new:
        assert ok(await with_new.bet(player.session_id, 10000, game_id="g1")) == units("9")


async def test_b2_a_token_of_one_client_is_not_valid_for_another(aggregator: Aggregator) -> None:
    alice = aggregator.new_player()
    bob = aggregator.new_player()
    before = aggregator.snapshot(bob)

    async with aggregator.wallet(bob, token=alice.token) as forged:
        refused(await forged.bet(bob.session_id, 10000, game_id="g1"), E.INVALID_SIGN)
        refused(await forged.balance(bob.session_id), E.INVALID_SIGN)

    assert aggregator.snapshot(bob) == before
    async with aggregator.wallet(bob) as genuine:
        assert ok(await genuine.balance(bob.session_id)) == units("10")


async def test_b2_unknown_client_id_gets_invalid_sign(aggregator: Aggregator) -> None:
    player = aggregator.new_player()
    stranger = Player(
        uid("unknown-client"), player.token, player.player_id, player.session_id, "g1", "EUR"
    )

    answer = await send_fields(aggregator, stranger, **bet_fields(player))

    assert_wire_error(answer, E.INVALID_SIGN)
    assert aggregator.balance(player) == units("10")


async def test_b2_a_session_is_not_usable_through_another_client(aggregator: Aggregator) -> None:
    alice = aggregator.new_player()
    bob = aggregator.new_player()
    before = aggregator.snapshot(bob)

    # Alice's client, correctly signed, names Bob's session.
    async with aggregator.wallet(alice) as wallet:
        refused(await wallet.bet(bob.session_id, 10000, game_id="g1"), E.SESSION_NOT_FOUND)
        refused(await wallet.balance(bob.session_id), E.SESSION_NOT_FOUND)

    assert aggregator.snapshot(bob) == before


# -- B3: bad input gets its code and writes nothing -------------------------------------


def _replace(fields: dict[str, Any], **changes: Any) -> bytes:
    return body(**{**fields, **changes})


def _without(fields: dict[str, Any], *names: str) -> bytes:
    return body(**{k: v for k, v in fields.items() if k not in names})


def _raw_amount(text: str) -> Callable[[dict[str, Any]], bytes]:
    def build(fields: dict[str, Any]) -> bytes:
        raw = body(**{**fields, "amount": "@AMOUNT@"})
        return raw.replace(b'"@AMOUNT@"', text.encode())

    return build


BuildBody = Callable[[dict[str, Any]], bytes]


def body_of(fields: dict[str, Any]) -> bytes:
    return body(**fields)


_SIGNED, _UNSIGNED, _EMPTY, _WRONG_TOKEN, _OTHER_BODY = (
    "signed",
    "unsigned",
    "empty",
    "wrong token",
    "other body",
)
WRONG = E.WRONG_INPUT_PARAMETERS


def case(name: str, build: BuildBody, code: ErrorCode = WRONG, signing: str = _SIGNED) -> Any:
    """One bad-input case: how to build the body, how to sign it, the expected code."""
    return pytest.param(build, signing, code, id=name)


BAD_INPUT = [
    case("unsigned", body_of, E.INVALID_SIGN, _UNSIGNED),
    case("empty signature", body_of, E.INVALID_SIGN, _EMPTY),
    case("signed with another token", body_of, E.INVALID_SIGN, _WRONG_TOKEN),
    case("signature of another body", body_of, E.INVALID_SIGN, _OTHER_BODY),
    case("not json", lambda f: b"action=bet&amount=1"),
    case("empty body", lambda f: b""),
    case("json array", lambda f: b"[" + body(**f) + b"]"),
    case("json string", lambda f: b'"bet"'),
    case("json null", lambda f: b"null"),
    case("invalid utf-8", lambda f: body(**f).replace(b'"g1"', b'"g\xff"')),
    case("missing action", lambda f: _without(f, "action")),
    case("missing round_id", lambda f: _without(f, "round_id")),
    case("missing amount", lambda f: _without(f, "amount")),
    case("session_id is a number", lambda f: _replace(f, session_id=123)),
    case("action is a number", lambda f: _replace(f, action=1)),
    case("amount is a boolean", _raw_amount("true")),
    case("amount is null", _raw_amount("null")),
    case("amount is an object", _raw_amount('{"v":1}')),
    case("unknown bet type", lambda f: _replace(f, type="spin")),
    case("unknown win type", lambda f: _replace(f, action="win", type="bonus")),
    case("five decimals", _raw_amount("1.00001")),
    case("five decimals string", _raw_amount('"1.00001"')),
    case("float artefact", _raw_amount("0.30000000000000004")),
    case("NaN literal", _raw_amount("NaN")),
    case("NaN string", _raw_amount('"NaN"')),
    case("Infinity string", _raw_amount('"Infinity"')),
    case("exponent", _raw_amount("1e2")),
    case("exponent string", _raw_amount('"1E2"')),
    case("nineteen integer digits", _raw_amount("1234567890123456789")),
    case("nineteen integer digits string", _raw_amount('"1234567890123456789.5"')),
    case("amount with spaces", _raw_amount('" 1.0"')),
    case("amount with a comma", _raw_amount('"1,5"')),
    case("empty transaction id", lambda f: _replace(f, transaction_id="")),
    case("control character in an id", lambda f: _replace(f, round_id="r\x01")),
    case("id of 256 characters", lambda f: _replace(f, round_id="r" * 256)),
    case("body over 64 KiB", lambda f: _replace(f, padding="x" * 66_000)),
    case(
        "refund without its transaction_id",
        lambda f: _without({**f, "action": "refund"}, "transaction_id"),
    ),
    case("balance without session_id", lambda f: body(action="balance")),
    case("unknown action", lambda f: _replace(f, action="cashout"), E.ACTION_IS_NOT_EXIST),
    case("action in upper case", lambda f: _replace(f, action="BET"), E.ACTION_IS_NOT_EXIST),
]


@pytest.mark.parametrize(("build", "signing", "code"), BAD_INPUT)
async def test_b3_bad_input_gets_its_code_and_writes_nothing(
    aggregator: Aggregator, build: BuildBody, signing: str, code: ErrorCode
) -> None:
    player = aggregator.new_player()
    fields = bet_fields(player)
    raw = build(fields)
    signature = {
        _SIGNED: None,
        _UNSIGNED: None,
        _EMPTY: "",
        _WRONG_TOKEN: sign(raw, "not-the-token-of-this-client"),
        _OTHER_BODY: sign(raw + b" ", player.token),
    }[signing]
    before = aggregator.snapshot(player)

    answer = await send_raw(
        aggregator,
        player,
        raw,
        token=None if signing == _UNSIGNED else player.token,
        signature=signature,
    )

    assert_wire_error(answer, code)
    assert aggregator.snapshot(player) == before
    # Nothing remembered either: the same transaction id, well formed, is a new bet.
    assert_wire_ok(await send_fields(aggregator, player, **fields), "9.0")


@pytest.mark.parametrize(
    ("action", "amount"),
    [("bet", "1.00001"), ("win", "0.00001"), ("win", "1e3"), ("bet", '"NaN"')],
)
async def test_b3_bad_amount_is_wrong_input_for_bets_and_wins(
    aggregator: Aggregator, action: str, amount: str
) -> None:
    player = aggregator.new_player()
    fields = bet_fields(player, action=action, type=action)
    before = aggregator.snapshot(player)

    answer = await send_raw(aggregator, player, _raw_amount(amount)(fields))

    assert_wire_error(answer, E.WRONG_INPUT_PARAMETERS)
    assert aggregator.snapshot(player) == before


async def test_b3_game_id_other_than_the_sessions_is_wrong_input_and_writes_nothing(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player()
    before = aggregator.snapshot(player)

    async with aggregator.wallet(player) as wallet:
        refused(
            await wallet.bet(player.session_id, 10000, game_id="another-game"),
            E.WRONG_INPUT_PARAMETERS,
        )
        refused(
            await wallet.win(player.session_id, 10000, round_id="r", game_id="another-game"),
            E.WRONG_INPUT_PARAMETERS,
        )

    assert aggregator.snapshot(player) == before


async def test_b3_body_over_64_kib_sent_in_chunks_is_wrong_input(aggregator: Aggregator) -> None:
    player = aggregator.new_player()
    raw = body(**bet_fields(player, padding="x" * 70_000))
    before = aggregator.snapshot(player)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the stream is counted
        for start in range(0, len(raw), 8192):
            yield raw[start : start + 8192]

    async with http_client() as http:
        response = await http.post(
            f"{aggregator.base_url}/wallet/{player.client_id}",
            content=chunks(),
            headers={"X-Sign": sign(raw, player.token)},
        )

    assert "content-length" not in response.request.headers
    assert_wire_error(wire(response), E.WRONG_INPUT_PARAMETERS)
    assert aggregator.snapshot(player) == before


async def test_b3_client_id_with_a_nul_character_gets_invalid_sign(
    aggregator: Aggregator, request: pytest.FixtureRequest
) -> None:
    player = aggregator.new_player()
    raw = body(action="balance", session_id=player.session_id)

    async with http_client() as http:
        response = await post_signed(http, aggregator.base_url, "c%00x", raw, token=player.token)

    assert_wire_error(wire(response), E.INVALID_SIGN)


# -- B4: HTTP 200 with a JSON body, always --------------------------------------------


async def test_b4_every_answer_success_or_error_is_http_200_json(aggregator: Aggregator) -> None:
    player = aggregator.new_player()
    first = bet_fields(player)
    situations: list[tuple[str, bytes, str | None, ErrorCode | None]] = [
        ("bet", body(**first), player.token, None),
        ("balance", body(action="balance", session_id=player.session_id), player.token, None),
        ("unsigned", body(**bet_fields(player)), None, E.INVALID_SIGN),
        ("not json", b"{", player.token, E.WRONG_INPUT_PARAMETERS),
        ("too large", b"{" + b" " * 70_000 + b"}", player.token, E.WRONG_INPUT_PARAMETERS),
        ("unknown action", body(action="jackpot"), player.token, E.ACTION_IS_NOT_EXIST),
        ("too big a bet", body(**bet_fields(player, amount="50")), player.token,
         E.INSUFFICIENT_BALANCE),
        ("zero bet", body(**bet_fields(player, amount="0")), player.token,
         E.AMOUNT_SHOULD_BE_POSITIVE),
        ("unknown session", body(**bet_fields(player, session_id="nope")), player.token,
         E.SESSION_NOT_FOUND),
        ("reused id", body(**{**first, "amount": "2.0"}), player.token, E.TRANSACTION_DENIED),
    ]  # fmt: skip
    async with http_client() as http:
        for name, raw, token, code in situations:
            response = await post_signed(
                http, aggregator.base_url, player.client_id, raw, token=token
            )
            assert response.status_code == 200, name
            assert response.headers["content-type"] == "application/json", name
            answer = wire(response)
            if code is None:
                assert answer["status"] is True and isinstance(answer["balance"], Decimal), name
            else:
                assert_wire_error(answer, code)


# -- B5: exact money ------------------------------------------------------------------


_BALANCE = re.compile(rb'"balance":(-?[0-9]+\.[0-9]{1,4})[,}]')


async def test_b5_amounts_are_accepted_as_json_numbers_and_decimal_strings(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")

    as_string = await send_raw(aggregator, player, _raw_amount('"1.2345"')(bet_fields(player)))
    as_number = await send_raw(aggregator, player, _raw_amount("0.0001")(bet_fields(player)))
    trailing_zeros = await send_raw(aggregator, player, _raw_amount("1.50000")(bet_fields(player)))

    assert_wire_ok(as_string, "8.7655")
    assert_wire_ok(as_number, "8.7654")
    assert_wire_ok(trailing_zeros, "7.2654")
    assert aggregator.balance(player) == 72654


async def test_b5_balances_are_json_numbers_with_at_most_four_decimals_equal_to_the_ledger(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="0.3")
    async with http_client() as http:
        for amount, expected in [('"0.1"', "0.2"), ("0.2", "0.0")]:
            raw = _raw_amount(amount)(bet_fields(player))
            response = await post_signed(
                http, aggregator.base_url, player.client_id, raw, token=player.token
            )
            match = _BALANCE.search(response.content)
            assert match is not None, response.content
            assert match[1].decode() == expected
            assert units(match[1].decode()) == aggregator.balance(player)


async def test_b5_sum_of_many_small_bets_equals_the_balance_exactly(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="0.01")  # 100 units of 0.0001
    async with aggregator.wallet(player) as wallet:
        for left in range(99, -1, -1):
            assert ok(await wallet.bet(player.session_id, 1, game_id="g1")) == left
        refused(await wallet.bet(player.session_id, 1, game_id="g1"), E.INSUFFICIENT_BALANCE)

    assert aggregator.balance(player) == 0
    assert len(aggregator.transactions(player, outcome="ok")) == 100


async def test_b5_ten_bets_of_a_tenth_spend_one_unit_exactly(aggregator: Aggregator) -> None:
    # In binary floating point 1.0 - 10 × 0.1 is not 0; here it must be.
    player = aggregator.new_player(balance="1")
    for _ in range(10):
        answer = await send_raw(aggregator, player, _raw_amount("0.1")(bet_fields(player)))
        assert answer["status"] is True, answer
    assert answer["balance"] == Decimal("0.0")

    last = await send_raw(aggregator, player, _raw_amount("0.0001")(bet_fields(player)))
    assert_wire_error(last, E.INSUFFICIENT_BALANCE)


async def test_b5_large_balances_keep_the_last_decimal(aggregator: Aggregator) -> None:
    # 900000000000000.0001 has more significant digits than a double can hold.
    player = aggregator.new_player(balance="900000000000000.0001")

    answer = await send_raw(aggregator, player, _raw_amount('"0.0001"')(bet_fields(player)))
    win = await send_fields(
        aggregator, player, **bet_fields(player, action="win", type="win", amount="0.0003")
    )

    assert_wire_ok(answer, "900000000000000.0")
    assert_wire_ok(win, "900000000000000.0003")
    assert aggregator.balance(player) == 9_000_000_000_000_000_003


# -- B6: amount rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("bet_type", "amount"),
    [("bet", "0"), ("bet", "-1.0"), ("tip", "0"), ("tip", "-0.0001"), ("bet", "-0")],
)
async def test_b6_bet_or_tip_without_a_positive_amount_is_refused_and_writes_nothing(
    aggregator: Aggregator, bet_type: str, amount: str
) -> None:
    player = aggregator.new_player()
    before = aggregator.snapshot(player)

    answer = await send_fields(
        aggregator, player, **bet_fields(player, type=bet_type, amount=amount)
    )

    assert_wire_error(answer, E.AMOUNT_SHOULD_BE_POSITIVE)
    assert aggregator.snapshot(player) == before


async def test_b6_tip_with_positive_amount_is_debited(aggregator: Aggregator) -> None:
    player = aggregator.new_player()
    async with aggregator.wallet(player) as wallet:
        reply = await wallet.bet(player.session_id, 2500, game_id="g1", type=BetType.TIP)
    assert ok(reply) == units("9.75")
    assert aggregator.balance(player) == units("9.75")


async def test_b6_freespin_bet_of_zero_debits_nothing(aggregator: Aggregator) -> None:
    player = aggregator.new_player()
    async with aggregator.wallet(player) as wallet:
        reply = await wallet.bet(player.session_id, 0, game_id="g1", type=BetType.FREESPIN)
    assert ok(reply) == units("10")
    (row,) = aggregator.transactions(player, action="bet")
    assert (row["type"], row["outcome"], row["moved"]) == ("freespin", "ok", "0.0")


async def test_b6_freespin_bet_with_an_amount_is_wrong_input_and_writes_nothing(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player()
    before = aggregator.snapshot(player)
    async with aggregator.wallet(player) as wallet:
        reply = await wallet.bet(player.session_id, 10000, game_id="g1", type=BetType.FREESPIN)
    refused(reply, E.WRONG_INPUT_PARAMETERS)
    assert aggregator.snapshot(player) == before


async def test_b6_win_of_zero_closes_a_losing_round_without_credit(aggregator: Aggregator) -> None:
    player = aggregator.new_player()
    async with aggregator.wallet(player) as wallet:
        ok(await wallet.bet(player.session_id, 10000, round_id="lost", game_id="g1"))
        reply = await wallet.win(player.session_id, 0, round_id="lost", game_id="g1")
    assert ok(reply) == units("9")
    assert [r["outcome"] for r in aggregator.transactions(player, action="win")] == ["ok"]


async def test_b6_negative_win_is_refused_and_writes_nothing(aggregator: Aggregator) -> None:
    player = aggregator.new_player()
    before = aggregator.snapshot(player)

    answer = await send_fields(
        aggregator, player, **bet_fields(player, action="win", type="win", amount="-1.0")
    )

    assert_wire_error(answer, E.AMOUNT_SHOULD_BE_POSITIVE)
    assert aggregator.snapshot(player) == before


# -- B7: never below zero -------------------------------------------------------------


@pytest.mark.parametrize("bet_type", [BetType.BET, BetType.TIP])
async def test_b7_bet_larger_than_balance_is_insufficient_and_changes_nothing(
    aggregator: Aggregator, bet_type: BetType
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        refused(
            await wallet.bet(player.session_id, 100001, game_id="g1", type=bet_type),
            E.INSUFFICIENT_BALANCE,
        )
        assert ok(await wallet.balance(player.session_id)) == units("10")
    assert aggregator.balance(player) == units("10")
    assert all(r["moved"] == "0.0" for r in aggregator.transactions(player))


async def test_b7_bet_of_the_whole_balance_leaves_exactly_zero(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        assert ok(await wallet.bet(player.session_id, 100000, game_id="g1")) == 0
        refused(await wallet.bet(player.session_id, 1, game_id="g1"), E.INSUFFICIENT_BALANCE)
    assert aggregator.balance(player) == 0


# -- B8: sessions ---------------------------------------------------------------------


async def test_b8_bet_on_unknown_session_is_session_not_found(aggregator: Aggregator) -> None:
    player = aggregator.new_player()
    before = aggregator.snapshot(player)
    async with aggregator.wallet(player) as wallet:
        refused(await wallet.bet("no-such-session", 100, game_id="g1"), E.SESSION_NOT_FOUND)
    assert aggregator.snapshot(player) == before


async def test_b8_win_and_refund_on_unknown_session_are_session_not_found(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player()
    before = aggregator.snapshot(player)
    async with aggregator.wallet(player) as wallet:
        refused(
            await wallet.win("no-such-session", 100, round_id="r", game_id="g1"),
            E.SESSION_NOT_FOUND,
        )
        refused(
            await wallet.refund("no-such-session", wallet.new_id(), round_id="r", game_id="g1"),
            E.SESSION_NOT_FOUND,
        )
    assert aggregator.snapshot(player) == before


async def test_b8_balance_on_unknown_session_is_session_not_found(aggregator: Aggregator) -> None:
    player = aggregator.new_player()
    async with aggregator.wallet(player) as wallet:
        refused(await wallet.balance("no-such-session"), E.SESSION_NOT_FOUND)


async def test_b8_bet_on_closed_session_is_session_not_found(aggregator: Aggregator) -> None:
    player = aggregator.new_player()
    aggregator.admin.close_session(player.session_id, reason="player left")
    async with aggregator.wallet(player) as wallet:
        refused(await wallet.bet(player.session_id, 100, game_id="g1"), E.SESSION_NOT_FOUND)
    assert aggregator.balance(player) == units("10")


async def test_b8_bet_on_expired_session_is_session_not_found(aggregator: Aggregator) -> None:
    player = aggregator.new_player(ttl_seconds=60)
    async with aggregator.wallet(player) as wallet:
        aggregator.clock.advance(59)
        assert ok(await wallet.bet(player.session_id, 10000, game_id="g1")) == units("9")
        aggregator.clock.advance(1)
        refused(await wallet.bet(player.session_id, 10000, game_id="g1"), E.SESSION_NOT_FOUND)
    assert aggregator.balance(player) == units("9")


async def test_b8_balance_answers_for_closed_and_expired_sessions(aggregator: Aggregator) -> None:
    player = aggregator.new_player(ttl_seconds=60)
    closed = aggregator.open_session(player)
    aggregator.admin.close_session(closed)
    aggregator.clock.advance(61)
    async with aggregator.wallet(player) as wallet:
        assert ok(await wallet.balance(player.session_id)) == units("10")
        assert ok(await wallet.balance(closed)) == units("10")


@pytest.mark.parametrize("ending", ["expired", "closed"])
async def test_b8_win_and_refund_land_after_the_session_ended(
    aggregator: Aggregator, ending: str
) -> None:
    player = aggregator.new_player(ttl_seconds=60)
    async with aggregator.wallet(player) as wallet:
        won = await wallet.bet(player.session_id, 20000, round_id="won", game_id="g1")
        lost = wallet.new_id()
        ok(
            await wallet.bet(
                player.session_id, 30000, transaction_id=lost, round_id="undone", game_id="g1"
            )
        )
        assert ok(won) == units("8")
        if ending == "expired":
            aggregator.clock.advance(3600)
        else:
            aggregator.admin.close_session(player.session_id)

        refused(await wallet.bet(player.session_id, 100, game_id="g1"), E.SESSION_NOT_FOUND)
        assert ok(await wallet.win(player.session_id, 50000, round_id="won", game_id="g1")) == (
            units("10")
        )
        assert ok(
            await wallet.refund(player.session_id, lost, round_id="undone", game_id="g1")
        ) == units("13")
        assert ok(
            await wallet.win(
                player.session_id, 10000, round_id="feature", game_id="g1", type=WinType.JACKPOT
            )
        ) == units("14")
    assert aggregator.balance(player) == units("14")


async def test_b8_bet_moves_only_the_sessions_player_account(aggregator: Aggregator) -> None:
    client = aggregator.new_client()
    alice = aggregator.new_player(client=client, balance="10")
    bob = aggregator.new_player(client=client, balance="10")
    async with aggregator.wallet(alice) as wallet:
        assert ok(await wallet.bet(alice.session_id, 30000, game_id="g1")) == units("7")
    assert (aggregator.balance(alice), aggregator.balance(bob)) == (units("7"), units("10"))


# -- B9: idempotency on transaction_id ------------------------------------------------


async def test_b9_repeated_bet_changes_nothing_and_answers_the_current_balance(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx, rnd = wallet.new_id(), wallet.new_id("round")
        assert ok(
            await wallet.bet(
                player.session_id, 10000, transaction_id=tx, round_id=rnd, game_id="g1"
            )
        ) == units("9")
        ok(await wallet.win(player.session_id, 25000, round_id=rnd, game_id="g1"))

        repeat = await wallet.bet(
            player.session_id, 10000, transaction_id=tx, round_id=rnd, game_id="g1"
        )

    assert ok(repeat) == units("11.5")  # current balance, not the first answer's 9.0
    assert aggregator.balance(player) == units("11.5")
    assert len(aggregator.transactions(player, transaction_id=tx)) == 1


async def test_b9_repeated_win_is_credited_once(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        for _ in range(3):
            reply = await wallet.win(
                player.session_id, 5000, transaction_id=tx, round_id="jp", game_id="g1"
            )
            assert ok(reply) == units("10.5")
    assert aggregator.balance(player) == units("10.5")


@pytest.mark.parametrize("changed", ["amount", "session", "round", "type", "action"])
async def test_b9_same_id_with_different_content_is_transaction_denied(
    aggregator: Aggregator, changed: str
) -> None:
    player = aggregator.new_player(balance="10")
    other_session = aggregator.open_session(player)
    async with aggregator.wallet(player) as wallet:
        tx, rnd = wallet.new_id(), wallet.new_id("round")
        ok(
            await wallet.bet(
                player.session_id, 10000, transaction_id=tx, round_id=rnd, game_id="g1"
            )
        )
        before = aggregator.snapshot(player)
        args: dict[str, Any] = {
            "transaction_id": tx,
            "round_id": rnd,
            "game_id": "g1",
        }
        if changed == "amount":
            reply = await wallet.bet(player.session_id, 20000, **args)
        elif changed == "session":
            reply = await wallet.bet(other_session, 10000, **args)
        elif changed == "round":
            reply = await wallet.bet(player.session_id, 10000, **{**args, "round_id": "other"})
        elif changed == "type":
            reply = await wallet.bet(player.session_id, 10000, type=BetType.TIP, **args)
        else:
            reply = await wallet.win(player.session_id, 10000, **args)

    refused(reply, E.TRANSACTION_DENIED)
    assert aggregator.snapshot(player) == before


async def test_b9_transaction_ids_are_unique_per_client_not_globally(
    aggregator: Aggregator,
) -> None:
    alice = aggregator.new_player(balance="10")
    bob = aggregator.new_player(balance="10")
    assert alice.client_id != bob.client_id
    tx = uid("shared-tx")
    async with aggregator.wallet(alice) as for_alice, aggregator.wallet(bob) as for_bob:
        assert ok(
            await for_alice.bet(
                alice.session_id, 10000, transaction_id=tx, round_id="r", game_id="g1"
            )
        ) == units("9")
        assert ok(
            await for_bob.bet(bob.session_id, 30000, transaction_id=tx, round_id="r", game_id="g1")
        ) == units("7")
    assert (aggregator.balance(alice), aggregator.balance(bob)) == (units("9"), units("7"))


async def test_b9_win_id_reused_with_another_amount_is_transaction_denied(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        ok(await wallet.win(player.session_id, 5000, transaction_id=tx, round_id="r", game_id="g1"))
        refused(
            await wallet.win(
                player.session_id, 5001, transaction_id=tx, round_id="r", game_id="g1"
            ),
            E.TRANSACTION_DENIED,
        )
    assert aggregator.balance(player) == units("10.5")


async def test_b9_refused_bet_stays_refused_even_after_a_deposit(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()

        async def the_bet() -> BalanceReply | ErrorReply:
            return await wallet.bet(
                player.session_id, 200000, transaction_id=tx, round_id="r", game_id="g1"
            )

        refused(await the_bet(), E.INSUFFICIENT_BALANCE)
        aggregator.admin.deposit(player.player_id, "EUR", "100", uid("deposit"))
        refused(await the_bet(), E.INSUFFICIENT_BALANCE)
        # A new id with the same stake now goes through: the refusal belongs to the id.
        assert ok(await wallet.bet(player.session_id, 200000, game_id="g1")) == units("90")
    assert aggregator.balance(player) == units("90")


async def test_b9_bet_refused_on_a_closed_session_stays_refused(aggregator: Aggregator) -> None:
    player = aggregator.new_player()
    session = aggregator.open_session(player)
    aggregator.admin.close_session(session)
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        for _ in range(2):
            refused(
                await wallet.bet(session, 100, transaction_id=tx, round_id="r", game_id="g1"),
                E.SESSION_NOT_FOUND,
            )
    assert aggregator.balance(player) == units("10")


# -- B10: concurrent duplicates --------------------------------------------------------


def _success_or_in_progress(replies: list[BalanceReply | ErrorReply]) -> list[int]:
    for reply in replies:
        if isinstance(reply, ErrorReply):
            assert reply.code is E.TRANSACTION_IN_PROGRESS, reply
    balances = [r.balance for r in replies if isinstance(r, BalanceReply)]
    assert balances, "no copy succeeded"
    return balances


async def test_b10_concurrent_duplicate_bets_never_apply_twice(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        replies = await asyncio.gather(
            *(
                wallet.bet(player.session_id, 10000, transaction_id=tx, round_id="r", game_id="g1")
                for _ in range(20)
            )
        )
    assert set(_success_or_in_progress(replies)) == {units("9")}
    assert aggregator.balance(player) == units("9")
    assert len(aggregator.transactions(player, transaction_id=tx)) == 1


async def test_b10_concurrent_duplicate_wins_and_refunds_never_apply_twice(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        bet_tx, win_tx = wallet.new_id(), wallet.new_id()
        ok(
            await wallet.bet(
                player.session_id, 30000, transaction_id=bet_tx, round_id="undone", game_id="g1"
            )
        )
        wins = asyncio.gather(
            *(
                wallet.win(
                    player.session_id, 10000, transaction_id=win_tx, round_id="won", game_id="g1"
                )
                for _ in range(15)
            )
        )
        refunds = asyncio.gather(
            *(
                wallet.refund(player.session_id, bet_tx, round_id="undone", game_id="g1")
                for _ in range(15)
            )
        )
        win_replies, refund_replies = await asyncio.gather(wins, refunds)
    _success_or_in_progress(win_replies)
    _success_or_in_progress(refund_replies)
    assert aggregator.balance(player) == units("11")  # 10 - 3 + 3 + 1


# -- B11: refunds -----------------------------------------------------------------------


async def test_b11_refund_of_a_processed_bet_credits_the_stake_once(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        ok(
            await wallet.bet(
                player.session_id, 40000, transaction_id=tx, round_id="r", game_id="g1"
            )
        )
        assert ok(await wallet.refund(player.session_id, tx, round_id="r", game_id="g1")) == (
            units("10")
        )
        ok(await wallet.bet(player.session_id, 10000, game_id="g1"))
        for _ in range(2):  # repeats: success, current balance, no second credit
            repeat = await wallet.refund(player.session_id, tx, round_id="r", game_id="g1")
            assert ok(repeat) == units("9")
    assert aggregator.balance(player) == units("9")


async def test_b11_refund_of_an_unseen_bet_succeeds_and_moves_nothing(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        assert ok(await wallet.refund(player.session_id, tx, round_id="r", game_id="g1")) == (
            units("10")
        )
        assert ok(await wallet.refund(player.session_id, tx, round_id="r", game_id="g1")) == (
            units("10")
        )
    assert aggregator.balance(player) == units("10")


async def test_b11_bet_arriving_after_its_refund_is_denied_and_debits_nothing(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        ok(await wallet.refund(player.session_id, tx, round_id="r", game_id="g1"))
        for _ in range(2):
            late = await wallet.bet(
                player.session_id, 10000, transaction_id=tx, round_id="r", game_id="g1"
            )
            refused(late, E.TRANSACTION_DENIED)
    assert aggregator.balance(player) == units("10")
    assert all(r["moved"] == "0.0" for r in aggregator.transactions(player))


async def test_b11_refund_that_does_not_match_its_bet_is_denied(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        ok(
            await wallet.bet(
                player.session_id, 10000, transaction_id=tx, round_id="r1", game_id="g1"
            )
        )
        wrong = await wallet.refund(player.session_id, tx, round_id="r2", game_id="g1")
    refused(wrong, E.TRANSACTION_DENIED)
    assert aggregator.balance(player) == units("9")


async def test_b11_refund_that_does_not_match_is_not_recorded_so_the_right_one_lands(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        ok(
            await wallet.bet(
                player.session_id, 10000, transaction_id=tx, round_id="r1", game_id="g1"
            )
        )
        for _ in range(2):
            wrong = await wallet.refund(player.session_id, tx, round_id="r2", game_id="g1")
            refused(wrong, E.TRANSACTION_DENIED)
        right = await wallet.refund(player.session_id, tx, round_id="r1", game_id="g1")
    assert ok(right) == units("10")
    assert aggregator.balance(player) == units("10")


async def test_b11_refund_naming_a_win_is_denied(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        ok(
            await wallet.win(
                player.session_id, 10000, transaction_id=tx, round_id="r", game_id="g1"
            )
        )
        refused(
            await wallet.refund(player.session_id, tx, round_id="r", game_id="g1"),
            E.TRANSACTION_DENIED,
        )
    assert aggregator.balance(player) == units("11")


async def test_b11_refund_of_a_refused_bet_succeeds_and_moves_nothing(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="1")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        refused(
            await wallet.bet(
                player.session_id, 50000, transaction_id=tx, round_id="r", game_id="g1"
            ),
            E.INSUFFICIENT_BALANCE,
        )
        assert ok(await wallet.refund(player.session_id, tx, round_id="r", game_id="g1")) == (
            units("1")
        )
    assert aggregator.balance(player) == units("1")


# -- B12: refund after the round's win ------------------------------------------------


async def test_b12_refund_after_a_win_is_denied_and_logged_as_an_anomaly(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        ok(
            await wallet.bet(
                player.session_id, 10000, transaction_id=tx, round_id="settled", game_id="g1"
            )
        )
        ok(await wallet.win(player.session_id, 30000, round_id="settled", game_id="g1"))
        for _ in range(2):
            refused(
                await wallet.refund(player.session_id, tx, round_id="settled", game_id="g1"),
                E.TRANSACTION_DENIED,
            )

    assert aggregator.balance(player) == units("12")
    anomalies = aggregator.listing("anomalies", client_id=player.client_id)
    assert anomalies, "the refused refund was not logged"
    assert {a["transaction_id"] for a in anomalies} == {tx}


# -- B13: wins without a standing bet --------------------------------------------------


@pytest.mark.parametrize("win_type", [WinType.WIN, WinType.JACKPOT, WinType.FREESPIN])
async def test_b13_win_without_a_bet_in_its_round_is_credited(
    aggregator: Aggregator, win_type: WinType
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        reply = await wallet.win(
            player.session_id,
            77777,
            round_id=wallet.new_id("round"),
            game_id="g1",
            type=win_type,
        )
    assert ok(reply) == units("17.7777")
    assert aggregator.balance(player) == units("17.7777")


async def test_b13_win_for_a_round_whose_bets_were_all_refunded_is_denied(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        first, second = wallet.new_id(), wallet.new_id()
        for tx in (first, second):
            ok(
                await wallet.bet(
                    player.session_id, 10000, transaction_id=tx, round_id="r", game_id="g1"
                )
            )
            ok(await wallet.refund(player.session_id, tx, round_id="r", game_id="g1"))
        before = aggregator.balance(player)
        refused(
            await wallet.win(player.session_id, 50000, round_id="r", game_id="g1"),
            E.TRANSACTION_DENIED,
        )
    assert before == units("10")
    assert aggregator.balance(player) == units("10")


async def test_b13_win_is_credited_while_one_bet_of_the_round_stands(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        undone = wallet.new_id()
        ok(
            await wallet.bet(
                player.session_id, 10000, transaction_id=undone, round_id="r", game_id="g1"
            )
        )
        ok(await wallet.bet(player.session_id, 10000, round_id="r", game_id="g1"))
        ok(await wallet.refund(player.session_id, undone, round_id="r", game_id="g1"))
        assert ok(await wallet.win(player.session_id, 50000, round_id="r", game_id="g1")) == (
            units("14")
        )


async def test_b13_win_for_a_round_whose_bet_was_refunded_before_it_arrived_is_denied(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        ok(await wallet.refund(player.session_id, wallet.new_id(), round_id="r", game_id="g1"))
        refused(
            await wallet.win(player.session_id, 50000, round_id="r", game_id="g1"),
            E.TRANSACTION_DENIED,
        )
    assert aggregator.balance(player) == units("10")


async def test_b13_win_in_a_round_named_only_by_a_denied_refund_is_credited(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        tx = wallet.new_id()
        ok(
            await wallet.bet(
                player.session_id, 10000, transaction_id=tx, round_id="r1", game_id="g1"
            )
        )
        refused(
            await wallet.refund(player.session_id, tx, round_id="jackpot-round", game_id="g1"),
            E.TRANSACTION_DENIED,
        )
        # "jackpot-round" has no bet at all: B13 says its win is credited.
        reply = await wallet.win(
            player.session_id,
            50000,
            round_id="jackpot-round",
            game_id="g1",
            type=WinType.JACKPOT,
        )
    assert ok(reply) == units("14")


async def test_b13_freespin_round_bet_zero_then_win_is_credited(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        ok(
            await wallet.bet(
                player.session_id, 0, round_id="fs", game_id="g1", type=BetType.FREESPIN
            )
        )
        reply = await wallet.win(
            player.session_id, 12345, round_id="fs", game_id="g1", type=WinType.FREESPIN
        )
    assert ok(reply) == units("11.2345")
