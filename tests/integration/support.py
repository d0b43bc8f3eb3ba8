"""Helpers of the integration suite: a fake clock, a running aggregator, reply checks.

Fixtures that build these live in ``tests/conftest.py``; tests import the helpers.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from reelbridge.protocol import (
    SIGN_HEADER,
    BalanceReply,
    ErrorCode,
    ErrorReply,
    parse_amount_text,
    sign,
)
from reelbridge.testing import AdminClient, WalletClient

ADMIN_TOKEN = "admin-token-of-the-test-suite"
START = 1_750_000_000_000_000  # the fake clock's first reading, µs since the epoch


class FakeClock:
    """A clock in microseconds that moves only when told to."""

    def __init__(self, start: int = START) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> None:
        """Move the clock forward by whole seconds."""
        self.now += seconds * 1_000_000


def units(text: str) -> int:
    """Units of 1/10000 of a decimal string such as ``"10.5"``."""
    return parse_amount_text(text)


def uid(prefix: str) -> str:
    """An identifier no other test uses (tests share one PostgreSQL database)."""
    return f"{prefix}-{secrets.token_hex(6)}"


def ok(reply: BalanceReply | ErrorReply) -> int:
    """The balance of a successful reply; fails the test on an error reply."""
    assert isinstance(reply, BalanceReply), f"expected success, got {reply!r}"
    return reply.balance


def refused(reply: BalanceReply | ErrorReply, code: ErrorCode) -> None:
    """Assert that ``reply`` is the error ``code``."""
    assert isinstance(reply, ErrorReply), f"expected {code}, got {reply!r}"
    assert reply.code is code, f"expected {code}, got {reply!r}"


@dataclass(frozen=True)
class Player:
    """A funded player with an open wallet session for one client and game."""

    client_id: str
    token: str
    player_id: str
    session_id: str
    game_id: str
    currency: str


@dataclass
class Aggregator:
    """A running aggregator: its URL, an admin client and the clock it reads."""

    base_url: str
    admin: AdminClient
    clock: FakeClock
    dialect: str

    # -- set-up ---------------------------------------------------------------------

    def new_client(self, *tokens: str) -> tuple[str, str]:
        """Register a fresh client; return its id and its first token."""
        client_id = uid("client")
        chosen = list(tokens) or [f"token-{secrets.token_hex(12)}"]
        self.admin.upsert_client(client_id, chosen)
        return client_id, chosen[0]

    def new_player(
        self,
        *,
        balance: str = "10",
        currency: str = "EUR",
        client: tuple[str, str] | None = None,
        game_id: str = "g1",
        ttl_seconds: int | None = None,
    ) -> Player:
        """A player funded with ``balance`` and an open session (fresh client unless given)."""
        client_id, token = client or self.new_client()
        player_id = uid("player")
        self.admin.create_player(player_id, currency)
        if units(balance) > 0:
            self.admin.deposit(player_id, currency, balance, uid("deposit"))
        session_id = self.admin.open_session(
            client_id, player_id, currency, game_id, ttl_seconds=ttl_seconds
        )
        return Player(client_id, token, player_id, session_id, game_id, currency)

    def open_session(self, player: Player, *, game_id: str | None = None) -> str:
        """Another session of the same player and client."""
        return self.admin.open_session(
            player.client_id, player.player_id, player.currency, game_id or player.game_id
        )

    @contextlib.asynccontextmanager
    async def wallet(
        self, player: Player, *, token: str | None = None
    ) -> AsyncIterator[WalletClient]:
        """A signed wallet client of the player's client (``async with``)."""
        async with http_client() as http:
            yield WalletClient(self.base_url, player.client_id, token or player.token, http=http)

    # -- reading state --------------------------------------------------------------

    def balance(self, player: Player) -> int:
        """The player's stored balance in units (from the admin listing)."""
        page = self.admin.get(
            "/admin/players", player_id=player.player_id, currency=player.currency
        )
        (row,) = page["items"]
        return units(row["balance"])

    def listing(self, name: str, **filters: Any) -> list[dict[str, Any]]:
        """Every row of an admin listing (all pages)."""
        rows: list[dict[str, Any]] = []
        offset: int | None = 0
        while offset is not None:
            page = self.admin.get(f"/admin/{name}", limit=500, offset=offset, **filters)
            rows.extend(page["items"])
            offset = page["next_offset"]
        return rows

    def transactions(self, player: Player, **filters: Any) -> list[dict[str, Any]]:
        """The journal rows of the player's client."""
        return self.listing("transactions", client_id=player.client_id, **filters)

    def snapshot(self, player: Player) -> tuple[int, list[dict[str, Any]]]:
        """Balance and journal of a player: compare before/after for "nothing written"."""
        return self.balance(player), self.transactions(player)

    def assert_ledger_balanced(self) -> None:
        """Reconciliation: every currency sums to zero, stored balances match the journal."""
        report = self.admin.get("/admin/ledger")
        assert report["balanced"] is True, report
        assert report["mismatches"] == [], report


def http_client() -> httpx.AsyncClient:
    """An HTTP client for the loopback server (no TLS: skipping the CA bundle load saves
    ~60 ms per client, which adds up over hundreds of tests)."""
    return httpx.AsyncClient(timeout=30, verify=False)


async def post_signed(
    http: httpx.AsyncClient,
    base_url: str,
    client_id: str,
    body: bytes,
    *,
    token: str | None,
    header: str = SIGN_HEADER,
    signature: str | None = None,
) -> httpx.Response:
    """POST exact bytes to a wallet, signed with ``token`` (unsigned when None)."""
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[header] = signature
    elif token is not None:
        headers[header] = sign(body, token)
    return await http.post(f"{base_url}/wallet/{client_id}", content=body, headers=headers)


def wire(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a wallet answer, numbers as exact Decimals (rule B4, B5)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    data = json.loads(response.content, parse_float=Decimal, parse_int=Decimal)
    assert isinstance(data, dict), data
    return data


def body(**fields: Any) -> bytes:
    """A compact JSON body (amounts given as strings are sent as strings)."""
    return json.dumps(fields, separators=(",", ":")).encode()


class Browser:
    """A cookie-keeping HTTP client that reads CSRF tokens from pages, as a browser does."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)

    def page(self, path: str) -> httpx.Response:
        response = self.http.get(path)
        assert response.status_code < 500, response.text
        return response

    def csrf(self, path: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.page(path).text)
        assert found, f"no form with a CSRF token on {path}"
        return found[1]

    def field(self, path: str, name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', self.page(path).text)
        assert found, f"no field {name} on {path}"
        return found[1]

    def login(self, name: str = "ana", token: str = ADMIN_TOKEN) -> httpx.Response:
        csrf = self.csrf("/backoffice/login")
        return self.http.post(
            "/backoffice/login", data={"csrf": csrf, "name": name, "token": token}
        )

    def post(self, path: str, data: dict[str, str], **headers: str) -> httpx.Response:
        response = self.http.post(path, data=data, headers=headers)
        assert response.status_code < 500, response.text
        return response
