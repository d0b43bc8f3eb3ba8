"""Rounds of remote game engines: open, settle, cancel, and what a session shows.

``web/engine_api.py`` calls this once the engine's signature has been verified; the API
itself is documented there and in ``docs/remote-engine.md``. What reelbridge keeps for
the engine is what it keeps for its own games: the session, the bet sent once and
refunded when its fate is unknown (B15), the freespin campaign that comes first (B17),
the outcome stored before any win is sent and the wins resent until they land (B14,
B16), the jackpot drawn at settle and paid as its own win (B18), and recall.

Every answer is read back from storage, so a repeated request (the same engine round
id and the same content) gets the stored state and never a second bet or win; the same
id with other content is a ``RoundConflict``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reelbridge.protocol import LEDGER_LIMIT, format_amount
from reelbridge.provider import campaigns, jackpots, remote_rounds, rounds, sessions
from reelbridge.provider.catalog import bet_per_line, rtp_figures
from reelbridge.provider.errors import (
    BadOutcome,
    RoundConflict,
    SessionGone,
    SpinInProgress,
    UnknownRound,
)
from reelbridge.provider.outbox import Deliverer
from reelbridge.provider.remote_games import RemoteGame, RemoteGames
from reelbridge.provider.rounds import EngineRef, Outcome, Round
from reelbridge.provider.sessions import GameSession
from reelbridge.provider.spins import RoundIds, SpinService
from reelbridge.provider.states import RoundKind, RoundStatus
from reelbridge.provider.wallet_client import Accepted
from reelbridge.storage import Engine

MAX_WIN_PER_STAKE = 100_000
"""A win above 100 000 × the round's stake is refused as bad input: no slot pays that
much, so it is an engine's bug (or a forged body), not a win to pay."""

S = RoundStatus
_CONFIRMED = frozenset({S.ACCEPTED, S.SETTLED, S.REFUNDED})
"""Statuses whose stored balance is the wallet's own answer (others: not confirmed)."""


