"""The aggregator's admin API: bearer auth, idempotent money, sessions, listings, audit.

A refused admin request answers a 4xx JSON error and changes nothing; no input makes
it answer 500; no listing ever shows a token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reelbridge.protocol import ErrorCode
from reelbridge.testing import AdminError

from .support import ADMIN_TOKEN, Aggregator, ok, refused, uid, units

LISTINGS = ["clients", "players", "sessions", "transactions", "audit", "anomalies"]


@pytest.fixture
def http(aggregator: Aggregator) -> Iterator[httpx.Client]:
    """A plain HTTP client of the aggregator (no credentials)."""
    with httpx.Client(base_url=aggregator.base_url, timeout=30, verify=False) as client:
        yield client


def bearer(token: str = ADMIN_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The JSON error body of a refused admin request."""
    assert response.status_code == status, response.text
    data = response.json()
    assert set(data) == {"error"} and isinstance(data["error"]["message"], str), data
    return data["error"]  # type: ignore[no-any-return]


def audit_rows(aggregator: Aggregator, subject: str) -> list[dict[str, Any]]:
    return aggregator.listing("audit", subject=subject)


def listing_texts(http: httpx.Client, filters: dict[str, dict[str, str]]) -> dict[str, str]:
    """The raw text of every listing (with ``filters`` per listing) and of the ledger."""
    texts = {
        name: http.get(f"/admin/{name}", params=filters.get(name, {}), headers=bearer()).text
        for name in LISTINGS
    }
    texts["ledger"] = http.get("/admin/ledger", headers=bearer()).text
    return texts


def everything(aggregator: Aggregator) -> dict[str, Any]:
    """Every row of every listing and the ledger: compare to show nothing changed."""
    state: dict[str, Any] = {name: aggregator.listing(name) for name in LISTINGS}
    state["ledger"] = aggregator.admin.get("/admin/ledger")
    return state


# -- authentication --------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param(bearer("wrong-token"), id="wrong token"),
        pytest.param({"Authorization": f"Basic {ADMIN_TOKEN}"}, id="wrong scheme"),
        pytest.param({"Authorization": "Bearer"}, id="empty bearer"),
        pytest.param(bearer(ADMIN_TOKEN + "x"), id="token with a suffix"),
    ],
)
@pytest.mark.parametrize("path", ["/admin/players", "/admin/ledger", "/admin/audit"])
def test_admin_get_without_the_right_bearer_is_401(
    http: httpx.Client, headers: dict[str, str], path: str
) -> None:
    error = error_of(http.get(path, headers=headers), 401)
    assert error["code"] == "unauthorized"


def test_admin_change_without_the_right_bearer_is_401_and_changes_nothing(
    aggregator: Aggregator, http: httpx.Client
) -> None:
    player = aggregator.new_player(balance="10")
    client_id = uid("client")
    before = everything(aggregator)

    for headers in ({}, bearer("wrong-token")):
        attempts = [
            ("/admin/clients", {"client_id": client_id, "tokens": ["token-0123456789"]}),
            ("/admin/players", {"player_id": uid("player"), "currency": "EUR"}),
            (
                "/admin/deposits",
                {
                    "player_id": player.player_id,
                    "currency": "EUR",
                    "amount": "5",
                    "reference": uid("ref"),
                },
            ),
            (f"/admin/sessions/{player.session_id}/close", {}),
        ]
        for path, body in attempts:
            assert http.post(path, json=body, headers=headers).status_code == 401, path

    assert everything(aggregator) == before


def test_admin_bad_json_with_a_wrong_bearer_is_401_not_400(http: httpx.Client) -> None:
    response = http.post("/admin/players", content=b"{not json", headers=bearer("nope"))
    assert error_of(response, 401)["code"] == "unauthorized"


