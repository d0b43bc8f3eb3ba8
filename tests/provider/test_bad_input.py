"""Bad input to every provider endpoint is refused cleanly and writes nothing (B3, B4).

The five protocol endpoints answer HTTP 200 with ``status: false`` and a protocol code
(INVALID_SIGN when the caller cannot be identified or the signature is wrong,
WRONG_INPUT_PARAMETERS for a signed but malformed request); the game and admin APIs
answer 4xx with ``{"error": {"code", "message"}}``. Never a 500, never a write, never a
wallet call. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from provider.support import ENDPOINTS, PROVIDER_ADMIN, Stack

PROTOCOL_CODES = {"INVALID_SIGN", "WRONG_INPUT_PARAMETERS"}
HUGE_PADDING = "x" * (65 * 1024)
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no DB use


def valid_fields(stack: Stack, path: str) -> dict[str, Any]:
    """A well-formed body of each endpoint (without ``client_id``)."""
    bodies: dict[str, dict[str, Any]] = {
        "/api/demo-url": {"game_id": "book-of-reels", "language": "en", "return_url": "x"},
        "/api/game-url": {
            "game_id": "book-of-reels",
            "currency": "EUR",
            "language": "en",
            "session_id": "s-1",
            "player_id": "p-1",
            "return_url": "x",
        },
        "/api/jackpots": {},
        "/api/freespins/create": {
            "game_id": "book-of-reels",
            "player_id": "p-1",
            "campaign_id": "c-1",
            "currency": "EUR",
            "quantity": 1,
            "valid_from": 0,
            "valid_until": 4_000_000_000,
            "bet_id": 0,
        },
        "/api/freespins/cancel": {"campaign_id": "c-1"},
        "/api/games": {},
    }
    return bodies[path]


def mistyped(path: str) -> list[dict[str, Any]]:
    """Field changes that break the type of one field of each endpoint's body."""
    changes: dict[str, list[dict[str, Any]]] = {
        "/api/demo-url": [{"language": 5}, {"game_id": None}, {"return_url": ["x"]}],
        "/api/game-url": [{"session_id": 123}, {"currency": {"code": "EUR"}}],
        "/api/jackpots": [],
        "/api/games": [],
        "/api/freespins/create": [
            {"quantity": "3"},
            {"valid_from": "now"},
            {"bet_id": 1.5},
            {"quantity": True},
        ],
        "/api/freespins/cancel": [{"campaign_id": []}, {"campaign_id": 7}],
    }
    return changes[path]