class RemoteRounds:
    """The round API of remote engines."""

    def __init__(
        self,
        *,
        engine: Engine,
        spins: SpinService,
        games: RemoteGames,
        deliverer: Deliverer,
        clock: Callable[[], int],
        round_ids: RoundIds,
        lease_us: int,
    ) -> None:
        self._db = engine
        self._spins = spins
        self._games = games
        self._deliverer = deliverer
        self._clock = clock
        self._round_ids = round_ids
        self._lease_us = lease_us

    async def open(
        self, engine_id: str, engine_round_id: str, launch_token: str, bet_id: int
    ) -> dict[str, Any]:
        """Open a round and send its bet (or play it against a demo balance).

        Raises:
            SessionGone: the launch token is no live session of this engine's games.
            BadStake: no stake level ``bet_id``.
            RoundConflict: the engine round id was opened with other content.
            SpinInProgress: the session's (or this round's) bet is still in flight.
        """
        await self._games.sync()
        existing = await self._by_engine_round(engine_id, engine_round_id)
        if existing is not None:
            return _repeat_open(existing, launch_token, bet_id)
        now = self._clock()
        session = await self._db.run(lambda: sessions.live(launch_token, now))
        game = self._game_of(engine_id, session)
        line_bet = bet_per_line(game, bet_id)
        ref = EngineRef(engine_id, engine_round_id, bet_id)
        try:
            if session.demo:
                round_id, stake = self._round_ids(), game.total_stake(line_bet)
                opened = await self._db.run(
                    lambda: remote_rounds.demo_open(
                        launch_token,
                        round_id=round_id,
                        engine=ref,
                        bet_per_line=line_bet,
                        stake=stake,
                        now=now,
                    )
                )
                return open_answer(opened)
            ticket, outcome = await self._spins.open(launch_token, game, line_bet, engine=ref)
        except RoundConflict:  # a concurrent open of the same engine round id won
            existing = await self._by_engine_round(engine_id, engine_round_id)
            if existing is None:
                raise
            return _repeat_open(existing, launch_token, bet_id)
        round_id = ticket.round.round_id
        if isinstance(outcome, Accepted):
            now = self._clock()
            await self._db.run(
                lambda: remote_rounds.bet_accepted(round_id, balance=outcome.balance, now=now)
            )
        else:
            await self._spins.bet_failed(ticket, outcome)
        return open_answer(await self._find(round_id))

    async def settle(
        self, engine_id: str, engine_round_id: str, outcome: dict[str, Any], win: int
    ) -> dict[str, Any]:
        """Store an accepted round's outcome, draw its jackpot, send its wins.

        Raises:
            UnknownRound: the engine opened no such round.
            BadOutcome: a negative win, or one past ``MAX_WIN_PER_STAKE``.
            RoundConflict: the round is settled with another outcome, or has no bet to
                settle (rejected or refunded).
            SpinInProgress: the round's bet is still in flight.
        """
        r = await self._engine_round(engine_id, engine_round_id)
        if r.status is S.ACCEPTED:
            _check_win(r, win)
            result = Outcome(win=win, draw={}, outcome=outcome)
            if r.kind is RoundKind.DEMO:
                now = self._clock()
                await self._db.run(lambda: remote_rounds.demo_settle(r.round_id, result, now=now))
            else:
                await self._spins.settle(r, result, bet_balance=None)
            r = await self._find(r.round_id)
        if r.status is S.BETTING:
            raise SpinInProgress("the round's bet is still in flight: settle once it is accepted")
        if r.status not in (S.SETTLING, S.SETTLED):
            raise RoundConflict(f"the round is {r.status}: it has no bet to settle")
        if not remote_rounds.same_settle(r, win, outcome):
            raise RoundConflict("the round is already settled with another outcome or win")
        return settle_answer(r)

    async def cancel(self, engine_id: str, engine_round_id: str, reason: str) -> dict[str, Any]:
        """Void an accepted round that has no outcome: its bet is refunded.

        Raises:
            UnknownRound: the engine opened no such round.
            RoundConflict: the round is settled.
            SpinInProgress: the round's bet is still in flight.
        """
        r = await self._engine_round(engine_id, engine_round_id)
        if r.status is S.ACCEPTED:
            now = self._clock()
            if r.kind is RoundKind.DEMO:
                await self._db.run(
                    lambda: remote_rounds.demo_void(r.round_id, reason=reason, now=now)
                )
            else:
                refund = await self._db.run(
                    lambda: remote_rounds.engine_voided(
                        r.round_id, reason=reason, now=now, lease_us=self._lease_us
                    )
                )
                if refund is not None:
                    self._deliverer.metrics.refunds.labels("engine_cancel").inc()
                    await self._deliverer.deliver(refund)
            r = await self._find(r.round_id)
        if r.status is S.BETTING:
            raise SpinInProgress("the round's bet is still in flight: cancel once it is answered")
        if r.status in (S.SETTLING, S.SETTLED):
            raise RoundConflict("the round is settled: it can't be cancelled")
        return {**_ids(r), "status": r.status.value, "balance": _balance(r), "error": _error(r)}

    async def session(self, engine_id: str, launch_token: str) -> dict[str, Any]:
        """What the engine needs to draw a launched game.

        Raises:
            SessionGone: the launch token is no live session of this engine's games.
        """
        await self._games.sync()
        now = self._clock()
        session = await self._db.run(lambda: sessions.live(launch_token, now))
        game = self._game_of(engine_id, session)
        balance = await self._spins.balance(session)
        campaign, pools = None, []
        if not session.demo:
            s = session
            campaign = await self._db.run(
                lambda: campaigns.playable(s.client_id, s.player_id, s.game_id, s.currency, now=now)
            )
            pools = await self._db.run(lambda: jackpots.pools(s.currency))
        plan = None if session.demo else self._games.jackpot_plan
        return {
            "player_id": session.player_id,
            "currency": session.currency,
            "language": session.language,
            "return_url": session.return_url,
            "demo": session.demo,
            "balance": None if balance is None else format_amount(balance),
            "expires_at": session.expires_at // 1_000_000,
            "game": {
                "game_id": game.game_id,
                "name": game.name,
                "lines": game.lines,
                "stakes": [
                    {
                        "bet_id": i,
                        "bet_per_line": format_amount(b),
                        "stake": format_amount(game.total_stake(b)),
                    }
                    for i, b in enumerate(game.stake_levels)
                ],
                "rtp": rtp_figures(game, plan, game.stake_levels[0]),
            },
            "campaign": None
            if campaign is None
            else {
                "campaign_id": campaign.new_campaign_id,
                "remaining": campaign.remaining,
                "bet_id": campaign.bet_id,
                "bet_per_line": format_amount(campaign.bet_per_line),
                "stake": format_amount(game.total_stake(campaign.bet_per_line)),
                "valid_until": campaign.valid_until // 1_000_000,
            },
            "jackpots": [
                {"name": p.level, "amount": format_amount(p.amount), "currency": p.currency}
                for p in pools
            ],
        }

    # -- helpers ------------------------------------------------------------------

    def _game_of(self, engine_id: str, session: GameSession) -> RemoteGame:
        game = self._games.game(session.game_id)
        if game is None or game.engine_id != engine_id:
            raise SessionGone("no live session of this engine's games has this launch token")
        return game

    async def _by_engine_round(self, engine_id: str, engine_round_id: str) -> Round | None:
        return await self._db.run(lambda: rounds.by_engine_round(engine_id, engine_round_id))

    async def _engine_round(self, engine_id: str, engine_round_id: str) -> Round:
        found = await self._by_engine_round(engine_id, engine_round_id)
        if found is None:
            raise UnknownRound(f"this engine opened no round {engine_round_id[:100]!r}")
        return found

    async def _find(self, round_id: str) -> Round:
        found = await self._db.run(lambda: rounds.find(round_id))
        assert found is not None  # our own id, just written
        return found


