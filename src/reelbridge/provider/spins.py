"""Spin orchestration (PROTOCOL.md B15–B16, DESIGN "A spin, end to end").

1. ``begin_spin`` stores the round and its bet (exact bytes) in one transaction.
2. The bet is sent once, within the 5 s budget.
3. Accepted → the outcome is drawn *now* (CSPRNG), stored with its win row(s), and the
   win is sent; Refused (known error) → the round is rejected, the message shown;
   Unknown (timeout, unknown error, unreadable) → a refund row, "Unknown error" shown.
4. Whatever was not delivered here stays in the outbox for the relay.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reelbridge.config import JackpotLevel
from reelbridge.games import Game, GamesError, Rng
from reelbridge.protocol import format_amount
from reelbridge.provider import rounds
from reelbridge.provider.directory import ClientDirectory
from reelbridge.provider.errors import BadStake, SessionGone
from reelbridge.provider.retry import backoff_delay_us
from reelbridge.provider.rounds import Delivery, Settlement
from reelbridge.provider.wallet_client import Accepted, Refused, Unknown, WalletClient
from reelbridge.storage import Engine

UNKNOWN_ERROR = "Unknown error"


@dataclass(frozen=True)
class Catalog:
    """The games this provider offers, in which currencies and languages."""

    games: dict[str, Game]
    currencies: frozenset[str]
    languages: tuple[str, ...]

    def game(self, game_id: str) -> Game | None:
        """The game, or None."""
        return self.games.get(game_id)


def draw_jackpot(levels: tuple[JackpotLevel, ...], rng: Rng) -> JackpotLevel | None:
    """Roll every level independently; the rarest level hit wins (one hit per spin)."""
    hits = [level for level in levels if rng.randbelow(level.odds) == 0]
    return max(hits, key=lambda level: level.odds) if hits else None


class Deliverer:
    """Sends one outbox row and records what happened (shared by spins and the relay)."""

    def __init__(
        self,
        *,
        engine: Engine,
        wallet: WalletClient,
        clients: ClientDirectory,
        clock: Callable[[], int],
    ) -> None:
        self._engine = engine
        self._wallet = wallet
        self._clients = clients
        self._clock = clock

    async def deliver(self, delivery: Delivery) -> int | None:
        """Send a win or refund; the player's balance on success, None otherwise."""
        client = await self._clients.get(delivery.client_id)
        if client is None:
            error = f"unknown client {delivery.client_id}"
        else:
            outcome = await self._wallet.call(
                client.wallet_url, client.tokens[0], delivery.body, bet=False
            )
            if isinstance(outcome, Accepted):
                now = self._clock()
                await self._engine.run(
                    lambda: rounds.delivered(delivery, balance=outcome.balance, now=now)
                )
                return outcome.balance
            error = outcome.reason if isinstance(outcome, Unknown) else outcome.message
        due = self._clock() + backoff_delay_us(delivery.attempts + 1, random.random())
        await self._engine.run(lambda: rounds.failed(delivery, error=error, next_attempt_at=due))
        return None


