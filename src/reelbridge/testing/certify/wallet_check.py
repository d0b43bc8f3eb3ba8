"""The wallet kit's set-up and the context every wallet scenario runs in.

Set-up uses exactly five admin calls when an admin API is given (issue 9):
``POST /admin/clients``, ``/admin/players``, ``/admin/deposits``, ``/admin/sessions``
and ``/admin/sessions/{id}/close``. Without one, scenarios play with the given
pre-made sessions (working in balance deltas, refunding what they can) and those that
need a fresh player, a closed session or a second client are reported as not run.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx

from reelbridge.protocol import format_amount, parse_amount_text
from reelbridge.testing.certify.runner import Evidence, NotRun
from reelbridge.testing.certify.wallet_probe import Answer, WalletHttp, wallet_body

NEEDS_ADMIN = "needs the wallet's admin API (give --admin-url and --admin-token)"


@dataclass(frozen=True)
class WalletTarget:
    """The wallet under test and how the kit may set itself up there.

    Attributes:
        url: the wallet endpoint (``http://host/wallet/my-client``).
        client_id: the client the kit plays (its calls are signed with ``token``).
        token: that client's token.
        admin_url: base URL of the five-call admin API (None: use ``sessions``).
        admin_token: bearer token of the admin API.
        sessions: pre-made open sessions of funded players, for ``game_id``.
        game_id: the game of every session the kit opens or is given.
        currency: the currency of the players the kit creates.
        timeout: seconds a wallet call may take before it counts as unanswered.
        load_seconds: length of the load phase.
        load_workers: concurrent clients of the load phase.
    """

    url: str
    client_id: str
    token: str
    admin_url: str | None = None
    admin_token: str | None = None
    sessions: tuple[str, ...] = ()
    game_id: str = "certify-game"
    currency: str = "EUR"
    timeout: float = 10.0  # float ok: seconds
    load_seconds: float = 3.0  # float ok: seconds
    load_workers: int = 16


class SetupError(Exception):
    """The kit cannot start: the wallet or its admin API is unreachable or refuses."""


@dataclass(frozen=True)
class Seat:
    """A session to play with: its id, game and balance (units) when handed out."""

    session_id: str
    game_id: str
    start: int
    player_id: str | None = None


class WalletSetup:
    """Hands out sessions and performs the admin steps scenarios need."""

    def __init__(self, target: WalletTarget, http: httpx.AsyncClient, wallet: WalletHttp) -> None:
        self.target = target
        self.wallet = wallet
        self._http = http
        self._run = secrets.token_hex(4)
        self._count = 0
        self._next_session = 0

    @property
    def admin(self) -> bool:
        """Whether the admin API was given."""
        return self.target.admin_url is not None

    def new_id(self, kind: str) -> str:
        """An id no earlier run used: ``certify-<run>-<kind>-<n>``."""
        self._count += 1
        return f"certify-{self._run}-{kind}-{self._count}"

    async def _admin(self, path: str, body: dict[str, Any]) -> Any:
        if self.target.admin_url is None:
            raise NotRun(NEEDS_ADMIN)
        url = self.target.admin_url.rstrip("/") + path
        headers = {"Authorization": f"Bearer {self.target.admin_token or ''}"}
        try:
            response = await self._http.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise SetupError(f"admin API unreachable at {url}: {exc}") from None
        if response.status_code >= 400:
            raise SetupError(
                f"admin API refused POST {path}: {response.status_code} {response.text[:300]}"
            )
        try:
            return response.json()
        except ValueError:
            raise SetupError(f"admin API answered POST {path} with non-JSON") from None

    async def prepare(self) -> None:
        """Check the wallet answers at all and (with the admin API) register the client.

        Raises:
            SetupError: nothing answers, or the admin API refuses.
        """
        probe = await self.wallet.post(wallet_body("balance", session_id=self.new_id("probe")))
        if probe.exchange.status is None:
            raise SetupError(f"the wallet at {self.wallet.url} does not answer: {probe.problem}")
        if self.admin:
            await self.set_tokens([self.target.token])
        elif not self.target.sessions:
            raise SetupError("give --admin-url/--admin-token, or at least one --session")
        for session in self.target.sessions:
            answer = await self.wallet.post(wallet_body("balance", session_id=session))
            if not answer.ok:
                raise SetupError(
                    f"a signed balance call of session {session} got {answer.describe()}: "
                    "check --url, --client-id, --token and that the session is open"
                )

    async def set_tokens(self, tokens: list[str], client_id: str | None = None) -> None:
        """Admin call 1: create the client or replace its tokens."""
        await self._admin(
            "/admin/clients",
            {"client_id": client_id or self.target.client_id, "tokens": tokens},
        )

    async def seat(self, balance: str = "100", *, fresh: str = "") -> Seat:
        """A session whose player holds at least ``balance``; exactly that, in a session
        of its own, when ``fresh`` says why the scenario needs one.

        With the admin API: a new player, a deposit and a session (admin calls 2–4).
        Without: the next pre-made session, if it holds enough.
        """
        need = parse_amount_text(balance)
        if self.admin:
            player = self.new_id("player")
            await self._admin(
                "/admin/players", {"player_id": player, "currency": self.target.currency}
            )
            if need:
                await self.deposit(player, balance)
            opened = await self._admin(
                "/admin/sessions",
                {
                    "client_id": self.target.client_id,
                    "player_id": player,
                    "currency": self.target.currency,
                    "game_id": self.target.game_id,
                },
            )
            return Seat(str(opened["session_id"]), self.target.game_id, need, player)
        if fresh:
            raise NotRun(f"{fresh}: {NEEDS_ADMIN}")
        sessions = self.target.sessions
        session = sessions[self._next_session % len(sessions)]
        self._next_session += 1
        answer = await self.wallet.post(wallet_body("balance", session_id=session))
        if not answer.ok or answer.balance is None:
            raise NotRun(f"pre-made session {session} is not usable: {answer.describe()}")
        if answer.balance < need:
            raise NotRun(
                f"pre-made session {session} holds {format_amount(answer.balance)}, needs {balance}"
            )
        return Seat(session, self.target.game_id, answer.balance)

    async def deposit(self, player_id: str, amount: str) -> None:
        """Admin call 3: credit a player."""
        await self._admin(
            "/admin/deposits",
            {
                "player_id": player_id,
                "currency": self.target.currency,
                "amount": amount,
                "reference": self.new_id("deposit"),
            },
        )

    async def close(self, seat: Seat) -> None:
        """Admin call 5: close the seat's session."""
        await self._admin(f"/admin/sessions/{seat.session_id}/close", {})


class WalletCheck(Evidence):
    """The context of one wallet scenario: requests, set-up and expectations."""

    def __init__(self, setup: WalletSetup) -> None:
        super().__init__()
        self.setup = setup
        self.wallet = setup.wallet
        self.target = setup.target

    def new_id(self, kind: str = "tx") -> str:
        """A fresh transaction or round id."""
        return self.setup.new_id(kind)

    async def bet(
        self,
        seat: Seat,
        amount: str,
        *,
        tx: str,
        round_id: str,
        type: str = "bet",
        quoted: bool = False,
        note: str = "",
    ) -> Answer:
        """Send a bet of ``amount`` (decimal text)."""
        body = wallet_body(
            "bet",
            type=type,
            session_id=seat.session_id,
            amount=amount,
            quoted=quoted,
            transaction_id=tx,
            round_id=round_id,
            game_id=seat.game_id,
        )
        return await self.wallet.post(body, note=note)

    async def win(
        self, seat: Seat, amount: str, *, tx: str, round_id: str, type: str = "win", note: str = ""
    ) -> Answer:
        """Send a win of ``amount`` (decimal text)."""
        body = wallet_body(
            "win",
            type=type,
            session_id=seat.session_id,
            amount=amount,
            transaction_id=tx,
            round_id=round_id,
            game_id=seat.game_id,
        )
        return await self.wallet.post(body, note=note)

    async def refund(self, seat: Seat, *, tx: str, round_id: str, note: str = "") -> Answer:
        """Refund the bet ``tx``."""
        body = wallet_body(
            "refund",
            session_id=seat.session_id,
            transaction_id=tx,
            round_id=round_id,
            game_id=seat.game_id,
        )
        return await self.wallet.post(body, note=note)

    async def balance(self, seat: Seat) -> Answer:
        """Ask the seat's balance."""
        return await self.wallet.post(wallet_body("balance", session_id=seat.session_id))

    # -- expectations -------------------------------------------------------------------

    def ok(self, answer: Answer, what: str, *, key: bool = False) -> int:
        """The balance of a success answer; fail the scenario otherwise (``key``: this
        exchange proves the rule)."""
        if answer.problem is not None or answer.balance is None:
            self.fail(f"{what}: expected success, got {answer.describe()}", answer.exchange)
        self.decided(answer.exchange, key=key)
        return answer.balance

    def refused(
        self, answer: Answer, codes: str | tuple[str, ...], what: str, *, key: bool = True
    ) -> None:
        """Fail unless ``answer`` is a valid refusal with one of ``codes`` (by default
        the refusal is what proves the rule)."""
        wanted = (codes,) if isinstance(codes, str) else codes
        if answer.problem is not None or answer.code not in wanted:
            self.fail(
                f"{what}: expected {' or '.join(wanted)}, got {answer.describe()}", answer.exchange
            )
        self.decided(answer.exchange, key=key)

    async def balance_is(self, seat: Seat, expected: int, why: str, *, key: bool = False) -> None:
        """Ask the balance and fail unless it is exactly ``expected`` units."""
        answer = await self.balance(seat)
        got = self.ok(answer, "balance", key=key)
        if got != expected:
            self.fail(
                f"{why}: balance is {format_amount(got)}, expected {format_amount(expected)}",
                answer.exchange,
            )