# -- clients -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_admin_client_upsert_creates_then_rotates_tokens(aggregator: Aggregator) -> None:
    first, second = "first-token-0123456", "second-token-0123456"
    client_id, _ = aggregator.new_client(first)
    assert aggregator.admin.upsert_client(client_id, [first, second], reason="rotation") == {
        "client_id": client_id,
        "tokens": 2,
        "created": False,
    }
    player = aggregator.new_player(client=(client_id, second))
    async with aggregator.wallet(player, token=first) as old:
        assert ok(await old.balance(player.session_id)) == units("10")

    aggregator.admin.upsert_client(client_id, [second], reason="rotation done")

    async with aggregator.wallet(player, token=first) as old:
        refused(await old.balance(player.session_id), ErrorCode.INVALID_SIGN)
    async with aggregator.wallet(player, token=second) as new:
        assert ok(await new.balance(player.session_id)) == units("10")
    (listed,) = aggregator.listing("clients", client_id=client_id)
    assert len(listed["tokens"]) == 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"client_id": "c", "tokens": []}, id="no token"),
        pytest.param({"client_id": "c", "tokens": ["short"]}, id="token too short"),
        pytest.param({"client_id": "c", "tokens": ["t" * 10] * 5}, id="five tokens"),
        pytest.param({"client_id": "", "tokens": ["token-0123456789"]}, id="empty id"),
        pytest.param({"tokens": ["token-0123456789"]}, id="no id"),
        pytest.param(
            {"client_id": "c", "tokens": ["token-0123456789"], "extra": 1}, id="unknown field"
        ),
    ],
)
def test_admin_invalid_client_is_400_and_changes_nothing(
    aggregator: Aggregator, http: httpx.Client, body: dict[str, Any]
) -> None:
    if body.get("client_id") == "c":
        body = {**body, "client_id": uid("client")}
    before = aggregator.listing("clients")

    error_of(http.post("/admin/clients", json=body, headers=bearer()), 400)

    assert aggregator.listing("clients") == before


# -- players and money ---------------------------------------------------------------------


def test_admin_player_create_is_idempotent(aggregator: Aggregator) -> None:
    player_id = uid("player")
    first = aggregator.admin.create_player(player_id, "EUR")
    aggregator.admin.deposit(player_id, "EUR", "3", uid("ref"))

    again = aggregator.admin.create_player(player_id, "EUR")

    assert first == {"player_id": player_id, "currency": "EUR", "balance": "0.0",
                     "balance_display": "0.00", "created": True}  # fmt: skip
    assert again == {"player_id": player_id, "currency": "EUR", "balance": "3.0",
                     "balance_display": "3.00", "created": False}  # fmt: skip
    assert len(aggregator.listing("players", player_id=player_id)) == 1
    assert [r["action"] for r in audit_rows(aggregator, player_id)].count("player.create") == 1


def test_admin_deposit_is_idempotent_on_its_reference(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="0")
    reference = uid("ref")
    first = aggregator.admin.deposit(player.player_id, "EUR", "12.3456", reference)
    before = everything(aggregator)

    replay = aggregator.admin.deposit(player.player_id, "EUR", "12.3456", reference)

    assert first["balance"] == "12.3456" and first["replayed"] is False
    assert replay["balance"] == "12.3456" and replay["replayed"] is True
    assert everything(aggregator) == before


@pytest.mark.parametrize(
    ("kind", "amount"),
    [("deposit", "12.3457"), ("deposit", "1"), ("withdrawal", "12.3456")],
)
def test_admin_reference_reused_for_another_operation_is_409_and_changes_nothing(
    aggregator: Aggregator, kind: str, amount: str
) -> None:
    player = aggregator.new_player(balance="0")
    reference = uid("ref")
    aggregator.admin.deposit(player.player_id, "EUR", "12.3456", reference)
    before = everything(aggregator)

    with pytest.raises(AdminError) as refused_:
        if kind == "deposit":
            aggregator.admin.deposit(player.player_id, "EUR", amount, reference)
        else:
            aggregator.admin.withdraw(player.player_id, "EUR", amount, reference)

    assert (refused_.value.status, refused_.value.code) == (409, "conflict")
    assert everything(aggregator) == before