class SpinService:
    """Plays spins for game sessions (real money, freespins, demo)."""

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
        jackpots: tuple[JackpotLevel, ...],
        lease_us: int,
    ) -> None:
        self._engine = engine
        self._wallet = wallet
        self._clients = clients
        self._deliverer = deliverer
        self._catalog = catalog
        self._rng = rng
        self._clock = clock
        self._jackpots = jackpots
        self._lease_us = lease_us

    async def spin(self, launch_token: str, bet_id: int) -> dict[str, Any]:
        """Play one round; the answer the game client shows (see ``_answer``)."""
        session = await self._engine.run(lambda: rounds.session(launch_token))
        if session is None:
            raise SessionGone("this game session is unknown: launch the game again")
        game = self._catalog.game(session.game_id)
        if game is None:
            raise SessionGone(f"game {session.game_id} is no longer offered")
        try:
            bet_per_line = game.bet_per_line(bet_id)
        except GamesError as exc:
            raise BadStake(str(exc)) from None
        stake = game.total_stake(bet_per_line)
        round_id = f"r{self._clock()}{random.getrandbits(40):010x}"
        if session.demo:
            return await self._demo(game, launch_token, round_id, bet_per_line, stake)
        stake_of = {b: game.total_stake(b) for b in game.stake_levels}
        now = self._clock()
        ticket = await self._engine.run(
            lambda: rounds.begin_spin(
                launch_token,
                bet_per_line=bet_per_line,
                stake=stake,
                round_id=round_id,
                now=now,
                lease_us=self._lease_us,
                stake_of=stake_of,
            )
        )
        client = await self._clients.get(session.client_id)
        if client is None:
            outcome: Accepted | Refused | Unknown = Unknown("unknown client")
        else:
            outcome = await self._wallet.call(
                client.wallet_url, client.tokens[0], ticket.body, bet=True
            )
        if isinstance(outcome, Refused):
            now = self._clock()
            rejected = await self._engine.run(
                lambda: rounds.reject_spin(
                    ticket, code=outcome.code, message=outcome.message, now=now
                )
            )
            if not rejected:  # the answer came after the relay refunded the bet (B15)
                return _answer(
                    ticket.round_id, "refunding", ticket, error=("UNKNOWN_ERROR", UNKNOWN_ERROR)
                )
            return _answer(
                ticket.round_id, "rejected", ticket, error=(outcome.code, outcome.message)
            )
        if isinstance(outcome, Unknown):
            return await self._refund(ticket, outcome.reason)
        return await self._settle(game, ticket, outcome.balance)

    async def _settle(self, game: Game, ticket: rounds.SpinTicket, balance: int) -> dict[str, Any]:
        result = game.spin(ticket.bet_per_line, self._rng)  # drawn only now (B16)
        hit = draw_jackpot(self._jackpots, self._rng) if ticket.kind == "real" else None
        settlement = Settlement(
            win=result.total_win,
            draw={
                "reels": [list(s) for s in result.draw],
                "jackpot": None if hit is None else hit.name,
            },
            outcome=result.to_json(),
            jackpot_hit=hit,
            levels=self._jackpots,
        )
        now = self._clock()
        settled = await self._engine.run(
            lambda: rounds.settle_spin(
                ticket,
                bet_balance=balance,
                settlement=settlement,
                now=now,
                lease_us=self._lease_us,
            )
        )
        if settled is None:  # refunded by the relay meanwhile: the bet is being undone
            return _answer(
                ticket.round_id, "refunding", ticket, error=("UNKNOWN_ERROR", UNKNOWN_ERROR)
            )
        deliveries, jackpot_win = settled
        final: int | None = balance
        for delivery in deliveries:
            got = await self._deliverer.deliver(delivery)
            final = got if got is not None and final is not None else None
        return _answer(
            ticket.round_id,
            "settled" if final is not None else "settling",
            ticket,
            outcome=result.to_json(),
            win=result.total_win,
            balance=final,
            jackpot=None if hit is None else {"level": hit.name, "amount": jackpot_win},
        )

    async def _refund(self, ticket: rounds.SpinTicket, reason: str) -> dict[str, Any]:
        now = self._clock()
        delivery = await self._engine.run(
            lambda: rounds.refund_spin(
                ticket.round_id, reason=reason, now=now, lease_us=self._lease_us
            )
        )
        balance = None if delivery is None else await self._deliverer.deliver(delivery)
        status = "refunded" if balance is not None else "refunding"
        return _answer(
            ticket.round_id, status, ticket, balance=balance, error=("UNKNOWN_ERROR", UNKNOWN_ERROR)
        )

    async def _demo(
        self, game: Game, launch_token: str, round_id: str, bet_per_line: int, stake: int
    ) -> dict[str, Any]:
        result = game.spin(bet_per_line, self._rng)
        now = self._clock()
        balance = await self._engine.run(
            lambda: rounds.demo_spin(
                launch_token,
                round_id=round_id,
                bet_per_line=bet_per_line,
                stake=stake,
                win=result.total_win,
                draw=[list(s) for s in result.draw],
                outcome=result.to_json(),
                now=now,
            )
        )
        return {
            "round_id": round_id,
            "status": "settled",
            "kind": "demo",
            "stake": format_amount(stake),
            "win": format_amount(result.total_win),
            "outcome": result.to_json(),
            "balance": format_amount(balance),
            "error": None,
            "jackpot": None,
        }


def _answer(
    round_id: str,
    status: str,
    ticket: rounds.SpinTicket,
    *,
    outcome: Any = None,
    win: int | None = None,
    balance: int | None = None,
    error: tuple[str, str] | None = None,
    jackpot: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the game client gets: it never guesses a balance (None = not confirmed)."""
    return {
        "round_id": round_id,
        "status": status,
        "kind": ticket.kind,
        "stake": format_amount(ticket.stake),
        "win": None if win is None else format_amount(win),
        "outcome": outcome,
        "balance": None if balance is None else format_amount(balance),
        "error": None if error is None else {"code": error[0], "message": error[1]},
        "jackpot": None
        if jackpot is None or jackpot["amount"] is None
        else {"level": jackpot["level"], "amount": format_amount(jackpot["amount"])},
        "campaign_id": ticket.campaign_id,
    }
