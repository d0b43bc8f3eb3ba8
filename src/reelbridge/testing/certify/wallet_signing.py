"""Wallet scenarios of signing and input (PROTOCOL.md B1–B3).

A refused request must change nothing, so every scenario that sends a bad bet ends by
checking the balance, and the ones that can prove it send the same transaction id
correctly afterwards: it must be accepted as new.
"""

from __future__ import annotations

import secrets

from reelbridge.protocol import SIGN_HEADER, format_amount, sign
from reelbridge.testing.certify.wallet_check import WalletCheck
from reelbridge.testing.certify.wallet_probe import wallet_body
from reelbridge.testing.certify.wallet_scenarios import wallet

WRONG = "WRONG_INPUT_PARAMETERS"
SIGN = "INVALID_SIGN"


@wallet("B1_valid_signature_is_accepted")
async def valid_signature(check: WalletCheck) -> str:
    """A balance call signed over its exact bytes succeeds."""
    seat = await check.setup.seat("0")
    balance = check.ok(await check.balance(seat), "a correctly signed balance call", key=True)
    return f"balance {format_amount(balance)}"


@wallet("B1_wrong_signature_is_refused")
async def wrong_signature(check: WalletCheck) -> str:
    """A bet signed with a wrong token is INVALID_SIGN and writes nothing."""
    seat = await check.setup.seat("10")
    tx, rnd = check.new_id(), check.new_id("round")
    body = wallet_body(
        "bet",
        type="bet",
        session_id=seat.session_id,
        amount="1.0",
        transaction_id=tx,
        round_id=rnd,
        game_id=seat.game_id,
    )
    forged = sign(body, f"not-{check.target.token}")
    check.refused(
        await check.wallet.post(body, signature=forged), SIGN, "bet signed with a wrong token"
    )
    await check.balance_is(seat, seat.start, "a refused bet moved money")
    check.ok(
        await check.wallet.post(body),
        "the same bet, now correctly signed (its id must be unused)",
        key=True,
    )
    await check.balance_is(seat, seat.start - 10_000, "the correctly signed bet")
    check.ok(await check.refund(seat, tx=tx, round_id=rnd), "refund of the kit's bet")
    return "refused, nothing written; the same id was then accepted once"


@wallet("B1_missing_signature_is_refused")
async def missing_signature(check: WalletCheck) -> str:
    """A bet without X-Sign is INVALID_SIGN."""
    seat = await check.setup.seat("10")
    body = wallet_body(
        "bet",
        type="bet",
        session_id=seat.session_id,
        amount="1.0",
        transaction_id=check.new_id(),
        round_id=check.new_id("round"),
        game_id=seat.game_id,
    )
    check.refused(await check.wallet.post(body, signature=None), SIGN, "bet without X-Sign")
    check.refused(await check.wallet.post(body, signature=""), SIGN, "bet with an empty X-Sign")
    await check.balance_is(seat, seat.start, "an unsigned bet moved money")
    return "refused with INVALID_SIGN"


@wallet("B1_signature_covers_the_exact_bytes")
async def exact_bytes(check: WalletCheck) -> str:
    """A signature of other bytes of the same JSON is refused."""
    seat = await check.setup.seat("10")
    body = wallet_body(
        "bet",
        type="bet",
        session_id=seat.session_id,
        amount="1.0",
        transaction_id=check.new_id(),
        round_id=check.new_id("round"),
        game_id=seat.game_id,
    )
    spaced = body.replace(b'","', b'", "').replace(b'":', b'": ')
    answer = await check.wallet.post(
        spaced,
        signature=sign(body, check.target.token),
        note="sent with spaces, signed without them",
    )
    check.refused(answer, SIGN, "the signature of the compact JSON on a body with spaces")
    await check.balance_is(seat, seat.start, "a wrongly signed bet moved money")
    return "refused: the signature is checked over the bytes received, not re-serialised JSON"


@wallet("B1_php_json_encode_body_verifies")
async def php_body(check: WalletCheck) -> str:
    """A body with PHP's \\/ and \\uXXXX escapes verifies and decodes."""
    seat = await check.setup.seat("10")
    suffix = secrets.token_hex(4)
    tx, rnd = f"certify/tx-é-{suffix}", f"certify/round-€-{suffix}"
    session, game = _js(seat.session_id), _js(seat.game_id)
    escaped = (
        f'{{"action":"bet","type":"bet","session_id":{session},"amount":1.5,'
        f'"transaction_id":"certify\\/tx-\\u00e9-{suffix}",'
        f'"round_id":"certify\\/round-\\u20ac-{suffix}","game_id":{game}}}'
    )
    answer = await check.wallet.post(escaped.encode(), note="bytes as PHP json_encode writes them")
    check.ok(
        answer, "a bet written with \\/ and \\u00e9 escapes, signed over those bytes", key=True
    )
    await check.balance_is(seat, seat.start - 15_000, "the escaped bet")
    refund = await check.refund(seat, tx=tx, round_id=rnd, note="the same ids, unescaped")
    check.ok(refund, "refund naming the escaped bet's ids in plain UTF-8", key=True)
    await check.balance_is(seat, seat.start, "the refund must find the escaped bet (same ids)")
    return "verified over the escaped bytes; the ids decoded to the same strings"


