"""Helpers of the provider suite: a running aggregator + fault proxy + provider, and the
one invariant every fault test ends with (the wallet agrees with the provider's rounds).

Fixtures that build these live in ``tests/provider/conftest.py``; tests import helpers.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from reelbridge.bootstrap import system_clock
from reelbridge.protocol import SIGN_HEADER, parse_amount_text, sign
from reelbridge.reconcile import ProviderApi, Report, WalletApi, read_books, reconcile, report_json
from reelbridge.testing import AdminClient
from reelbridge.testing.faults import FaultProxy

T = TypeVar("T")
PROVIDER_ADMIN = "provider-admin-token-of-the-suite"
AGGREGATOR_ADMIN = "aggregator-admin-token-of-the-suite"
ENDPOINTS = (
    "/api/demo-url",
    "/api/game-url",
    "/api/jackpots",
    "/api/freespins/create",
    "/api/freespins/cancel",
    "/api/games",
)
FINAL = frozenset({"settled", "refunded", "rejected"})


def uid(prefix: str) -> str:
    """An identifier no other test uses (PostgreSQL tests share one database)."""
    return f"{prefix}-{secrets.token_hex(6)}"


def units(text: str | None) -> int:
    """Units of 1/10000 of a decimal string (None counts as 0)."""
    return 0 if text is None else parse_amount_text(str(text))


def eventually(check: Callable[[], T | None], *, timeout: float = 20.0, what: str = "") -> T:
    """Poll ``check`` until it returns something other than None/False; fail at the deadline.

    An empty list is an answer: a check that waits for rows returns ``rows or None``.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
        time.sleep(0.05)


@dataclass(frozen=True)
class Player:
    """A funded aggregator player with an open wallet session for one game."""

    player_id: str
    session_id: str
    game_id: str
    currency: str
    start: int  # balance in units when the player was made