def test_admin_reference_reused_for_another_player_is_409(aggregator: Aggregator) -> None:
    alice = aggregator.new_player(balance="0")
    bob = aggregator.new_player(balance="0")
    reference = uid("ref")
    aggregator.admin.deposit(alice.player_id, "EUR", "5", reference)

    with pytest.raises(AdminError) as refused_:
        aggregator.admin.deposit(bob.player_id, "EUR", "5", reference)

    assert refused_.value.status == 409
    assert aggregator.balance(bob) == 0


def test_admin_withdrawal_larger_than_balance_is_409_and_writes_nothing(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    reference = uid("ref")
    before = everything(aggregator)

    with pytest.raises(AdminError) as refused_:
        aggregator.admin.withdraw(player.player_id, "EUR", "10.0001", reference)

    assert (refused_.value.status, refused_.value.code) == (409, "conflict")
    assert everything(aggregator) == before
    # The reference was not used up: the right amount goes through with it.
    assert aggregator.admin.withdraw(player.player_id, "EUR", "10", reference)["balance"] == "0.0"


def test_admin_withdrawal_replay_succeeds_after_the_balance_dropped(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    reference = uid("ref")
    aggregator.admin.withdraw(player.player_id, "EUR", "6", reference)
    aggregator.admin.withdraw(player.player_id, "EUR", "4", uid("ref"))

    replay = aggregator.admin.withdraw(player.player_id, "EUR", "6", reference)

    assert (replay["balance"], replay["replayed"]) == ("0.0", True)
    assert aggregator.balance(player) == 0


@pytest.mark.parametrize(
    "amount",
    ["0", "-5", "1.00001", "1e3", "abc", "", "NaN", "1234567890123456789"],
)
@pytest.mark.parametrize("path", ["/admin/deposits", "/admin/withdrawals"])
def test_admin_invalid_amount_is_400_and_writes_nothing(
    aggregator: Aggregator, http: httpx.Client, amount: str, path: str
) -> None:
    player = aggregator.new_player(balance="10")
    before = everything(aggregator)
    body = {
        "player_id": player.player_id,
        "currency": "EUR",
        "amount": amount,
        "reference": uid("ref"),
    }

    error_of(http.post(path, json=body, headers=bearer()), 400)

    assert everything(aggregator) == before


def _xfail_on(
    aggregator: Aggregator, request: pytest.FixtureRequest, dialect: str, why: str
) -> None:
    if aggregator.dialect == dialect:
        request.applymarker(pytest.mark.xfail(strict=True, reason=why))


@pytest.mark.parametrize(
    "amounts",
    [
        pytest.param(["999999999999999999"], id="amount over the ledger limit"),
        pytest.param(["900000000000000", "900000000000000"], id="balance over the limit"),
    ],
)
def test_admin_deposit_beyond_the_ledger_limit_is_refused_not_500(
    aggregator: Aggregator, http: httpx.Client, amounts: list[str]
) -> None:
    player = aggregator.new_player(balance="0")
    for amount in amounts[:-1]:
        aggregator.admin.deposit(player.player_id, "EUR", amount, uid("ref"))
    before = everything(aggregator)
    body = {
        "player_id": player.player_id,
        "currency": "EUR",
        "amount": amounts[-1],
        "reference": uid("ref"),
    }

    response = http.post("/admin/deposits", json=body, headers=bearer())

    assert response.status_code in (400, 409), response.text
    assert everything(aggregator) == before


def test_admin_deposit_to_unknown_player_is_404(aggregator: Aggregator) -> None:
    with pytest.raises(AdminError) as refused_:
        aggregator.admin.deposit(uid("nobody"), "EUR", "5", uid("ref"))
    assert (refused_.value.status, refused_.value.code) == (404, "not_found")


# -- sessions ----------------------------------------------------------------------------


def test_admin_session_opens_and_closes(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="0")
    session = aggregator.open_session(player)
    (opened,) = aggregator.listing(
        "sessions",
        player_id=player.player_id,
        status="open",
        game_id="g1",
        client_id=player.client_id,
    )[-1:]
    assert opened["status"] == "open"

    closed = aggregator.admin.close_session(session, reason="done")
    again = aggregator.admin.close_session(session)

    assert closed == again == {"session_id": session, "status": "closed"}
    (row,) = [
        s
        for s in aggregator.listing("sessions", player_id=player.player_id)
        if s["session_id"] == session
    ]
    assert row["status"] == "closed" and row["closed_at"] == aggregator.clock()
    assert [r["action"] for r in audit_rows(aggregator, session)] == [
        "session.close",
        "session.open",
    ]


def test_admin_session_expires_after_its_ttl(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="0", ttl_seconds=90)
    (row,) = [s for s in aggregator.listing("sessions", player_id=player.player_id)]
    assert row["expires_at"] - row["created_at"] == 90 * 1_000_000


@pytest.mark.parametrize("unknown", ["client", "player"])
def test_admin_session_for_unknown_client_or_player_is_404_and_writes_nothing(
    aggregator: Aggregator, unknown: str
) -> None:
    player = aggregator.new_player(balance="0")
    client_id = uid("nobody") if unknown == "client" else player.client_id
    player_id = uid("nobody") if unknown == "player" else player.player_id
    before = everything(aggregator)

    with pytest.raises(AdminError) as refused_:
        aggregator.admin.open_session(client_id, player_id, "EUR", "g1")

    assert refused_.value.status == 404
    assert everything(aggregator) == before


def test_admin_close_unknown_session_is_404(aggregator: Aggregator) -> None:
    with pytest.raises(AdminError) as refused_:
        aggregator.admin.close_session(uid("no-session"))
    assert refused_.value.status == 404


# -- listings ------------------------------------------------------------------------------


def test_admin_listing_filters_and_paginates(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="0")
    for n in range(7):
        aggregator.admin.deposit(player.player_id, "EUR", f"{n + 1}", uid("ref"))
    aggregator.admin.withdraw(player.player_id, "EUR", "1", uid("ref"))

    pages = []
    offset: int | None = 0
    while offset is not None:
        page = aggregator.admin.get(
            "/admin/transactions",
            player_id=player.player_id,
            action="deposit",
            limit=3,
            offset=offset,
        )
        assert page["limit"] == 3 and page["offset"] == offset
        pages.append(page)
        offset = page["next_offset"]

    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    assert [p["next_offset"] for p in pages] == [3, 6, None]
    rows = [row for p in pages for row in p["items"]]
    assert {row["action"] for row in rows} == {"deposit"}
    assert {row["player_id"] for row in rows} == {player.player_id}
    ids = [row["id"] for row in rows]
    assert ids == sorted(set(ids), reverse=True)  # newest first, no repeats
    assert sorted(units(row["amount"]) for row in rows) == [units(str(n)) for n in range(1, 8)]


def test_admin_listing_past_the_end_is_empty(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="1")
    page = aggregator.admin.get("/admin/transactions", player_id=player.player_id, offset=5)
    assert (page["items"], page["next_offset"]) == ([], None)


@pytest.mark.parametrize("name", LISTINGS)
def test_admin_listing_with_an_unknown_filter_is_400(http: httpx.Client, name: str) -> None:
    response = http.get(f"/admin/{name}", params={"colour": "blue"}, headers=bearer())
    assert "colour" in error_of(response, 400)["message"]


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "offset=-1", "limit=1.5"])
def test_admin_listing_with_a_bad_page_is_400(http: httpx.Client, query: str) -> None:
    error_of(http.get(f"/admin/transactions?{query}", headers=bearer()), 400)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/transactions?player_id=%00",
        "/admin/audit?subject=a%00b",
        "/admin/players?currency=%00",
        "/admin/sessions?client_id=%00",
    ],
)
def test_admin_listing_filter_with_a_nul_character_is_never_500(
    aggregator: Aggregator, http: httpx.Client, request: pytest.FixtureRequest, path: str
) -> None:
    response = http.get(path, headers=bearer())
    assert response.status_code in (200, 400), response.text


