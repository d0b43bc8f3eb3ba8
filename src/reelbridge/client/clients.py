"""Clients for a wallet and its admin API: used by the CLI, tests, benchmarks and the
conformance kit. They speak the protocol exactly as a provider would: they sign the
very bytes they send.
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any
from urllib.parse import quote

import httpx

from reelbridge.protocol import (
    SIGN_HEADER,
    BalanceReply,
    Bet,
    BetType,
    ErrorReply,
    GetBalance,
    Refund,
    WalletRequest,
    Win,
    WinType,
    decode_wallet_reply,
    encode_wallet_request,
    sign,
)


class WalletClient:
    """A signed async client of one wallet endpoint (``POST {base}/wallet/{client}``)."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        token: str,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = 5.0,  # float ok: seconds
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/wallet/{client_id}"
        self.token = token
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._own_http = http is None
        self._ids = itertools.count(1)
        self._prefix = secrets.token_hex(4)

    async def __aenter__(self) -> WalletClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._own_http:
            await self._http.aclose()

    def new_id(self, kind: str = "tx") -> str:
        """A fresh transaction or round id, unique to this client object."""
        return f"{kind}-{self._prefix}-{next(self._ids)}"

    async def post_raw(self, body: bytes, *, signature: str | None = None) -> httpx.Response:
        """POST exact bytes, signed with the token unless ``signature`` is given."""
        headers = {
            "Content-Type": "application/json",
            SIGN_HEADER: sign(body, self.token) if signature is None else signature,
        }
        return await self._http.post(self.url, content=body, headers=headers)

    async def send(self, request: WalletRequest) -> BalanceReply | ErrorReply:
        """Encode, sign and send a request; decode the reply."""
        response = await self.post_raw(encode_wallet_request(request))
        return decode_wallet_reply(response.content)

    async def bet(
        self,
        session_id: str,
        amount: int,
        *,
        transaction_id: str | None = None,
        round_id: str | None = None,
        game_id: str = "game",
        type: BetType = BetType.BET,
    ) -> BalanceReply | ErrorReply:
        """Send a bet of ``amount`` units."""
        return await self.send(
            Bet(
                type=type,
                session_id=session_id,
                amount=amount,
                transaction_id=transaction_id or self.new_id(),
                round_id=round_id or self.new_id("round"),
                game_id=game_id,
            )
        )

    async def win(
        self,
        session_id: str,
        amount: int,
        *,
        round_id: str,
        transaction_id: str | None = None,
        game_id: str = "game",
        type: WinType = WinType.WIN,
    ) -> BalanceReply | ErrorReply:
        """Send a win of ``amount`` units."""
        return await self.send(
            Win(
                type=type,
                session_id=session_id,
                amount=amount,
                transaction_id=transaction_id or self.new_id(),
                round_id=round_id,
                game_id=game_id,
            )
        )

    async def refund(
        self, session_id: str, transaction_id: str, *, round_id: str, game_id: str = "game"
    ) -> BalanceReply | ErrorReply:
        """Refund the bet ``transaction_id``."""
        return await self.send(
            Refund(
                session_id=session_id,
                transaction_id=transaction_id,
                round_id=round_id,
                game_id=game_id,
            )
        )

    async def balance(self, session_id: str) -> BalanceReply | ErrorReply:
        """Ask the session's balance."""
        return await self.send(GetBalance(session_id=session_id))


class AdminError(Exception):
    """The admin API refused a request."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"{status} {code}: {message}")


class AdminClient:
    """A synchronous client of the aggregator's admin API."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0) -> None:  # float ok
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _check(self, response: httpx.Response) -> Any:
        try:
            data = response.json()
        except ValueError:
            raise AdminError(response.status_code, "bad_response", response.text[:200]) from None
        if response.status_code >= 400:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            raise AdminError(
                response.status_code, error.get("code", "error"), error.get("message", "")
            )
        return data

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST JSON to an admin path; return the decoded answer or raise AdminError."""
        return self._check(self._http.post(path, json=body))

    def get(self, path: str, **params: Any) -> Any:
        """GET an admin path with query parameters (None values are dropped)."""
        query = {k: v for k, v in params.items() if v is not None}
        return self._check(self._http.get(path, params=query))

    def get_text(self, path: str) -> str:
        """GET a plain-text admin path (e.g. ``/metrics``)."""
        response = self._http.get(path)
        if response.status_code >= 400:
            self._check(response)
        return response.text

    def upsert_client(self, client_id: str, tokens: list[str], reason: str = "") -> Any:
        """Create a client or replace its tokens."""
        return self.post(
            "/admin/clients", {"client_id": client_id, "tokens": tokens, "reason": reason}
        )

    def create_player(self, player_id: str, currency: str, reason: str = "") -> Any:
        """Create a player (idempotent)."""
        return self.post(
            "/admin/players", {"player_id": player_id, "currency": currency, "reason": reason}
        )

    def deposit(
        self, player_id: str, currency: str, amount: str, reference: str, reason: str = ""
    ) -> Any:
        """Credit a player; ``amount`` is a decimal string such as ``"100.50"``."""
        return self.post(
            "/admin/deposits",
            {
                "player_id": player_id,
                "currency": currency,
                "amount": amount,
                "reference": reference,
                "reason": reason,
            },
        )

    def withdraw(
        self, player_id: str, currency: str, amount: str, reference: str, reason: str = ""
    ) -> Any:
        """Debit a player."""
        return self.post(
            "/admin/withdrawals",
            {
                "player_id": player_id,
                "currency": currency,
                "amount": amount,
                "reference": reference,
                "reason": reason,
            },
        )

    def open_session(
        self,
        client_id: str,
        player_id: str,
        currency: str,
        game_id: str,
        ttl_seconds: int | None = None,
    ) -> str:
        """Open a wallet session; return its id."""
        body: dict[str, Any] = {
            "client_id": client_id,
            "player_id": player_id,
            "currency": currency,
            "game_id": game_id,
        }
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        return str(self.post("/admin/sessions", body)["session_id"])

    def close_session(self, session_id: str, reason: str = "") -> Any:
        """Close a session."""
        return self.post(f"/admin/sessions/{session_id}/close", {"reason": reason})

    def limits(self, player_id: str) -> Any:
        """Every account of a player with its responsible-gambling state."""
        return self.get(f"/admin/players/{quote(player_id, safe='')}/limits")

    def set_limits(self, player_id: str, currency: str, reason: str, **limits: Any) -> Any:
        """Change limits of one account: ``loss_day="50.00"``, ``wager_week=None``
        (remove), ``session_minutes=60`` … (amounts as decimal strings)."""
        body = {"currency": currency, "reason": reason, **limits}
        return self.post(f"/admin/players/{quote(player_id, safe='')}/limits", body)

    def exclude(self, player_id: str, until: str | None, reason: str) -> Any:
        """Self-exclude a player until a date (``"2026-03-01"``), ``"indefinite"``, or
        end the exclusion (None; after the cooling-off)."""
        body = {"until": until, "reason": reason}
        return self.post(f"/admin/players/{quote(player_id, safe='')}/exclusion", body)

    def block(self, player_id: str, blocked: bool, reason: str) -> Any:
        """Block or unblock a player's bets."""
        body = {"blocked": blocked, "reason": reason}
        return self.post(f"/admin/players/{quote(player_id, safe='')}/block", body)