def _check_win(r: Round, win: int) -> None:
    if win < 0:
        raise BadOutcome("win must not be negative (a losing round wins 0)")
    if win > min(r.stake * MAX_WIN_PER_STAKE, LEDGER_LIMIT):
        raise BadOutcome(f"win is more than {MAX_WIN_PER_STAKE} times the stake")


def _repeat_open(r: Round, launch_token: str, bet_id: int) -> dict[str, Any]:
    if not remote_rounds.same_open(r, launch_token, bet_id):
        raise RoundConflict("this engine round id was opened with another launch token or bet_id")
    if r.status is S.BETTING:
        raise SpinInProgress("the round's bet is still in flight: repeat the request shortly")
    return open_answer(r)


def _ids(r: Round) -> dict[str, Any]:
    return {"round_id": r.round_id, "engine_round_id": r.engine_round_id}


def _balance(r: Round) -> str | None:
    confirmed = r.kind is RoundKind.DEMO or r.status in _CONFIRMED
    return None if r.balance_after is None or not confirmed else format_amount(r.balance_after)


def _error(r: Round) -> dict[str, str] | None:
    if r.error_code is None:
        return None
    return {"code": r.error_code, "message": r.error_message or ""}


def open_answer(r: Round) -> dict[str, Any]:
    """The answer to an open: the round's stored state (a balance only where the wallet
    confirmed it, or the demo's; ``error`` for a rejected or refunded round)."""
    return {
        **_ids(r),
        "status": r.status.value,
        "kind": r.kind.value,
        "stake": format_amount(r.stake),
        "balance": _balance(r),
        "error": _error(r),
        "campaign_id": r.campaign_id,
    }


def settle_answer(r: Round) -> dict[str, Any]:
    """The answer to a settle: ``settled`` once every win landed, else ``settling``
    (reelbridge resends them; the engine is done either way)."""
    return {
        **_ids(r),
        "status": r.status.value,
        "win": None if r.win is None else format_amount(r.win),
        "balance": _balance(r),
        "jackpot": None
        if r.jackpot_level is None or r.jackpot_win is None
        else {"level": r.jackpot_level, "amount": format_amount(r.jackpot_win)},
    }
