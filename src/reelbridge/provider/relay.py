"""The outbox relay: delivers wins and refunds until they succeed (PROTOCOL.md B14–B15).

Each pass (``run_once``) first refunds bets whose sender died (a bet row still
'sending' after its lease: the answer was never stored, B15), then leases the wins and
refunds that are due and sends them. Leases make it safe to run a relay in every
provider process on one PostgreSQL database (the claim uses ``FOR UPDATE SKIP LOCKED``)
and to restart at any moment: an entry leased by a process that died is picked up again
when its lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable

from reelbridge.provider import rounds
from reelbridge.provider.spins import Deliverer
from reelbridge.storage import Engine

log = logging.getLogger("reelbridge.relay")
ORPHANED = "no answer stored for the bet (its sender stopped)"


class OutboxRelay:
    """Background delivery of the outbox."""

    def __init__(
        self,
        *,
        engine: Engine,
        deliverer: Deliverer,
        clock: Callable[[], int],
        lease_us: int,
        batch: int,
        interval_seconds: float,  # float ok: seconds
    ) -> None:
        self._engine = engine
        self._deliverer = deliverer
        self._clock = clock
        self._lease_us = lease_us
        self._batch = batch
        self._interval = interval_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.passes = 0

    async def run_once(self) -> int:
        """One pass: refund orphaned bets, deliver what is due; returns rows handled."""
        now = self._clock()
        stale = await self._engine.run(lambda: rounds.stale_bets(now=now, limit=self._batch))
        handled = 0
        for round_id in stale:
            refund = await self._engine.run(
                functools.partial(
                    rounds.refund_spin, round_id, reason=ORPHANED, now=now, lease_us=self._lease_us
                )
            )
            if refund is not None:
                log.warning("refunding orphaned bet of round %s", round_id)
                await self._deliverer.deliver(refund)
                handled += 1
        due = await self._engine.run(
            lambda: rounds.claim_due(now=self._clock(), lease_us=self._lease_us, limit=self._batch)
        )
        await asyncio.gather(*(self._deliverer.deliver(d) for d in due))
        self.passes += 1
        return handled + len(due)

    def wake(self) -> None:
        """Start the next pass now instead of after the interval."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                handled = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relay pass failed; retrying")
                handled = 0
            if handled >= self._batch:
                continue  # more is waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()

    def start(self) -> None:
        """Run passes in the background until ``stop``."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="outbox-relay")

    async def stop(self) -> None:
        """Stop the background passes (an interrupted delivery is retried later)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
