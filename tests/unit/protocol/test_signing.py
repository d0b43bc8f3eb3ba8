"""X-Sign over the exact body bytes, checked against bodies signed by real PHP (rules B1, B2).

The vectors in ``tests/vectors/signing.json`` come from
``tests/vectors/make_php_vectors.php``: PHP's ``json_encode`` and
``hash_hmac('sha256', $json, $token)``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from reelbridge.protocol import SIGN_HEADER, sign, verify

VECTORS_DIR = Path(__file__).resolve().parents[2] / "vectors"


def _load_vectors() -> list[dict[str, Any]]:
    data = json.loads((VECTORS_DIR / "signing.json").read_text(encoding="utf-8"))
    vectors: list[dict[str, Any]] = data["vectors"]
    return vectors


VECTORS = _load_vectors()
BY_NAME = {vector["name"]: vector for vector in VECTORS}
vectors = pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])


def _body(vector: dict[str, Any]) -> bytes:
    return base64.b64decode(vector["body_base64"], validate=True)


def test_vector_file_covers_both_php_encodings() -> None:
    flags = {vector["flags"] for vector in VECTORS}
    assert flags == {"0", "JSON_UNESCAPED_SLASHES|JSON_UNESCAPED_UNICODE"}
    assert len(BY_NAME) == len(VECTORS)


@vectors
def test_vector_body_text_and_base64_are_the_same_bytes(vector: dict[str, Any]) -> None:
    assert vector["body"].encode("utf-8") == _body(vector)


@vectors
def test_sign_equals_php_hash_hmac(vector: dict[str, Any]) -> None:
    assert sign(_body(vector), vector["token"]) == vector["signature"]


@vectors
def test_php_signature_verifies_over_the_received_bytes(vector: dict[str, Any]) -> None:
    assert verify(_body(vector), vector["signature"], [vector["token"]]) is True


@vectors
def test_uppercase_hex_signature_verifies(vector: dict[str, Any]) -> None:
    header = vector["signature"].upper()
    assert header != vector["signature"]
    assert verify(_body(vector), header, [vector["token"]]) is True


@vectors
def test_signature_under_another_token_does_not_verify(vector: dict[str, Any]) -> None:
    assert verify(_body(vector), vector["signature"], [vector["token"] + "x"]) is False
    assert verify(_body(vector), vector["signature"], ["other-token"]) is False


def test_rfc_4231_known_answer() -> None:
    # RFC 4231 test case 2: an independent check that sign() is HMAC-SHA256.
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert sign(b"what do ya want for nothing?", "Jefe") == expected


def test_sign_is_64_lowercase_hex_digits() -> None:
    signature = sign(b'{"action":"balance","session_id":"s"}', "token")
    assert len(signature) == 64
    assert set(signature) <= set("0123456789abcdef")


def test_sign_header_is_x_sign() -> None:
    assert SIGN_HEADER == "X-Sign"


@pytest.mark.parametrize("header", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_missing_or_empty_header_does_not_verify(header: str | None) -> None:
    vector = BY_NAME["bet_float_amount"]
    assert verify(_body(vector), header, [vector["token"]]) is False


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body: body + b" ",
        lambda body: b" " + body,
        lambda body: body[:-1],
        lambda body: body.replace(b"10.0001", b"10.0002"),
        lambda body: body.replace(b"10.0001", b"10.00010"),
        lambda body: body.replace(b'"sess-1"', b'"sess-2"'),
    ],
    ids=["appended", "prepended", "truncated", "amount", "amount-same-value", "session"],
)
def test_tampered_body_does_not_verify(tamper: Any) -> None:
    vector = BY_NAME["bet_float_amount"]
    tampered = tamper(_body(vector))
    assert tampered != _body(vector)
    assert verify(tampered, vector["signature"], [vector["token"]]) is False


@pytest.mark.parametrize(
    "header",
    [
        lambda signature: signature[:-1],
        lambda signature: signature + "0",
        lambda signature: signature[:-1] + ("0" if signature[-1] != "0" else "1"),
        lambda signature: "é" * 64,
        lambda signature: base64.b64encode(bytes.fromhex(signature)).decode(),
    ],
    ids=["short", "long", "last-digit", "non-ascii", "base64"],
)
def test_malformed_or_wrong_signature_does_not_verify(header: Any) -> None:
    vector = BY_NAME["bet_float_amount"]
    assert verify(_body(vector), header(vector["signature"]), [vector["token"]]) is False


def test_signature_with_surrounding_whitespace_verifies() -> None:
    vector = BY_NAME["bet_float_amount"]
    assert verify(_body(vector), f" {vector['signature']}\t", [vector["token"]]) is True


def test_no_token_never_verifies() -> None:
    vector = BY_NAME["bet_float_amount"]
    assert verify(_body(vector), vector["signature"], []) is False


@pytest.mark.parametrize("signed_with", ["old-token", "new-token"])
def test_either_token_verifies_during_a_key_rotation(signed_with: str) -> None:
    # Rule B2: during a rotation a client has two valid tokens.
    body = _body(BY_NAME["bet_float_amount"])
    header = sign(body, signed_with)
    assert verify(body, header, ["old-token", "new-token"]) is True
    assert verify(body, header, ("new-token", "old-token")) is True
    assert verify(body, header, iter(["old-token", "new-token"])) is True


def test_a_token_outside_the_rotation_pair_does_not_verify() -> None:
    body = _body(BY_NAME["bet_float_amount"])
    assert verify(body, sign(body, "retired-token"), ["old-token", "new-token"]) is False


def test_reserialised_json_does_not_verify_the_escaped_slash_vector() -> None:
    # Rule B1: Python's json.dumps writes "/" where PHP wrote "\/", so any
    # verification over re-serialised JSON would refuse a genuine PHP request.
    vector = BY_NAME["bet_slashes_escaped"]
    body = _body(vector)
    assert b"\\/" in body
    reserialised = json.dumps(json.loads(body), separators=(",", ":")).encode()
    assert json.loads(reserialised) == json.loads(body)
    assert reserialised != body
    assert verify(reserialised, vector["signature"], [vector["token"]]) is False
    assert verify(body, vector["signature"], [vector["token"]]) is True


def test_reserialised_json_does_not_verify_the_escaped_unicode_vector() -> None:
    vector = BY_NAME["bet_non_ascii_escaped"]
    body = _body(vector)
    assert b"\\u00fc" in body
    reserialised = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode()
    assert reserialised != body
    assert verify(reserialised, vector["signature"], [vector["token"]]) is False


@pytest.mark.parametrize(
    ("escaped", "unescaped"),
    [
        ("bet_slashes_escaped", "bet_slashes_unescaped"),
        ("bet_non_ascii_escaped", "bet_non_ascii_unescaped"),
        ("bet_astral_escaped_as_surrogate_pair", "bet_astral_unescaped"),
    ],
)
def test_php_escaped_and_unescaped_forms_are_different_signed_bytes(
    escaped: str, unescaped: str
) -> None:
    first, second = BY_NAME[escaped], BY_NAME[unescaped]
    assert json.loads(_body(first)) == json.loads(_body(second))
    assert _body(first) != _body(second)
    assert first["signature"] != second["signature"]
    assert verify(_body(first), first["signature"], [first["token"]]) is True
    assert verify(_body(second), second["signature"], [second["token"]]) is True
    assert verify(_body(second), first["signature"], [first["token"]]) is False