def _js(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@wallet("B1_header_name_in_any_case")
async def header_case(check: WalletCheck) -> str:
    """X-Sign is found as x-sign and X-SIGN."""
    seat = await check.setup.seat("0")
    body = wallet_body("balance", session_id=seat.session_id)
    for header in (SIGN_HEADER.lower(), SIGN_HEADER.upper()):
        check.ok(
            await check.wallet.post(body, header=header),
            f"balance signed in header {header}",
            key=True,
        )
    return "both spellings verified"


@wallet("B2_other_clients_token_is_refused")
async def other_client(check: WalletCheck) -> str:
    """A call signed with another client's valid token is INVALID_SIGN."""
    seat = await check.setup.seat("10")
    other = f"{check.target.client_id}.certify-other"
    other_token = f"certify-{secrets.token_hex(16)}"
    await check.setup.set_tokens([other_token], client_id=other)
    body = wallet_body(
        "bet",
        type="bet",
        session_id=seat.session_id,
        amount="1.0",
        transaction_id=check.new_id(),
        round_id=check.new_id("round"),
        game_id=seat.game_id,
    )
    answer = await check.wallet.post(
        body, signature=sign(body, other_token), note=f"signed with the token of client {other}"
    )
    check.refused(answer, SIGN, "bet signed with another client's token")
    await check.balance_is(seat, seat.start, "a bet signed by another client moved money")
    return "refused: each client has its own token"


@wallet("B2_two_tokens_verify_during_rotation")
async def rotation(check: WalletCheck) -> str:
    """While two tokens are set both verify; a retired one fails."""
    seat = await check.setup.seat("0")
    body = wallet_body("balance", session_id=seat.session_id)
    new_token = f"certify-{secrets.token_hex(16)}"
    await check.setup.set_tokens([check.target.token, new_token])
    try:
        check.ok(
            await check.wallet.post(body),
            "balance signed with the old token during rotation",
            key=True,
        )
        check.ok(
            await check.wallet.post(body, signature=sign(body, new_token)),
            "balance signed with the new token during rotation",
            key=True,
        )
    finally:
        await check.setup.set_tokens([check.target.token])
    answer = await check.wallet.post(body, signature=sign(body, new_token))
    check.refused(answer, SIGN, "the retired token after the rotation ended")
    return "both tokens verified; the retired one was refused"


async def _bad_bets(check: WalletCheck, bodies: list[tuple[str, bytes]], code: str) -> str:
    seat = await check.setup.seat("10")
    for what, body in bodies:
        body = body.replace(b"$S", seat.session_id.encode()).replace(b"$G", seat.game_id.encode())
        check.refused(await check.wallet.post(body), code, what)
    await check.balance_is(seat, seat.start, "a refused request moved money")
    return f"{len(bodies)} request(s) refused with {code}, nothing written"


def _bet(amount: bytes, **changes: bytes) -> bytes:
    named = {k.encode(): v for k, v in changes.items()}
    fields = {
        b"type": b'"bet"',
        b"session_id": b'"$S"',
        b"amount": amount,
        b"transaction_id": b'"%s"' % secrets.token_hex(8).encode(),
        b"round_id": b'"certify-round"',
        b"game_id": b'"$G"',
    }
    fields.update(named)
    parts = [b'"action":"bet"'] + [b'"%s":%s' % (k, v) for k, v in fields.items() if v != b"-"]
    return b"{" + b",".join(parts) + b"}"


@wallet("B3_body_that_is_not_a_json_object_is_wrong_input")
async def not_an_object(check: WalletCheck) -> str:
    """Not JSON, an array, a string: WRONG_INPUT_PARAMETERS."""
    bodies = [
        ("a body that is not JSON", b"action=bet&amount=1"),
        ("a JSON array", b"[]"),
        ("a JSON string", b'"bet"'),
        ("a truncated object", _bet(b"1.0")[:-3]),
    ]
    return await _bad_bets(check, bodies, WRONG)


@wallet("B3_missing_or_mistyped_field_is_wrong_input")
async def missing_field(check: WalletCheck) -> str:
    """A missing round_id, a numeric id: WRONG_INPUT_PARAMETERS."""
    bodies = [
        ("a bet without round_id", _bet(b"1.0", round_id=b"-")),
        ("a bet without amount", _bet(b"-")),
        ("a bet whose transaction_id is a number", _bet(b"1.0", transaction_id=b"12345")),
        ("a bet whose amount is true", _bet(b"true")),
    ]
    return await _bad_bets(check, bodies, WRONG)


@wallet("B3_unknown_type_is_wrong_input")
async def unknown_type(check: WalletCheck) -> str:
    """A bet of type cashback is WRONG_INPUT_PARAMETERS."""
    return await _bad_bets(
        check, [("a bet of type cashback", _bet(b"1.0", type=b'"cashback"'))], WRONG
    )


@wallet("B3_unknown_action_is_action_is_not_exist")
async def unknown_action(check: WalletCheck) -> str:
    """Action steal is ACTION_IS_NOT_EXIST."""
    body = _bet(b"1.0").replace(b'"action":"bet"', b'"action":"steal"')
    return await _bad_bets(check, [("action steal", body)], "ACTION_IS_NOT_EXIST")


@wallet("B3_inexact_amount_is_wrong_input")
async def inexact_amount(check: WalletCheck) -> str:
    """5 decimals, exponents, float artefacts, NaN, 19 digits are refused."""
    amounts = [
        b"1.00001",
        b'"1.00001"',
        b"1e2",
        b"1E-4",
        b'"1e2"',
        b"0.30000000000000004",
        b'"NaN"',
        b"NaN",
        b'"Infinity"',
        b"1234567890123456789.0",
        b'"0x10"',
    ]
    bodies = [(f"amount {a.decode()}", _bet(a)) for a in amounts]
    return await _bad_bets(check, bodies, WRONG)


@wallet("B3_huge_body_is_wrong_input")
async def huge_body(check: WalletCheck) -> str:
    """A 70 KiB body is WRONG_INPUT_PARAMETERS (limit 64 KiB)."""
    body = _bet(b"1.0", padding=b'"' + b"x" * (70 * 1024) + b'"')
    return await _bad_bets(check, [("a 70 KiB bet", body)], WRONG)
