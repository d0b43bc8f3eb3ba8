"""The wallet-call log: every wallet call the provider made, as it went and came back.

Next to the outbox (which keeps what must be delivered), this keeps what happened: each
call's request and response bodies, HTTP status (none when no answer came), what the
provider made of it, latency, attempt number and request id, for ``call_log_days``
days. It answers "what did the wallet say to round r?" by round, transaction or player
(``GET /admin/calls``, ``reelbridge provider calls``, the console's round page).

Calls are recorded without waiting: ``CallLog.record`` queues a row and a background
task writes the queue in one unit of work every ``FLUSH_SECONDS`` (or once 500 rows wait),
so a wallet call never waits for its log row. A crash can lose the last fraction of a
second of log rows (never an outbox row: B14 is not the log's job). Old rows are
deleted in passes of at most ``PRUNE_BATCH`` rows, once a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import msgspec

from reelbridge.provider.wallet_client import Accepted, CallContext, Outcome, RawReply, Refused
from reelbridge.storage import Engine, Flow, Sql, run
from reelbridge.storage.listing import Listing, eq
from reelbridge.storage.rows import columns, fetch_one, insert, params

log = logging.getLogger("reelbridge.call_log")
FLUSH_SECONDS = 0.5  # float ok: seconds
FLUSH_ROWS = 500
PRUNE_SECONDS = 60.0  # float ok: seconds
PRUNE_BATCH = 5000
MAX_BODY = 16 * 1024
"""Bodies are kept up to this many bytes (a wallet answer is a few dozen)."""


class WalletCall(msgspec.Struct, frozen=True, array_like=True):
    """One stored wallet call (the table's columns but its ``id``)."""

    client_id: str
    action: str
    round_id: str
    transaction_id: str
    player_id: str
    attempt: int
    request_id: str
    request_body: str | None
    status: int | None
    response_body: str | None
    outcome: str
    error: str | None
    latency_us: int
    created_at: int


class _RoundPlayer(msgspec.Struct, frozen=True, array_like=True):
    round_id: str
    player_id: str


COLUMNS = ("id", *WalletCall.__struct_fields__)
_INSERT = insert("wallet_calls", WalletCall)
_PLAYERS = Sql.of(f"SELECT {columns(_RoundPlayer)} FROM rounds WHERE round_id = ?")
_PRUNE = Sql.of(
    """DELETE FROM wallet_calls WHERE id IN
         (SELECT id FROM wallet_calls WHERE created_at < ? ORDER BY id LIMIT ?)"""
)

LISTING = Listing(
    f"SELECT {', '.join(COLUMNS)} FROM wallet_calls",
    COLUMNS,
    {
        "client_id": eq("client_id"),
        "round_id": eq("round_id"),
        "transaction_id": eq("transaction_id"),
        "player_id": eq("player_id"),
        "request_id": eq("request_id"),
        "action": eq("action"),
    },
    "id DESC",
)


def _text(data: bytes | None) -> str | None:
    if data is None:
        return None
    return data[:MAX_BODY].decode("utf-8", errors="replace")


def call_of(
    context: CallContext,
    *,
    request_id: str,
    body: bytes,
    reply: RawReply | None,
    outcome: Outcome,
    latency_us: int,
    now: int,
) -> WalletCall:
    """The stored row of one call (pure)."""
    kind = type(outcome).__name__.lower()
    error = None
    if isinstance(outcome, Refused):
        error = f"{outcome.code}: {outcome.message}"
    elif not isinstance(outcome, Accepted):
        error = outcome.reason
    return WalletCall(
        client_id=context.client_id,
        action=context.action,
        round_id=context.round_id,
        transaction_id=context.transaction_id,
        player_id=context.player_id,
        attempt=context.attempt,
        request_id=request_id,
        request_body=_text(body),
        status=None if reply is None else reply.status,
        response_body=None if reply is None else _text(reply.body),
        outcome=kind,
        error=None if error is None else error[:500],
        latency_us=latency_us,
        created_at=now,
    )


def write(calls: list[WalletCall]) -> Flow[None]:
    """Store a batch of calls; a call made for a round is filed under its player too."""
    players: dict[str, str] = {}
    for call in calls:
        if call.round_id and not call.player_id and call.round_id not in players:
            found = yield from fetch_one(_RoundPlayer, _PLAYERS, call.round_id)
            players[call.round_id] = "" if found is None else found.player_id
    for call in calls:
        if call.round_id and not call.player_id:
            call = msgspec.structs.replace(call, player_id=players[call.round_id])
        yield run(_INSERT, *params(call))


def prune(*, older_than: int, limit: int = PRUNE_BATCH) -> Flow[None]:
    """Delete up to ``limit`` rows written before ``older_than`` (µs)."""
    yield run(_PRUNE, older_than, limit)


class CallLog:
    """Adapter of the ``CallRecorder`` port: rows queued, written in batches, pruned."""

    def __init__(self, *, engine: Engine, clock: Callable[[], int], days: int) -> None:
        self._engine = engine
        self._clock = clock
        self._keep_us = days * 86_400 * 1_000_000
        self.enabled = days > 0
        self._queue: list[WalletCall] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def record(
        self,
        context: CallContext,
        *,
        request_id: str,
        body: bytes,
        reply: RawReply | None,
        outcome: Outcome,
        latency_us: int,
    ) -> None:
        """Queue one call's row (written within ``FLUSH_SECONDS``)."""
        if not self.enabled:
            return
        self._queue.append(
            call_of(context, request_id=request_id, body=body, reply=reply, outcome=outcome,
                   latency_us=latency_us, now=self._clock())
        )  # fmt: skip
        if len(self._queue) >= FLUSH_ROWS:
            self._wake.set()

    @property
    def pending(self) -> int:
        """Rows queued, not written yet."""
        return len(self._queue)

    async def flush(self) -> None:
        """Write what is queued now."""
        rows, self._queue = self._queue, []
        if rows:
            await self._engine.run(lambda: write(rows))

    async def prune(self) -> None:
        """Delete (a batch of) the rows older than the log keeps."""
        cutoff = self._clock() - self._keep_us
        await self._engine.run(lambda: prune(older_than=cutoff))

    async def _loop(self) -> None:
        last_prune = 0.0  # float ok: monotonic seconds
        loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), FLUSH_SECONDS)
            self._wake.clear()
            try:
                await self.flush()
                if loop.time() - last_prune >= PRUNE_SECONDS:
                    last_prune = loop.time()
                    await self.prune()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("writing the wallet-call log failed; retrying")

    def start(self) -> None:
        """Write in the background until ``stop``."""
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="wallet-call-log")

    async def stop(self) -> None:
        """Stop the background task and write what is left."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self.flush()
