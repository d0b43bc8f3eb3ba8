"""Reconciliation: the provider's rounds against the wallet's journal, to the last 0.0001.

Theory of operation. Per client id, every real-money or freespin round the provider
stored is compared with the journal rows the wallet holds for that round, and every
journal row with the outbox row the provider wrote before sending it (B14): the
provider's outbox is the list of every call it ever made, so a wallet transaction that
is not in it was never sent by this provider. Demo rounds never meet the wallet. A
round *in flight* — ``betting``, its bet ``sending`` and still within its lease — is
being played right now and is left out of every comparison; everything else must agree
exactly (``Check``):

=====================  ==================================================================
check                  a difference when
=====================  ==================================================================
round_not_final        a round is not settled, refunded or rejected
outbox_pending         a win or refund has not been delivered yet (B14)
bet_lease_expired      a bet is still ``sending`` after its lease: nobody refunded it (B15)
settled_and_refunded   a round is both: settled with a refund row or with its bet refunded
                       at the wallet, or refunded with a win row
bet_missing            a settled round whose bet the wallet does not hold
bet_amount             the wallet's bet differs from the round's stake (0 for a freespin)
paid                   the wallet paid a settled round other than its win + jackpot
live_bet               a refunded or rejected round whose bet the wallet still holds
paid_unowed            the wallet paid a refunded or rejected round
unknown_transaction    a wallet transaction the provider never sent (not in its outbox)
player_net             a player's Σ(win + jackpot − stake) over settled rounds differs
                       from the wallet's net movement from play
ledger                 the wallet's ledger does not balance (double entry, /admin/ledger)
=====================  ==================================================================

Everything here is pure: ``reconcile`` takes both sides' rows (``books.py``) and the
time, and returns a ``Report``; reading the rows is ``sources.py``.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from typing import Any, Protocol

import msgspec

from reelbridge.protocol import format_amount
from reelbridge.provider.states import FINAL, OutboxKind, OutboxStatus, RoundKind, RoundStatus
from reelbridge.reconcile.books import (
    Books,
    ClientBooks,
    OutboxRow,
    ProviderRound,
    WalletTransaction,
)


class Check(enum.StrEnum):
    """What a difference breaks (the table in the module docstring)."""

    ROUND_NOT_FINAL = "round_not_final"
    OUTBOX_PENDING = "outbox_pending"
    BET_LEASE_EXPIRED = "bet_lease_expired"
    SETTLED_AND_REFUNDED = "settled_and_refunded"
    BET_MISSING = "bet_missing"
    BET_AMOUNT = "bet_amount"
    PAID = "paid"
    LIVE_BET = "live_bet"
    PAID_UNOWED = "paid_unowed"
    UNKNOWN_TRANSACTION = "unknown_transaction"
    PLAYER_NET = "player_net"
    LEDGER = "ledger"


class Difference(msgspec.Struct, frozen=True, omit_defaults=True):
    """One way the books disagree (money in units; ``expected`` is the provider's
    figure, ``actual`` the wallet's)."""

    check: Check
    detail: str
    client_id: str | None = None
    round_id: str | None = None
    transaction_id: str | None = None
    player_id: str | None = None
    currency: str | None = None
    expected: int | None = None
    actual: int | None = None


class PlayerTotals(msgspec.Struct, frozen=True):
    """One player's play in one currency, as each side counts it."""

    player_id: str
    currency: str
    settled_rounds: int
    provider_net: int
    wallet_net: int


class ClientSummary(msgspec.Struct, frozen=True):
    """What was compared for one client."""

    client_id: str
    rounds: dict[str, int]  # by status (demo rounds apart)
    demo_rounds: int
    in_flight: int
    transactions: int
    players: list[PlayerTotals]


class Report(msgspec.Struct, frozen=True):
    """The outcome of one reconciliation."""

    clients: list[ClientSummary]
    ledger_balanced: bool
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        """True when the books agree to the last unit."""
        return not self.differences


class _Differ(Protocol):
    def __call__(self, check: Check, detail: str, **where: Any) -> None: ...


def reconcile(books: Books) -> Report:
    """Compare both sides' books (see the module docstring for every check).

    Args:
        books: the rows of each client on both sides, the wallet's ledger check, and
            the time at which leases are judged.

    Returns:
        The summary per client and every difference found (none: the books agree).
    """
    summaries: list[ClientSummary] = []
    differences: list[Difference] = []
    for client in sorted(books.clients, key=lambda c: c.client_id):
        summary, found = _client(client, books.now)
        summaries.append(summary)
        differences.extend(found)
    if not books.ledger.balanced:
        differences.append(
            Difference(Check.LEDGER, f"the wallet's ledger does not balance: {books.ledger.detail}")
        )
    return Report(summaries, books.ledger.balanced, differences)


def _in_flight(rounds: list[ProviderRound], bets: dict[str, OutboxRow], now: int) -> set[str]:
    flying = set()
    for r in rounds:
        bet = bets.get(r.round_id)
        if (
            r.status is RoundStatus.BETTING
            and bet is not None
            and bet.status is OutboxStatus.SENDING
            and bet.lease_until >= now
        ):
            flying.add(r.round_id)
    return flying


def _client(books: ClientBooks, now: int) -> tuple[ClientSummary, list[Difference]]:
    client_id = books.client_id
    outbox_of: defaultdict[str, list[OutboxRow]] = defaultdict(list)
    for row in books.outbox:
        outbox_of[row.round_id].append(row)
    bets = {row.round_id: row for row in books.outbox if row.kind is OutboxKind.BET}
    flying = _in_flight(books.rounds, bets, now)
    found: list[Difference] = []

    def differ(check: Check, detail: str, **where: Any) -> None:
        found.append(Difference(check, detail, client_id=client_id, **where))

    for row in books.outbox:
        if row.round_id in flying:
            continue
        if row.status is OutboxStatus.PENDING:
            differ(
                Check.OUTBOX_PENDING,
                f"the {row.kind} is not delivered yet",
                round_id=row.round_id,
                transaction_id=row.transaction_id,
            )
        elif row.kind is OutboxKind.BET and row.status is OutboxStatus.SENDING:
            differ(
                Check.BET_LEASE_EXPIRED,
                "the bet is still being sent after its lease and was not refunded",
                round_id=row.round_id,
                transaction_id=row.transaction_id,
            )
    accepted: defaultdict[str, list[WalletTransaction]] = defaultdict(list)
    for t in books.transactions:
        if t.ok:
            accepted[t.round_id].append(t)
    for r in books.rounds:
        if r.kind is not RoundKind.DEMO and r.round_id not in flying:
            _round(r, outbox_of[r.round_id], accepted[r.round_id], differ)
    sent = {(row.round_id, str(row.kind), row.transaction_id) for row in books.outbox}
    for t in books.transactions:
        if (t.round_id, t.action, t.transaction_id) not in sent:
            differ(
                Check.UNKNOWN_TRANSACTION,
                f"the wallet holds a {t.action} ({t.outcome}) the provider never sent",
                round_id=t.round_id,
                transaction_id=t.transaction_id,
                player_id=t.player_id,
                currency=t.currency,
                actual=t.signed if t.ok else 0,
            )
    players = _players(books, flying)
    for p in players:
        if p.provider_net != p.wallet_net:
            differ(
                Check.PLAYER_NET,
                "the wallet's net movement from play is not the rounds' Σ(win + jackpot − stake)",
                player_id=p.player_id,
                currency=p.currency,
                expected=p.provider_net,
                actual=p.wallet_net,
            )
    statuses = Counter(str(r.status) for r in books.rounds if r.kind is not RoundKind.DEMO)
    summary = ClientSummary(
        client_id=client_id,
        rounds=dict(sorted(statuses.items())),
        demo_rounds=sum(r.kind is RoundKind.DEMO for r in books.rounds),
        in_flight=len(flying),
        transactions=len(books.transactions),
        players=players,
    )
    return summary, found


def _round(
    r: ProviderRound, rows: list[OutboxRow], txs: list[WalletTransaction], differ: _Differ
) -> None:
    at = {"round_id": r.round_id, "player_id": r.player_id, "currency": r.currency}
    if r.status not in FINAL:
        differ(Check.ROUND_NOT_FINAL, f"the round is still {r.status}", **at)
        return
    kinds = {row.kind for row in rows}
    if (r.status is RoundStatus.SETTLED and OutboxKind.REFUND in kinds) or (
        r.status is RoundStatus.REFUNDED and OutboxKind.WIN in kinds
    ):
        differ(Check.SETTLED_AND_REFUNDED, f"a {r.status} round has both wins and a refund", **at)
    bets = [t for t in txs if t.action == "bet" and t.transaction_id == r.bet_transaction_id]
    live = [t for t in bets if not t.refunded]
    paid = sum(t.moved for t in txs if t.action == "win")
    if r.status is RoundStatus.SETTLED:
        stake = r.stake if r.kind is RoundKind.REAL else 0
        if not bets:
            differ(Check.BET_MISSING, "the wallet does not hold the settled round's bet", **at)
        elif not live:
            differ(Check.SETTLED_AND_REFUNDED, "the wallet refunded a settled round's bet", **at)
        for t in live:
            if t.amount != stake or t.moved != stake:
                differ(
                    Check.BET_AMOUNT,
                    "the wallet's bet is not the round's stake",
                    transaction_id=t.transaction_id,
                    expected=stake,
                    actual=t.moved,
                    **at,
                )
        if paid != r.owed:
            differ(
                Check.PAID,
                "the wallet paid other than the round's win + jackpot",
                expected=r.owed,
                actual=paid,
                **at,
            )
        return
    if live:
        differ(Check.LIVE_BET, f"the wallet still holds the bet of a {r.status} round", **at)
    if paid:
        differ(
            Check.PAID_UNOWED, f"the wallet paid a {r.status} round", expected=0, actual=paid, **at
        )


def _players(books: ClientBooks, flying: set[str]) -> list[PlayerTotals]:
    provider: Counter[tuple[str, str]] = Counter()
    wallet: Counter[tuple[str, str]] = Counter()
    settled: Counter[tuple[str, str]] = Counter()
    for r in books.rounds:
        if r.status is RoundStatus.SETTLED and r.kind is not RoundKind.DEMO:
            provider[r.player_id, r.currency] += r.net
            settled[r.player_id, r.currency] += 1
    for t in books.transactions:
        if t.ok and t.round_id not in flying:
            wallet[t.player_id, t.currency] += t.signed
    keys = sorted(set(provider) | set(wallet) | set(settled))
    return [PlayerTotals(p, c, settled[p, c], provider[p, c], wallet[p, c]) for p, c in keys]


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON data, every amount an exact decimal string."""

    def money(value: int | None) -> str | None:
        return None if value is None else format_amount(value)

    return {
        "ok": report.ok,
        "ledger_balanced": report.ledger_balanced,
        "clients": [
            {
                **msgspec.to_builtins(c),
                "players": [
                    {
                        **msgspec.to_builtins(p),
                        "provider_net": money(p.provider_net),
                        "wallet_net": money(p.wallet_net),
                        "difference": money(p.wallet_net - p.provider_net),
                    }
                    for p in c.players
                ],
            }
            for c in report.clients
        ],
        "differences": [
            {
                **msgspec.to_builtins(d),
                **({"expected": money(d.expected)} if d.expected is not None else {}),
                **({"actual": money(d.actual)} if d.actual is not None else {}),
            }
            for d in report.differences
        ],
    }