def assert_protocol_error(response: httpx.Response, codes: set[str]) -> None:
    """HTTP 200, a JSON protocol error with one of ``codes``."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert data["status"] is False and data["code"] in codes, data
    assert isinstance(data["message"], str) and data["message"]


def assert_api_error(response: httpx.Response, *statuses: int) -> None:
    """A 4xx (one of ``statuses``) with the JSON error shape."""
    assert response.status_code in statuses, (response.status_code, response.text)
    error = response.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str), error


def test_protocol_endpoints_refuse_malformed_bodies_without_writing(
    stack: Stack, subtests: pytest.Subtests
) -> None:
    stack.new_player()
    before = stack.counts()
    me = stack.client_id.encode()
    unidentified = [
        b"",
        b"not json",
        b"{",
        b"[]",
        b'"text"',
        b"null",
        b"123",
        b"{}",
        b'{"client_id": 5}',
        b'{"client_id": null}',
        b'{"client_id": "%s"} trailing' % me,
        b'\xef\xbb\xbf{"client_id": "%s"}' % me,  # a BOM is not JSON
    ]
    for path in ENDPOINTS:
        for body in unidentified:
            with subtests.test(path=path, body=body[:40]):
                assert_protocol_error(stack.post_signed(path, body), {"INVALID_SIGN"})
        fields = {"client_id": stack.client_id, **valid_fields(stack, path)}
        malformed = [{**fields, **change} for change in mistyped(path)]
        if len(fields) > 1:
            malformed.append({"client_id": stack.client_id})  # every other field missing
            malformed += [{k: v for k, v in fields.items() if k != key} for key in list(fields)[1:]]
        for body_fields in malformed:
            with subtests.test(path=path, fields=body_fields):
                body = json.dumps(body_fields).encode()
                assert_protocol_error(stack.post_signed(path, body), {"WRONG_INPUT_PARAMETERS"})
        with subtests.test(path=path, case="a body over 64 KiB"):
            huge = json.dumps({**fields, "padding": HUGE_PADDING}).encode()
            assert_protocol_error(stack.post_signed(path, huge), {"WRONG_INPUT_PARAMETERS"})
        with subtests.test(path=path, case="a GET instead of a POST"):
            assert stack.http.get(stack.provider_url + path).status_code == 405
    assert stack.counts() == before


@SQLITE_ONLY
def test_protocol_endpoints_answer_a_client_id_of_invalid_utf8_with_invalid_sign(
    stack: Stack,
) -> None:
    for path in ENDPOINTS:
        body = b'{"client_id": "\xff\xfe"}'
        assert_protocol_error(stack.post_signed(path, body), {"INVALID_SIGN"})


@SQLITE_ONLY
def test_protocol_endpoints_answer_deeply_nested_json_with_a_protocol_refusal(
    stack: Stack,
) -> None:
    nested = b"[" * 1000 + b"]" * 1000
    for path in ENDPOINTS:
        body = b'{"padding": %s, "client_id": "%s"}' % (nested, stack.client_id.encode())
        assert_protocol_error(stack.post_signed(path, body), PROTOCOL_CODES)


def test_game_api_refuses_bad_spins_unknown_sessions_and_foreign_rounds_without_writing(
    stack: Stack, subtests: pytest.Subtests
) -> None:
    player, other = stack.new_player(), stack.new_player()
    token, other_token = stack.launch(player), stack.launch(other)
    demo = stack.launch_demo()
    mine, theirs = stack.spin(token)["round_id"], stack.spin(other_token)["round_id"]
    before = stack.counts()
    spin_url = f"{stack.provider_url}/game/api/{token}/spin"
    bodies = [
        b"",
        b"garbage",
        b"[]",
        b"null",
        b"{}",
        b'{"bet_id": "1"}',
        b'{"bet_id": -1}',
        b'{"bet_id": 1.5}',
        b'{"bet_id": true}',
        b'{"bet_id": 1001}',
        b'{"bet_id": 99}',  # in range of the schema, but no such stake level
        b'{"bet_id": 1, "extra": 2}',
        b'{"bet_id": "\xff"}',
        json.dumps({"bet_id": 1, "padding": HUGE_PADDING}).encode(),
    ]
    for body in bodies:
        with subtests.test(body=body[:40]):
            assert_api_error(stack.http.post(spin_url, content=body), 400, 422)
    for path in ("state", "history", f"rounds/{mine}"):
        with subtests.test(path=path):
            assert_api_error(stack.game("no-such-launch-token", path), 404)
    with subtests.test("a spin of an unknown session"):
        response = stack.http.post(f"{stack.provider_url}/game/api/nope/spin", json={"bet_id": 0})
        assert_api_error(response, 404)
    for query in ("limit=abc", "limit=0", "limit=100000", "limit=-1"):
        with subtests.test(query=query):
            assert_api_error(stack.game(token, f"history?{query}"), 400)
    for who, path in [
        (token, f"rounds/{theirs}"),
        (token, "rounds/no-such-round"),
        (demo, f"rounds/{mine}"),
    ]:
        with subtests.test(path=path):
            assert_api_error(stack.game(who, path), 404)
    assert stack.game(token, f"rounds/{mine}").json()["round_id"] == mine  # the control
    assert stack.counts() == before


@SQLITE_ONLY
def test_game_api_answers_a_key_of_invalid_utf8_with_400(stack: Stack) -> None:
    token = stack.launch(stack.new_player())
    response = stack.http.post(
        f"{stack.provider_url}/game/api/{token}/spin", content=b'{"\xff": 1}'
    )
    assert_api_error(response, 400)


def test_admin_api_refuses_bad_tokens_bodies_and_queries_without_writing(
    stack: Stack, subtests: pytest.Subtests
) -> None:
    token = stack.launch(stack.new_player())
    round_id = stack.spin(token)["round_id"]
    before = stack.counts()
    gets = [
        "/admin/clients",
        "/admin/sessions",
        "/admin/rounds",
        f"/admin/rounds/{round_id}",
        "/admin/campaigns",
        "/admin/jackpots",
        "/admin/outbox",
        "/admin/audit",
        "/admin/games",
    ]
    url = stack.provider_url
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": PROVIDER_ADMIN}):
        for path in gets:
            with subtests.test(path=path, header=header):
                assert_api_error(stack.http.get(url + path, headers=header), 401)
        with subtests.test("POST /admin/clients", header=header):
            response = stack.http.post(url + "/admin/clients", json={}, headers=header)
            assert_api_error(response, 401)
    auth = {"Authorization": f"Bearer {PROVIDER_ADMIN}"}
    good = {"client_id": "c-new", "tokens": ["token-123456"], "wallet_url": "http://w/x"}
    bodies: list[bytes] = [
        b"",
        b"garbage",
        b"[]",
        b"{}",
        json.dumps({**good, "tokens": "token-123456"}).encode(),
        json.dumps({**good, "tokens": ["short"]}).encode(),
        json.dumps({**good, "tokens": []}).encode(),
        json.dumps({**good, "wallet_url": "ftp://w/x"}).encode(),
        json.dumps({**good, "wallet_url": "not a url"}).encode(),
        json.dumps({**good, "client_id": 5}).encode(),
        json.dumps({**good, "surprise": True}).encode(),
        json.dumps({**good, "reason": "x\u0000y"}).encode(),
        json.dumps({**good, "reason": HUGE_PADDING}).encode(),
        json.dumps({k: v for k, v in good.items() if k != "wallet_url"}).encode(),
    ]
    for body in bodies:
        with subtests.test(body=body[:60]):
            response = stack.http.post(url + "/admin/clients", content=body, headers=auth)
            assert_api_error(response, 400)
    queries = [
        "/admin/rounds?bogus=1",
        "/admin/rounds?limit=abc",
        "/admin/rounds?limit=0",
        "/admin/rounds?offset=-1",
        "/admin/outbox?stuck_seconds=-1",
        "/admin/outbox?stuck_seconds=abc",
        "/admin/outbox?created_before=1",
        "/admin/sessions?launch_token=x",
    ]
    for query in queries:
        with subtests.test(query=query):
            assert_api_error(stack.http.get(url + query, headers=auth), 400)
    with subtests.test("an unknown round"):
        assert_api_error(stack.http.get(url + "/admin/rounds/nope", headers=auth), 404)
    assert stack.counts() == before


@SQLITE_ONLY
def test_admin_api_answers_invalid_utf8_with_400(stack: Stack) -> None:
    response = stack.http.post(
        stack.provider_url + "/admin/clients",
        content=b'{"client_id": "\xff", "tokens": ["token-123456"], "wallet_url": "http://w"}',
        headers={"Authorization": f"Bearer {PROVIDER_ADMIN}"},
    )
    assert_api_error(response, 400)


@SQLITE_ONLY
def test_query_numbers_in_unicode_digits_int_cannot_read_are_400(stack: Stack) -> None:
    token = stack.launch(stack.new_player())
    auth = {"Authorization": f"Bearer {PROVIDER_ADMIN}"}
    assert_api_error(stack.game(token, "history?limit=²"), 400)
    assert_api_error(
        stack.http.get(f"{stack.provider_url}/admin/rounds?limit=²", headers=auth), 400
    )
    response = stack.http.get(f"{stack.provider_url}/admin/outbox?stuck_seconds=①", headers=auth)
    assert_api_error(response, 400)


def test_an_absurd_stuck_seconds_is_400_not_500(stack: Stack) -> None:
    auth = {"Authorization": f"Bearer {PROVIDER_ADMIN}"}
    for n in ("99999999999999", str(2**63)):
        response = stack.http.get(
            f"{stack.provider_url}/admin/outbox?stuck_seconds={n}", headers=auth
        )
        assert response.status_code == 200 or response.status_code == 400, response.text


def test_a_campaign_window_beyond_the_storable_range_is_wrong_input(stack: Stack) -> None:
    player = stack.new_player()
    before = stack.counts()
    for valid_until in (10**13, 2**63 - 1):
        reply = stack.call(
            "/api/freespins/create",
            client_id=stack.client_id,
            game_id="book-of-reels",
            player_id=player.player_id,
            campaign_id=f"far-{valid_until}",
            currency="EUR",
            quantity=1,
            valid_from=0,
            valid_until=valid_until,
            bet_id=0,
        )
        assert reply["code"] == "WRONG_INPUT_PARAMETERS", reply
    assert stack.counts() == before


@pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_a_nul_character_in_a_path_query_or_client_id_is_refused_not_a_500(stack: Stack) -> None:
    auth = {"Authorization": f"Bearer {PROVIDER_ADMIN}"}
    url = stack.provider_url
    token = stack.launch(stack.new_player())
    assert_api_error(stack.http.get(f"{url}/admin/rounds/%00", headers=auth), 404)
    response = stack.http.get(f"{url}/admin/rounds?client_id=%00", headers=auth)
    assert response.status_code in (200, 400), response.text
    assert_api_error(stack.game("%00", "state"), 404)
    assert_api_error(stack.http.post(f"{url}/game/api/%00/spin", json={"bet_id": 0}), 404)
    assert_api_error(stack.game(token, "rounds/%00"), 404)
    body = json.dumps({"client_id": "a\u0000b"}).encode()
    assert_protocol_error(stack.post_signed("/api/jackpots", body), PROTOCOL_CODES)