def test_admin_close_session_with_a_nul_in_its_id_is_404_not_500(
    aggregator: Aggregator, http: httpx.Client, request: pytest.FixtureRequest
) -> None:
    response = http.post("/admin/sessions/a%00b/close", headers=bearer())
    assert response.status_code in (400, 404), response.text


# -- audit and secrets --------------------------------------------------------------------


def test_admin_every_change_writes_an_audit_row_with_before_after_and_reason(
    aggregator: Aggregator, http: httpx.Client
) -> None:
    client_id, player_id = uid("client"), uid("player")
    headers = {**bearer(), "X-Actor": "ops-alice"}

    def post(path: str, body: dict[str, Any]) -> Any:
        response = http.post(path, json=body, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    post(
        "/admin/clients",
        {"client_id": client_id, "tokens": ["token-one-123456"], "reason": "onboarding"},
    )
    post(
        "/admin/clients",
        {"client_id": client_id, "tokens": ["token-two-123456"], "reason": "rotation"},
    )
    post("/admin/players", {"player_id": player_id, "currency": "EUR", "reason": "signup"})
    post(
        "/admin/deposits",
        {
            "player_id": player_id,
            "currency": "EUR",
            "amount": "5.5",
            "reference": uid("ref"),
            "reason": "welcome bonus",
        },
    )
    post(
        "/admin/withdrawals",
        {
            "player_id": player_id,
            "currency": "EUR",
            "amount": "2",
            "reference": uid("ref"),
            "reason": "cash out",
        },
    )
    session = post(
        "/admin/sessions",
        {
            "client_id": client_id,
            "player_id": player_id,
            "currency": "EUR",
            "game_id": "g1",
            "reason": "launch",
        },
    )["session_id"]
    post(f"/admin/sessions/{session}/close", {"reason": "logout"})

    rows = {
        (r["action"], r["reason"]): r
        for subject in (client_id, player_id, session)
        for r in audit_rows(aggregator, subject)
    }
    assert set(rows) == {
        ("client.upsert", "onboarding"),
        ("client.upsert", "rotation"),
        ("player.create", "signup"),
        ("money.deposit", "welcome bonus"),
        ("money.withdrawal", "cash out"),
        ("session.open", "launch"),
        ("session.close", "logout"),
    }
    assert {r["actor"] for r in rows.values()} == {"ops-alice"}

    def loaded(key: tuple[str, str], field: str) -> Any:
        raw = rows[key][field]
        return None if raw is None else json.loads(raw)

    assert loaded(("client.upsert", "onboarding"), "before") is None
    assert loaded(("client.upsert", "rotation"), "before") == loaded(
        ("client.upsert", "onboarding"), "after"
    )
    assert loaded(("client.upsert", "rotation"), "after") != loaded(
        ("client.upsert", "rotation"), "before"
    )
    deposit_before = loaded(("money.deposit", "welcome bonus"), "before")
    deposit_after = loaded(("money.deposit", "welcome bonus"), "after")
    assert units("5.5") == deposit_after["balance"] - deposit_before["balance"]
    withdrawal_after = loaded(("money.withdrawal", "cash out"), "after")
    assert withdrawal_after["balance"] == units("3.5")
    assert loaded(("session.close", "logout"), "before") == {"status": "open"}
    assert loaded(("session.close", "logout"), "after") == {"status": "closed"}


@pytest.mark.anyio
async def test_admin_listings_never_show_a_token(
    aggregator: Aggregator, http: httpx.Client
) -> None:
    old, new = f"secret-old-{uid('t')}", f"secret-new-{uid('t')}"
    client_id, _ = aggregator.new_client(old, new)
    player = aggregator.new_player(client=(client_id, new))
    aggregator.admin.upsert_client(client_id, [new], reason="rotate")
    async with aggregator.wallet(player, token=new) as wallet:
        tx = wallet.new_id()
        ok(
            await wallet.bet(
                player.session_id, 10000, transaction_id=tx, round_id="r", game_id="g1"
            )
        )
        ok(await wallet.win(player.session_id, 10000, round_id="r", game_id="g1"))
        refused(
            await wallet.refund(player.session_id, tx, round_id="r", game_id="g1"),
            ErrorCode.TRANSACTION_DENIED,
        )  # leaves an anomaly row

    texts = listing_texts(
        http,
        {
            "clients": {"client_id": client_id},
            "players": {"player_id": player.player_id},
            "sessions": {"client_id": client_id},
            "transactions": {"client_id": client_id},
            "audit": {"subject": client_id},
            "anomalies": {"client_id": client_id},
        },
    )

    for name, text in texts.items():
        assert player.player_id in text or client_id in text or name == "ledger", name
        for secret in (old, new, ADMIN_TOKEN):
            assert secret not in text, f"{secret} shown in /admin/{name}"
    (listed,) = aggregator.listing("clients", client_id=client_id)
    assert len(listed["tokens"]) == 1 and listed["tokens"][0].startswith("fp:")


# -- malformed requests --------------------------------------------------------------------

POSTS = [
    "/admin/clients",
    "/admin/players",
    "/admin/deposits",
    "/admin/withdrawals",
    "/admin/sessions",
    "/admin/sessions/some-session/close",
]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{not json", id="not json"),
        pytest.param(b"[1, 2]", id="array"),
        pytest.param(b'"text"', id="string"),
        pytest.param(b"\xff\xfe", id="not utf-8"),
        pytest.param(b'{"player_id": 5, "currency": "EUR"}', id="mistyped"),
        pytest.param(b"{" + b" " * 70_000 + b"}", id="over 64 KiB"),
        pytest.param(b"[" * 10_000 + b"]" * 10_000, id="deeply nested"),
    ],
)
@pytest.mark.parametrize("path", POSTS)
def test_admin_malformed_body_is_400_never_500(
    aggregator: Aggregator, http: httpx.Client, path: str, content: bytes
) -> None:
    before = everything(aggregator)
    response = http.post(path, content=content, headers=bearer())
    assert error_of(response, 400)["code"] == "bad_request"
    assert everything(aggregator) == before


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/admin/clients", b'{"client_id": "c\xff", "tokens": ["token-0123456789"]}'),
        ("/admin/players", b'{"player_id": "p\xff", "currency": "EUR"}'),
        (
            "/admin/deposits",
            b'{"player_id": "p", "currency": "EUR", "amount": "1", "reference": "r\xff"}',
        ),
        ("/admin/sessions/some-session/close", b'{"reason": "\xff"}'),
    ],
    ids=["client", "player", "deposit", "close"],
)
def test_admin_string_of_invalid_utf8_is_400_never_500(
    aggregator: Aggregator, http: httpx.Client, path: str, content: bytes
) -> None:
    before = everything(aggregator)
    response = http.post(path, content=content, headers=bearer())
    assert error_of(response, 400)["code"] == "bad_request"
    assert everything(aggregator) == before


@pytest.mark.parametrize("path", POSTS[:-1])
def test_admin_empty_body_is_400(http: httpx.Client, path: str) -> None:
    assert http.post(path, content=b"", headers=bearer()).status_code == 400


@pytest.mark.anyio
async def test_admin_ledger_reconciles_after_play_and_money_moves(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="10")
    aggregator.admin.withdraw(player.player_id, "EUR", "1", uid("ref"))
    async with aggregator.wallet(player) as wallet:
        ok(await wallet.bet(player.session_id, 20000, round_id="r", game_id="g1"))
        ok(await wallet.win(player.session_id, 5000, round_id="r", game_id="g1"))

    report = aggregator.admin.get("/admin/ledger")

    assert report["balanced"] is True and report["mismatches"] == []
    eur = report["currencies"]["EUR"]
    assert units(eur["sum"]) == 0
    assert units(eur["player"]) + units(eur["house"]) == -units(eur["bank"])
    assert aggregator.balance(player) == units("7.5")
