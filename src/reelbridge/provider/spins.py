"""Playing a round, end to end (PROTOCOL.md Part A "What the provider must do", B14–B18).

1. ``rounds.begin`` stores the round and its bet (exact bytes) in one transaction.
2. The bet is sent once, within the wallet budget (5 s).
3. Accepted → the outcome is drawn *now* from the injected RNG, with the round's jackpot
   draw, and stored with its win row(s) and the pools' moves (``rounds.store_outcome``);
   then the wins are sent. Refused (a known error) → the round is rejected and the
   wallet's message shown. Unknown (timeout, unknown error, garbage) → a refund row,
   "Unknown error" shown, nothing drawn.
4. Whatever is not delivered here stays in the outbox for the relay (``outbox.Relay``).

A remote engine's round (``remote_service.py``) takes steps 1–2 here too and stops at
"accepted"; its outcome arrives later through ``settle``.

Ports (all injected by ``bootstrap.py``): the storage ``Engine``, the ``WalletClient``
(its transport), the clock, the ``Rng`` and the source of round ids; tests use
``reelbridge.testing`` fakes for each.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, Protocol

from reelbridge.games import Rng, SlotGame
from reelbridge.protocol import GetBalance, encode_wallet_request, format_amount
from reelbridge.provider import jackpots, rounds, sessions
from reelbridge.provider.catalog import Catalog, bet_per_line, stakes
from reelbridge.provider.clients import ClientDirectory
from reelbridge.provider.errors import GameNotOffered, SessionGone
from reelbridge.provider.outbox import Deliverer, Delivery
from reelbridge.provider.remote_games import RemoteGame
from reelbridge.provider.rounds import UNKNOWN_ERROR, EngineRef, Outcome, Round, Ticket
from reelbridge.provider.sessions import GameSession
from reelbridge.provider.states import RoundKind, RoundStatus
from reelbridge.provider.wallet_client import (
    Accepted,
    CallContext,
    Refused,
    Unknown,
    WalletClient,
)
from reelbridge.storage import Engine

UNKNOWN = ("UNKNOWN_ERROR", UNKNOWN_ERROR)
KNOWN_SESSIONS = 10_000
"""Game sessions whose game and kind a spin service remembers (oldest forgotten first)."""


class RoundIds(Protocol):
    """Port: a new, unique round id per call."""

    def __call__(self) -> str: ...


def random_round_ids(clock: Callable[[], int]) -> RoundIds:
    """Production round ids: the time and 40 bits from the CSPRNG (sortable, unique)."""

    def new() -> str:
        return f"r{clock()}{secrets.token_hex(5)}"

    return new


class RecordingRng:
    """Passes draws through from an ``Rng`` and keeps them, so a round stores exactly
    the numbers its outcome came from (game recall, B16)."""

    def __init__(self, rng: Rng) -> None:
        self._rng = rng
        self.values: list[int] = []

    def randbelow(self, n: int, /) -> int:
        """A draw of the wrapped RNG, recorded."""
        value = self._rng.randbelow(n)
        self.values.append(value)
        return value


class SpinService:
    """Plays rounds for game sessions (real money, freespins, demo)."""

    def __init__(
        self,
        *,
        engine: Engine,
        wallet: WalletClient,
        clients: ClientDirectory,
        deliverer: Deliverer,
        catalog: Catalog,
        rng: Rng,
        clock: Callable[[], int],
        round_ids: RoundIds,
        lease_us: int,
    ) -> None:
        self._engine = engine
        self._wallet = wallet
        self._clients = clients
        self._deliverer = deliverer
        self._catalog = catalog
        self._rng = rng
        self._clock = clock
        self._round_ids = round_ids
        self._lease_us = lease_us
        self._known: dict[str, tuple[SlotGame, bool]] = {}

    def _remember(self, launch_token: str, game: SlotGame, *, demo: bool) -> tuple[SlotGame, bool]:
        # A session's game and kind never change: later spins skip reading them (one
        # unit of work less per spin); liveness is checked again when a round begins.
        if len(self._known) >= KNOWN_SESSIONS:
            del self._known[next(iter(self._known))]
        self._known[launch_token] = (game, demo)
        return game, demo

    async def live_session(self, launch_token: str) -> tuple[GameSession, SlotGame]:
        """The session of a launch token and its game (for the built-in client).

        Raises:
            SessionGone: unknown or expired, or its game is no longer offered.
            GameNotOffered: a remote engine's game (played through the engine API).
        """
        now = self._clock()
        session = await self._engine.run(lambda: sessions.live(launch_token, now))
        game = self._catalog.games.get(session.game_id)
        if game is None:
            raise SessionGone(f"game {session.game_id} is no longer offered")
        if isinstance(game, RemoteGame):
            raise GameNotOffered(f"{game.game_id} is played through its engine's own client")
        return session, game

    async def spin(self, launch_token: str, bet_id: int) -> dict[str, Any]:
        """Play one round of a built-in or plug-in game; the answer the client shows."""
        known = self._known.get(launch_token)
        if known is None:
            session, game = await self.live_session(launch_token)
            known = self._remember(launch_token, game, demo=session.demo)
        game, demo = known
        line_bet = bet_per_line(game, bet_id)
        if demo:
            return await self._demo(game, launch_token, line_bet)
        ticket, outcome = await self.open(launch_token, game, line_bet)
        if isinstance(outcome, Accepted):
            return await self._draw_and_settle(game, ticket, outcome.balance)
        return await self.bet_failed(ticket, outcome)

    async def open(
        self,
        launch_token: str,
        game: SlotGame,
        line_bet: int,
        *,
        engine: EngineRef | None = None,
    ) -> tuple[Ticket, Accepted | Refused | Unknown]:
        """Store a new round with its bet, then send the bet once; what the wallet said."""
        now, round_id, stake_of = self._clock(), self._round_ids(), stakes(game)
        ticket = await self._engine.run(
            lambda: rounds.begin(
                launch_token,
                round_id=round_id,
                bet_per_line=line_bet,
                stake_of=stake_of,
                now=now,
                lease_us=self._lease_us,
                engine=engine,
            )
        )
        client = await self._clients.get(ticket.round.client_id)
        if client is None:
            return ticket, Unknown("unknown client")
        r = ticket.round
        about = CallContext("bet", r.client_id, r.round_id, r.bet_transaction_id, r.player_id)
        outcome = await self._wallet.call(
            client.wallet_url, client.tokens[0], ticket.bet.body, bet=True, context=about
        )
        return ticket, outcome

    async def bet_failed(self, ticket: Ticket, outcome: Refused | Unknown) -> dict[str, Any]:
        """A refused bet (known error) or one of unknown fate (refund it, B15)."""
        r, now = ticket.round, self._clock()
        if isinstance(outcome, Refused):
            rejected = await self._engine.run(
                lambda: rounds.bet_refused(
                    r.round_id, code=outcome.code, message=outcome.message, now=now
                )
            )
            if rejected:
                return answer(r, RoundStatus.REJECTED, error=(outcome.code, outcome.message))
            return answer(r, RoundStatus.REFUNDING, error=UNKNOWN)  # refunded meanwhile
        refund = await self._engine.run(
            lambda: rounds.bet_unknown(
                r.round_id, reason=outcome.reason, now=now, lease_us=self._lease_us
            )
        )
        if refund is not None:
            self._deliverer.metrics.refunds.labels("unknown_bet").inc()
        balance = None if refund is None else await self._deliverer.deliver(refund)
        status = RoundStatus.REFUNDED if balance is not None else RoundStatus.REFUNDING
        return answer(r, status, balance=balance, error=UNKNOWN)

    async def _draw_and_settle(
        self, game: SlotGame, ticket: Ticket, bet_balance: int
    ) -> dict[str, Any]:
        r = ticket.round
        drawn = game.draw(self._rng)  # drawn only now, once the bet is accepted (B16)
        result = game.replay(r.bet_per_line, drawn)
        return await self.settle(
            r,
            Outcome(win=result.total_win, draw={"game": drawn}, outcome=result.to_json()),
            bet_balance=bet_balance,
        )

    async def settle(self, r: Round, result: Outcome, *, bet_balance: int | None) -> dict[str, Any]:
        """Store an accepted round's outcome with its jackpot draw and pool moves, then
        send its wins (the relay resends whatever does not land now)."""
        plan = self._catalog.jackpots
        payer, won = None, None
        draw = result.draw
        if plan is not None and r.kind is RoundKind.REAL:
            jackpot_rng = RecordingRng(self._rng)
            won = plan.draw(r.stake, jackpot_rng)
            payer = jackpots.payer(plan, won)
            draw = {**draw, "jackpot": {"u": jackpot_rng.values, "level": won and won.name}}
        stored = Outcome(win=result.win, draw=draw, outcome=result.outcome)
        now = self._clock()
        deliveries = await self._engine.run(
            lambda: rounds.store_outcome(
                r.round_id,
                stored,
                bet_balance=bet_balance,
                now=now,
                lease_us=self._lease_us,
                jackpot=payer,
            )
        )
        if deliveries is None:  # refunded by the relay meanwhile: the bet is being undone
            return answer(r, RoundStatus.REFUNDING, error=UNKNOWN)
        balance = await self._deliver_all(deliveries, bet_balance)
        settled = r  # nothing the answer shows has changed, unless a jackpot was won
        if won is not None:
            found = await self._engine.run(lambda: rounds.find(r.round_id))
            assert found is not None
            settled = found
        return answer(
            settled,
            RoundStatus.SETTLED if balance is not None else RoundStatus.SETTLING,
            outcome=result.outcome,
            win=result.win,
            balance=balance,
        )

    async def _deliver_all(self, deliveries: list[Delivery], balance: int | None) -> int | None:
        final = balance
        for delivery in deliveries:
            got = await self._deliverer.deliver(delivery)
            final = got if got is not None and final is not None else None
        return final

    async def _demo(self, game: SlotGame, launch_token: str, line_bet: int) -> dict[str, Any]:
        drawn = game.draw(self._rng)
        result = game.replay(line_bet, drawn)
        outcome = Outcome(win=result.total_win, draw={"game": drawn}, outcome=result.to_json())
        round_id, now, stake = self._round_ids(), self._clock(), game.total_stake(line_bet)
        await self._engine.run(
            lambda: rounds.demo(
                launch_token,
                round_id=round_id,
                bet_per_line=line_bet,
                stake=stake,
                result=outcome,
                now=now,
            )
        )
        stored = await self._engine.run(lambda: rounds.find(round_id))
        assert stored is not None
        return answer(
            stored,
            RoundStatus.SETTLED,
            outcome=outcome.outcome,
            win=outcome.win,
            balance=stored.balance_after,
        )

    async def balance(self, session: GameSession) -> int | None:
        """The player's balance now: the wallet's (None if it did not answer), or the
        demo's virtual one."""
        if session.demo:
            return session.balance
        client = await self._clients.get(session.client_id)
        if client is None:
            return None
        body = encode_wallet_request(GetBalance(session_id=session.session_id))
        about = CallContext("balance", session.client_id, player_id=session.player_id)
        outcome = await self._wallet.call(
            client.wallet_url, client.tokens[0], body, bet=False, context=about
        )
        return outcome.balance if isinstance(outcome, Accepted) else None


def answer(
    r: Round,
    status: RoundStatus,
    *,
    outcome: Any = None,
    win: int | None = None,
    balance: int | None = None,
    error: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """What the game client gets: it never guesses a balance (None = not confirmed)."""
    return {
        "round_id": r.round_id,
        "status": status.value,
        "kind": r.kind.value,
        "stake": format_amount(r.stake),
        "win": None if win is None else format_amount(win),
        "outcome": outcome,
        "balance": None if balance is None else format_amount(balance),
        "error": None if error is None else {"code": error[0], "message": error[1]},
        "jackpot": None
        if r.jackpot_level is None or r.jackpot_win is None
        else {"level": r.jackpot_level, "amount": format_amount(r.jackpot_win)},
        "campaign_id": r.campaign_id,
    }
