"""The outbox: every wallet call, stored before it is sent, delivered until it lands.

PROTOCOL.md B14–B15. This module owns the ``outbox`` table, the resend policy, the
delivery of one row and the relay that keeps delivering.

Theory of operation. A round's unit of work writes its wallet call here with the exact
body bytes (``add``), in the same transaction as the round's move (``rounds.py``), and
the caller sends it right after the commit. A bet is sent once, by its spin; while its
answer is not stored the row is ``sending`` with a lease: a bet whose lease ran out
belongs to a process that died or hung, and the relay asks the round side to refund it
(``OrphanHandler``; B15). Wins and refunds are ``pending`` until the wallet answers
success; every other answer (an error, garbage, a timeout) schedules a resend of the
same bytes with capped exponential backoff and jitter, without end. Claims take a lease
too (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so a relay runs in every provider
process and a restart at any moment loses nothing: what a dead process had claimed is
claimed again when its lease runs out. Which kinds are resent, and what a failed
attempt leaves, is decided by ``states.py``; the numbers by ``backoff_delay_us``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Protocol

import msgspec

from reelbridge.games import Rng
from reelbridge.observability import ProviderMetrics
from reelbridge.provider.clients import ClientDirectory
from reelbridge.provider.states import (
    OutboxKind,
    OutboxStatus,
    after_failed_attempt,
    initial_status,
)
from reelbridge.provider.wallet_client import Accepted, CallContext, Unknown, WalletClient
from reelbridge.storage import Engine, Flow, Sql, run, value
from reelbridge.storage.listing import Listing, eq, int_filter
from reelbridge.storage.rows import columns, fetch_all, fetch_one

log = logging.getLogger("reelbridge.outbox")

# -- the resend policy (pure) -------------------------------------------------------------

FIRST_RESEND_US = 1_000_000
"""The first resend comes within 1 s (B14)."""
CAP_US = 60_000_000
"""No two attempts are further apart than 60 s (B14)."""
JITTER_STEPS = 1_000_000
"""Jitter is drawn as an integer in ``range(JITTER_STEPS)`` from the injected RNG."""


def backoff_delay_us(attempts: int, jitter: int) -> int:
    """Microseconds to wait before the next attempt of a win or refund.

    Args:
        attempts: attempts made so far (≥ 1).
        jitter: a uniform draw in ``range(JITTER_STEPS)``: spreads resends so that rows
            that failed together don't retry together.

    Returns:
        A delay in [base/2, base), base = min(1 s × 2^(attempts-1), 60 s).
    """
    base = min(CAP_US, FIRST_RESEND_US << min(max(attempts, 1) - 1, 20))
    half = base // 2
    return half + half * min(max(jitter, 0), JITTER_STEPS - 1) // JITTER_STEPS


# -- rows --------------------------------------------------------------------------------


class OutboxEntry(msgspec.Struct, frozen=True, array_like=True):
    """A stored wallet call (``body``: the exact bytes sent, as text)."""

    id: int
    client_id: str
    round_id: str
    kind: OutboxKind
    transaction_id: str
    body: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: int
    lease_until: int
    last_error: str | None
    reply: str | None
    created_at: int
    delivered_at: int | None


class Delivery(msgspec.Struct, frozen=True):
    """An outbox row to send now: the exact bytes and where they belong."""

    outbox_id: int
    client_id: str
    round_id: str
    kind: OutboxKind
    transaction_id: str
    body: bytes
    attempts: int

    @classmethod
    def of(cls, entry: OutboxEntry) -> Delivery:
        """The delivery of a stored row."""
        return cls(
            entry.id,
            entry.client_id,
            entry.round_id,
            entry.kind,
            entry.transaction_id,
            entry.body.encode(),
            entry.attempts,
        )


_INSERT = Sql.of(
    """INSERT INTO outbox (client_id, round_id, kind, transaction_id, body, status, attempts,
              next_attempt_at, lease_until, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"""
)
_CLAIM = Sql.of(
    f"""UPDATE outbox SET lease_until = ?
        WHERE id IN (SELECT id FROM outbox
                      WHERE status = 'pending' AND next_attempt_at <= ? AND lease_until < ?
                      ORDER BY next_attempt_at, id LIMIT ? {{skip}})
        RETURNING {columns(OutboxEntry)}"""
)
_DELIVERED = Sql.of(
    """UPDATE outbox SET status = 'delivered', attempts = attempts + 1, reply = ?,
              delivered_at = ?, lease_until = 0
        WHERE id = ? AND status <> 'delivered' RETURNING id"""
)
_ATTEMPT_FAILED = Sql.of(
    """UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?,
              next_attempt_at = ?, lease_until = 0 WHERE id = ?"""
)
_BET_ANSWERED = Sql.of(
    """UPDATE outbox SET status = ?, reply = ?, last_error = ?, delivered_at = ?
        WHERE client_id = ? AND kind = 'bet' AND transaction_id = ?"""
)
_UNDELIVERED_WINS = Sql.of(
    "SELECT count(*) FROM outbox WHERE round_id = ? AND kind = 'win' AND status <> 'delivered'"
)
_STALE_BETS = Sql.of(
    f"""SELECT {columns(OutboxEntry)} FROM outbox
         WHERE kind = 'bet' AND status = 'sending' AND lease_until < ? ORDER BY id LIMIT ?"""
)


class _KindStatusCount(msgspec.Struct, frozen=True, array_like=True):
    kind: OutboxKind
    status: OutboxStatus
    rows: int


class _Pending(msgspec.Struct, frozen=True, array_like=True):
    oldest_at: int | None
    attempts: int


_BY_KIND_STATUS = Sql.of("SELECT kind, status, count(*) FROM outbox GROUP BY kind, status")
_PENDING = Sql.of(
    "SELECT min(created_at), CAST(COALESCE(sum(attempts), 0) AS BIGINT) FROM outbox"
    " WHERE status = 'pending'"
)

LISTING = Listing(
    f"SELECT {columns(OutboxEntry)} FROM outbox",
    OutboxEntry.__struct_fields__,
    {
        "client_id": eq("client_id"),
        "status": eq("status"),
        "kind": eq("kind"),
        "round_id": eq("round_id"),
        # from ?stuck_seconds=N: not delivered and created before now - N
        "created_before": int_filter("status IN ('pending', 'sending') AND created_at < ?"),
    },
    "id",
)

# -- units of work -----------------------------------------------------------------------


def add(
    kind: OutboxKind,
    *,
    client_id: str,
    round_id: str,
    transaction_id: str,
    body: bytes,
    now: int,
    lease_us: int,
) -> Flow[Delivery]:
    """Store a wallet call before it is sent (B14); leased to the caller, who sends it.

    A bet counts its one attempt now; a win or refund counts each attempt as it ends.
    """
    attempts = 1 if kind is OutboxKind.BET else 0
    outbox_id = yield value(
        _INSERT,
        client_id,
        round_id,
        kind.value,
        transaction_id,
        body.decode(),
        initial_status(kind).value,
        attempts,
        now,
        now + lease_us,
        now,
    )
    return Delivery(int(outbox_id), client_id, round_id, kind, transaction_id, body, attempts)


def bet_answered(
    client_id: str, transaction_id: str, *, accepted: bool, note: str, now: int
) -> Flow[None]:
    """Store what became of a bet: delivered (the wallet took it) or failed (refused,
    or of unknown fate and refunded); a bet is never sent again either way."""
    status = OutboxStatus.DELIVERED if accepted else after_failed_attempt(OutboxKind.BET)
    reply, error = (note, None) if accepted else (None, note[:500])
    yield run(_BET_ANSWERED, status.value, reply, error, now, client_id, transaction_id)


def claim_due(*, now: int, lease_us: int, limit: int) -> Flow[list[Delivery]]:
    """Lease the wins and refunds that are due (safe with relays in many processes)."""
    entries = yield from fetch_all(OutboxEntry, _CLAIM, now + lease_us, now, now, limit)
    return [Delivery.of(e) for e in entries]


def mark_delivered(delivery: Delivery, *, balance: int, now: int) -> Flow[bool]:
    """A win or refund succeeded; False if it already counted as delivered."""
    # One statement: on PostgreSQL a concurrent delivery of the same row waits for the
    # row lock, then finds it delivered and changes nothing.
    updated = yield value(_DELIVERED, f"balance {balance}", now, delivery.outbox_id)
    return updated is not None


def attempt_failed(delivery: Delivery, *, error: str, next_attempt_at: int) -> Flow[None]:
    """Count a failed attempt, remember why, and schedule the next one (if any)."""
    status = after_failed_attempt(delivery.kind)
    yield run(_ATTEMPT_FAILED, status.value, error[:500], next_attempt_at, delivery.outbox_id)


def undelivered_wins(round_id: str) -> Flow[int]:
    """How many win rows of a round still wait for the wallet."""
    count = yield value(_UNDELIVERED_WINS, round_id)
    return int(count)


def stale_bets(*, now: int, limit: int) -> Flow[list[OutboxEntry]]:
    """Bets still ``sending`` after their lease: their sender is gone (B15)."""
    return (yield from fetch_all(OutboxEntry, _STALE_BETS, now, limit))


def entry(outbox_id: int) -> Flow[OutboxEntry | None]:
    """One row."""
    sql = Sql.of(f"SELECT {columns(OutboxEntry)} FROM outbox WHERE id = ?")
    return (yield from fetch_one(OutboxEntry, sql, outbox_id))


class Gauges(msgspec.Struct, frozen=True):
    """What the outbox looks like now (for metrics)."""

    by_kind_status: list[tuple[str, str, int]]
    oldest_pending_at: int | None
    pending_attempts: int


def gauges() -> Flow[Gauges]:
    """Counts by kind and status, the oldest pending row, attempts spent on pending rows."""
    counts = yield from fetch_all(_KindStatusCount, _BY_KIND_STATUS)
    pending = yield from fetch_one(_Pending, _PENDING)
    return Gauges(
        [(c.kind.value, c.status.value, c.rows) for c in counts],
        None if pending is None else pending.oldest_at,
        0 if pending is None else pending.attempts,
    )


# -- delivery ---------------------------------------------------------------------------


class DeliveredHook(Protocol):
    """What the round side does, in the same transaction, when a win or refund lands."""

    def __call__(self, delivery: Delivery, *, balance: int, now: int) -> Flow[None]: ...


class OrphanHook(Protocol):
    """How the round side refunds a bet whose sender died (returns the refund to send)."""

    def __call__(
        self, bet: OutboxEntry, *, reason: str, now: int, lease_us: int
    ) -> Flow[Delivery | None]: ...


class Deliverer:
    """Sends one win or refund and records what happened (used by spins and the relay)."""

    def __init__(
        self,
        *,
        engine: Engine,
        wallet: WalletClient,
        clients: ClientDirectory,
        clock: Callable[[], int],
        jitter: Rng,
        on_delivered: DeliveredHook,
        metrics: ProviderMetrics | None = None,
    ) -> None:
        self._engine = engine
        self._wallet = wallet
        self._clients = clients
        self._clock = clock
        self._jitter = jitter
        self._on_delivered = on_delivered
        self.metrics = metrics if metrics is not None else ProviderMetrics()

    async def deliver(self, delivery: Delivery) -> int | None:
        """Send the row's exact bytes; the player's balance on success, else None (the
        row stays pending and is due again after the backoff)."""
        client = await self._clients.get(delivery.client_id)
        if delivery.attempts:
            self.metrics.resends.labels(delivery.kind.value).inc()
        if client is None:
            error = f"unknown client {delivery.client_id}"
        else:
            about = CallContext(
                delivery.kind.value,
                delivery.client_id,
                delivery.round_id,
                delivery.transaction_id,
                attempt=delivery.attempts + 1,
            )
            outcome = await self._wallet.call(
                client.wallet_url, client.tokens[0], delivery.body, bet=False, context=about
            )
            if isinstance(outcome, Accepted):
                now = self._clock()
                await self._engine.run(lambda: self._delivered(delivery, outcome.balance, now))
                return outcome.balance
            error = outcome.reason if isinstance(outcome, Unknown) else outcome.message
        delay = backoff_delay_us(delivery.attempts + 1, self._jitter.randbelow(JITTER_STEPS))
        due = self._clock() + delay
        await self._engine.run(lambda: attempt_failed(delivery, error=error, next_attempt_at=due))
        return None

    def _delivered(self, delivery: Delivery, balance: int, now: int) -> Flow[None]:
        if (yield from mark_delivered(delivery, balance=balance, now=now)):
            yield from self._on_delivered(delivery, balance=balance, now=now)


ORPHANED = "no answer stored for the bet (its sender stopped)"


class Relay:
    """Delivers the outbox in the background, and refunds orphaned bets (B14, B15)."""

    def __init__(
        self,
        *,
        engine: Engine,
        deliverer: Deliverer,
        on_orphan: OrphanHook,
        clock: Callable[[], int],
        lease_us: int,
        batch: int,
        interval_seconds: float,  # float ok: seconds
    ) -> None:
        self._engine = engine
        self._deliverer = deliverer
        self._on_orphan = on_orphan
        self._clock = clock
        self._lease_us = lease_us
        self._batch = batch
        self._interval = interval_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.passes = 0

    async def run_once(self) -> int:
        """One pass: refund orphaned bets, deliver what is due; the rows handled."""
        now = self._clock()
        handled = 0
        for bet in await self._engine.run(lambda: stale_bets(now=now, limit=self._batch)):
            refund = await self._engine.run(
                functools.partial(
                    self._on_orphan, bet, reason=ORPHANED, now=now, lease_us=self._lease_us
                )
            )
            if refund is not None:
                log.warning("refunding the orphaned bet of round %s", bet.round_id)
                self._deliverer.metrics.refunds.labels("orphaned_bet").inc()
                await self._deliverer.deliver(refund)
                handled += 1
        due = await self._engine.run(
            lambda: claim_due(now=self._clock(), lease_us=self._lease_us, limit=self._batch)
        )
        await asyncio.gather(*(self._deliverer.deliver(d) for d in due))
        self.passes += 1
        return handled + len(due)

    def wake(self) -> None:
        """Start the next pass now instead of after the interval."""
        self._wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                handled = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relay pass failed; retrying")
                handled = 0
            if self._stopping:
                return
            if handled >= self._batch:
                continue  # more is waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()

    def start(self) -> None:
        """Run passes in the background until ``stop``."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name="outbox-relay")

    async def stop(self, *, grace_seconds: float = 0.0) -> None:  # float ok: seconds
        """Stop the background passes between two deliveries: no new pass starts, the
        one under way may finish within ``grace_seconds`` (its deliveries are bounded by
        the wallet budget); past it, or with no grace, it is cancelled (an interrupted
        delivery keeps its lease and is sent again after it, B14)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), grace_seconds)
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