@dataclass
class Stack:
    """Aggregator (the real wallet) ← fault proxy ← provider, all over HTTP, one client."""

    aggregator_url: str
    provider_url: str
    proxy: FaultProxy
    wallet: AdminClient
    admin: AdminClient
    client_id: str
    token: str
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30.0))
    proxy_wallet_url: str = ""  # the client's wallet_url at the provider
    databases: tuple[str, str] = ("", "")  # database URLs: (aggregator, provider)

    # -- set-up ---------------------------------------------------------------------

    def new_player(
        self, *, balance: str = "100", game_id: str = "book-of-reels", currency: str = "EUR"
    ) -> Player:
        """A player funded with ``balance`` and a wallet session for ``game_id``."""
        player_id = uid("player")
        self.wallet.create_player(player_id, currency)
        if units(balance):
            self.wallet.deposit(player_id, currency, balance, uid("deposit"))
        session_id = self.wallet.open_session(self.client_id, player_id, currency, game_id)
        return Player(player_id, session_id, game_id, currency, units(balance))

    def call(self, path: str, **fields: Any) -> dict[str, Any]:
        """POST a signed protocol request to the provider; the decoded answer."""
        response = self.post_signed(path, json.dumps(fields).encode())
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def post_signed(
        self, path: str, body: bytes, *, token: str | None = None, signature: str | None = None
    ) -> httpx.Response:
        """POST exact bytes to a provider endpoint, signed with the client's token."""
        sig = signature if signature is not None else sign(body, token or self.token)
        return self.http.post(
            self.provider_url + path,
            content=body,
            headers={SIGN_HEADER: sig, "Content-Type": "application/json"},
        )

    def launch(self, player: Player, *, language: str = "en", game_id: str | None = None) -> str:
        """Launch a real-money game for ``player``; the launch token."""
        reply = self.call(
            "/api/game-url",
            client_id=self.client_id,
            game_id=game_id or player.game_id,
            currency=player.currency,
            language=language,
            session_id=player.session_id,
            player_id=player.player_id,
            return_url="https://casino.example/lobby",
        )
        assert "url" in reply, reply
        return str(reply["url"]).rsplit("/", 1)[1]

    def launch_demo(self, game_id: str = "book-of-reels", language: str = "en") -> str:
        """Launch a demo game; the launch token."""
        reply = self.call(
            "/api/demo-url",
            client_id=self.client_id,
            game_id=game_id,
            language=language,
            return_url="https://casino.example/lobby",
        )
        assert "url" in reply, reply
        return str(reply["url"]).rsplit("/", 1)[1]

    # -- the game API -----------------------------------------------------------------

    def game(self, token: str, path: str) -> httpx.Response:
        """GET a game API path of a launched session (``state``, ``history`` …)."""
        return self.http.get(f"{self.provider_url}/game/api/{token}/{path}")

    def spin(self, token: str, bet_id: int = 0) -> dict[str, Any]:
        """Play one round; the answer (HTTP 200 expected)."""
        response = self.http.post(
            f"{self.provider_url}/game/api/{token}/spin", json={"bet_id": bet_id}
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    # -- reading state ------------------------------------------------------------------

    def listing(self, admin: AdminClient, name: str, **filters: Any) -> list[dict[str, Any]]:
        """Every row of an admin listing (all pages)."""
        rows: list[dict[str, Any]] = []
        offset: int | None = 0
        while offset is not None:
            page = admin.get(f"/admin/{name}", limit=500, offset=offset, **filters)
            rows.extend(page["items"])
            offset = page["next_offset"]
        return rows

    def rounds(self, **filters: Any) -> list[dict[str, Any]]:
        """The provider's rounds of this client."""
        return self.listing(self.admin, "rounds", client_id=self.client_id, **filters)

    def outbox(self, **filters: Any) -> list[dict[str, Any]]:
        """The provider's outbox rows of this client (oldest first)."""
        return self.listing(self.admin, "outbox", client_id=self.client_id, **filters)

    def transactions(self, **filters: Any) -> list[dict[str, Any]]:
        """The wallet's journal rows of this client (oldest first)."""
        rows = self.listing(self.wallet, "transactions", client_id=self.client_id, **filters)
        return rows[::-1]

    def balance(self, player: Player) -> int:
        """The player's balance at the wallet, in units."""
        page = self.wallet.get(
            "/admin/players", player_id=player.player_id, currency=player.currency
        )
        (row,) = page["items"]
        return units(row["balance"])

    def counts(self) -> dict[str, int]:
        """Rows that any request could have written, on both sides (for "nothing written")."""
        return {
            "rounds": len(self.rounds()),
            "outbox": len(self.outbox()),
            "sessions": len(self.listing(self.admin, "sessions", client_id=self.client_id)),
            "campaigns": len(self.listing(self.admin, "campaigns", client_id=self.client_id)),
            "clients": len(self.listing(self.admin, "clients")),
            "wallet_calls": len(self.proxy.requests()),
            "transactions": len(self.transactions()),
        }

    def settle_all(self, *, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Wait until every round is final and no outbox row is undelivered; the rounds."""

        def done() -> list[dict[str, Any]] | None:
            rounds = self.rounds()
            open_rows = [r for r in self.outbox() if r["status"] in ("pending", "sending")]
            if open_rows or any(r["status"] not in FINAL for r in rounds):
                return None
            return rounds

        return eventually(done, timeout=timeout, what="every round final, the outbox empty")

    def reconcile(self) -> Report:
        """``reelbridge reconcile`` of this client, through both admin APIs."""
        books = read_books(
            ProviderApi(self.admin),
            WalletApi(self.wallet),
            clients=[self.client_id],
            clock=system_clock,
        )
        return reconcile(books)

    def assert_books_agree(self, *players: Player) -> list[dict[str, Any]]:
        """The invariant after every fault: rounds final, outbox drained, wallet = rounds.

        Waits until every round is settled, refunded or rejected and no win or refund is
        pending; then ``reelbridge reconcile`` must find no difference (the wallet holds a
        live bet exactly for the settled rounds and paid each its win and jackpot, no
        more; every wallet transaction is one the provider sent; the ledger balances),
        and each player's wallet balance moved by exactly Σ(win + jackpot − stake) of
        their settled rounds (a freespin's stake is the campaign's, not the player's).
        """
        rounds = self.settle_all()
        report = self.reconcile()
        assert report.ok, report_json(report)["differences"]
        nets = {(p.player_id, p.currency): p.provider_net for p in report.clients[0].players}
        for player in players:
            moved = self.balance(player) - player.start
            assert moved == nets.get((player.player_id, player.currency), 0), (player, rounds)
        return rounds


@contextlib.contextmanager
def closing_all(*clients: AdminClient | httpx.Client) -> Iterator[None]:
    """Close HTTP clients on exit."""
    try:
        yield
    finally:
        for client in clients:
            client.close()


class JackpotDraws:
    """An ``Rng`` that answers the jackpot draws (``randbelow(modulus)``) from a script
    and every other draw (the game's) from ``base``: a test decides which rounds hit."""

    def __init__(self, base: Any, modulus: int, answers: list[int]) -> None:
        self._base = base
        self._modulus = modulus
        self._answers = list(answers)
        self.asked = 0

    def randbelow(self, n: int, /) -> int:
        if n != self._modulus:
            return int(self._base.randbelow(n))
        self.asked += 1
        return self._answers.pop(0) if self._answers else 0
