"""The provider kit's run state and the context every provider scenario runs in.

One run has one kit wallet (``FaultWallet``), one funded player with one wallet
session, and one launch of the game (a ``game-url`` call). Rounds are played one at a
time: a scenario queues faults for the next calls, a round is played (by the headless
player, or by a person in the printed launch URL), and the kit waits until the round is
settled at its wallet (a win or a refund accepted) or the deadline passes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reelbridge.protocol import KNOWN_BET_ERRORS, ErrorCode
from reelbridge.testing import HeadlessPlayer, PlayerError
from reelbridge.testing.certify.fault_wallet import Call, FaultWallet
from reelbridge.testing.certify.provider_probe import ProviderHttp, ProviderTarget
from reelbridge.testing.certify.report import Exchange, clip
from reelbridge.testing.certify.runner import Evidence, NotRun
from reelbridge.testing.faults import Fault

RETURN_URL = "https://casino.example/lobby"


def call_exchange(call: Call, wallet_url: str) -> Exchange:
    """A call received by the kit's wallet, as report evidence."""
    notes = [f"signature: {call.sign_reason}"]
    if call.fault:
        notes.insert(0, f"fault injected: {call.fault}")
    return Exchange(
        method="POST",
        url=f"{wallet_url}/wallet/{call.client_id}",
        request=clip(call.body),
        headers={} if call.signature is None else {"X-Sign": call.signature},
        status=call.status,
        response=clip(call.answer) if call.done else "(not answered yet)",
        latency_ms=call.latency_ms,
        note="; ".join(notes),
    )


def bet_fate(call: Call, budget_seconds: float) -> str:  # float ok: seconds
    """What a bet's answer meant to the provider: ``accepted``, ``known`` (a refusal
    it shows), ``unknown`` (it must refund: an unknown error, an unreadable or non-2xx
    answer, or an answer later than its budget) or ``pending``."""
    if not call.done:
        return "pending"
    if call.latency_ms > budget_seconds * 1000 or call.status is None:
        return "unknown"
    if call.accepted:
        return "accepted"
    try:
        data: Any = json.loads(call.answer) if 200 <= call.status < 300 else None
        code = (
            ErrorCode(data["code"])
            if isinstance(data, dict) and data.get("status") is False
            else None
        )
    except (ValueError, KeyError, TypeError):
        code = None
    return "known" if code in KNOWN_BET_ERRORS else "unknown"


@dataclass(frozen=True)
class RoundSeen:
    """One round as the kit's wallet saw it: its bet, every call of the round (bets,
    win attempts, refund attempts) and what the player was shown (headless only)."""

    bet: Call
    calls: tuple[Call, ...]
    shown: dict[str, Any] | None

    @property
    def round_id(self) -> str:
        """The bet's round id."""
        return self.bet.fields.get("round_id", "")

    @property
    def tx(self) -> str:
        """The bet's transaction id."""
        return self.bet.fields.get("transaction_id", "")

    def of(self, action: str) -> list[Call]:
        """The round's calls of ``action`` (refunds: those naming this bet)."""
        if action == "refund":
            return [
                c
                for c in self.calls
                if c.action == "refund" and c.fields.get("transaction_id") == self.tx
            ]
        return [c for c in self.calls if c.action == action]


class ProviderRun:
    """State shared by the scenarios of one run."""

    def __init__(
        self,
        *,
        target: ProviderTarget,
        wallet: FaultWallet,
        wallet_url: str,
        http: ProviderHttp,
        player_id: str,
        session_id: str,
        run_id: str,
        prompt: Callable[[str], None],
    ) -> None:
        self.target = target
        self.wallet = wallet
        self.wallet_url = wallet_url
        self.http = http
        self.player_id = player_id
        self.session_id = session_id
        self.run_id = run_id
        self.prompt = prompt
        self._count = 0
        self._launch: str | None = None
        self._launch_problem: str | None = None
        self.launch_exchange: Exchange | None = None
        self._player: HeadlessPlayer | None = None

    def new_id(self, kind: str) -> str:
        """An id unique to this run."""
        self._count += 1
        return f"certify-{self.run_id}-{kind}-{self._count}"

    async def launch_url(self) -> str:
        """The launch URL of the kit's session (one ``game-url`` call per run)."""
        if self._launch is None and self._launch_problem is None:
            if self.target.endpoint_url("game-url") is None:
                self._launch_problem = "the provider offers no game-url endpoint"
            else:
                reply = await self.http.call(
                    "game-url",
                    client_id=self.target.client_id,
                    game_id=self.target.game_id,
                    currency=self.target.currency,
                    language=self.target.language,
                    session_id=self.session_id,
                    player_id=self.player_id,
                    return_url=RETURN_URL,
                )
                self.launch_exchange = reply.exchange
                url = reply.data.get("url") if reply.data else None
                if isinstance(url, str) and url.startswith(("http://", "https://")):
                    self._launch = url
                else:
                    self._launch_problem = f"game-url gave no launch URL: {reply.describe()}"
        if self._launch is None:
            raise NotRun(f"no round can be played: {self._launch_problem}")
        return self._launch

    async def headless(self) -> HeadlessPlayer | None:
        """The headless player of the launch, or None when rounds are played by hand."""
        url = await self.launch_url()
        if self.target.manual:
            return None
        if self._player is None:
            try:
                player = HeadlessPlayer(url, timeout=self.target.wallet_timeout * 4 + 30)
            except PlayerError as exc:
                raise NotRun(f"{exc}; run with --manual and play the rounds by hand") from None
            try:
                await asyncio.to_thread(player.state)
            except PlayerError as exc:
                player.close()
                raise NotRun(
                    f"the launch URL has no reelbridge game API ({exc}); "
                    "run with --manual and play the rounds by hand"
                ) from None
            self._player = player
        return self._player

    def close(self) -> None:
        """Close the headless player's connections."""
        if self._player is not None:
            self._player.close()


class ProviderCheck(Evidence):
    """The context of one provider scenario."""

    def __init__(self, run: ProviderRun) -> None:
        super().__init__()
        self.run = run
        self.target = run.target
        self.http = run.http
        self.wallet = run.wallet

    def new_id(self, kind: str = "id") -> str:
        """An id unique to this run."""
        return self.run.new_id(kind)

    def evidence_of(self, *calls: Call) -> tuple[Exchange, ...]:
        """Calls received by the kit's wallet as report evidence."""
        return tuple(call_exchange(c, self.run.wallet_url) for c in calls)

    async def play_round(self, *faults: tuple[str, Fault], until: str, what: str) -> RoundSeen:
        """Queue ``faults`` ((action, fault) pairs) for the next calls, play one round and
        wait until it is settled at the kit's wallet: ``until`` is ``win`` (a win
        accepted), ``refund`` (a refund of the bet accepted) or ``quiet`` (no call for
        ``quiet_seconds`` after the bet's answer). Returns when settled or at the deadline.
        """
        player = await self.run.headless()
        mark = self.wallet.last_seq
        rules = [self.wallet.add(f, action=a, client_id=self.target.client_id) for a, f in faults]
        spin: asyncio.Future[dict[str, Any]] | None = None
        try:
            if player is None:
                self.run.prompt(f"Play one round now ({what}) in: {await self.run.launch_url()}")
                limit = self.target.manual_timeout
            else:
                spin = asyncio.ensure_future(asyncio.to_thread(player.spin, 0))
                limit = self.target.settle_timeout
            bet = await self._first_bet(mark, limit, spin)
            await self._settled(mark, bet, until)
            shown = await self._shown(spin)
        finally:
            for rule in rules:
                self.wallet.remove(rule.id)
        bet = next(c for c in self.wallet.calls(since=mark) if c.seq == bet.seq)
        seen = RoundSeen(bet, tuple(self._round_calls(mark, bet)), shown)
        self.decided(*self.evidence_of(bet))
        return seen

    @staticmethod
    async def _shown(spin: asyncio.Future[dict[str, Any]] | None) -> dict[str, Any] | None:
        if spin is None:
            return None
        try:
            return await spin
        except PlayerError as exc:
            return {"error": {"code": "PLAYER_ERROR", "message": str(exc)}}

    async def _first_bet(
        self,
        mark: int,
        limit: float,  # float ok: seconds
        spin: asyncio.Future[dict[str, Any]] | None,
    ) -> Call:
        deadline = time.monotonic() + limit
        while True:
            bets = self.wallet.calls(since=mark, action="bet")
            if bets:
                return bets[0]
            if spin is not None and spin.done():
                try:
                    answer: Any = spin.result()
                except PlayerError as exc:
                    answer = str(exc)
                self.fail(f"the round was played but no bet reached the kit's wallet: {answer}")
            if time.monotonic() > deadline:
                if spin is None:
                    raise NotRun(f"no round was played within {limit:g} s")
                self.fail(f"no bet reached the kit's wallet within {limit:g} s")
            await asyncio.sleep(0.02)

    def _round_calls(self, mark: int, bet: Call) -> list[Call]:
        rnd, tx = bet.fields.get("round_id"), bet.fields.get("transaction_id")
        return [
            c
            for c in self.wallet.calls(since=mark - 1)
            if c.fields.get("round_id") == rnd
            or (c.action == "refund" and c.fields.get("transaction_id") == tx)
        ]

    async def _settled(self, mark: int, bet: Call, until: str) -> None:
        tx = bet.fields.get("transaction_id")
        deadline = time.monotonic() + self.target.settle_timeout
        quiet_from: float | None = None  # float ok: monotonic seconds
        while time.monotonic() < deadline:
            calls = self._round_calls(mark, bet)
            won = any(c.action == "win" and c.accepted for c in calls)
            refunded = any(
                c.action == "refund" and c.accepted and c.fields.get("transaction_id") == tx
                for c in calls
            )
            if (until == "win" and (won or refunded)) or (until == "refund" and (refunded or won)):
                return
            if until == "quiet" and all(c.done for c in calls):
                latest = max(c.at for c in calls) + max(c.latency_ms for c in calls) / 1000
                quiet_from = max(quiet_from or 0.0, latest)
                if time.time() - quiet_from >= self.target.quiet_seconds:
                    return
            await asyncio.sleep(0.05)
