"""What reconciliation compares: each side's books as typed rows (money in units).

The rows are read from the admin listings of both sides (``/admin/rounds``,
``/admin/outbox``, ``/admin/transactions``, ``/admin/ledger``), or from the same
listings run on the databases directly; ``*_from_listing`` turns one listing row (money
as exact decimal strings) into a typed row, so both sources share one parser.
"""

from __future__ import annotations

from typing import Any

import msgspec

from reelbridge.protocol import parse_amount_text
from reelbridge.provider.states import OutboxKind, OutboxStatus, RoundKind, RoundStatus


class BooksError(ValueError):
    """A listing row that is not what reconciliation expects (a field missing or of the
    wrong type): the source is not a reelbridge provider or wallet of this version."""


class ProviderRound(msgspec.Struct, frozen=True):
    """A round as the provider stored it (``win``/``jackpot_win``: None until drawn)."""

    round_id: str
    client_id: str
    player_id: str
    currency: str
    kind: RoundKind
    status: RoundStatus
    stake: int
    bet_transaction_id: str
    win: int | None = None
    jackpot_win: int | None = None

    @property
    def owed(self) -> int:
        """What the wallet must have paid for this round: its win plus its jackpot."""
        return (self.win or 0) + (self.jackpot_win or 0)

    @property
    def net(self) -> int:
        """The round's effect on the player's balance if settled: owed minus the stake
        the player paid (a freespin's stake is the campaign's, not the player's)."""
        return self.owed - (self.stake if self.kind is RoundKind.REAL else 0)


class OutboxRow(msgspec.Struct, frozen=True):
    """A wallet call the provider stored before sending it (B14)."""

    id: int
    client_id: str
    round_id: str
    kind: OutboxKind
    transaction_id: str
    status: OutboxStatus
    lease_until: int


class WalletTransaction(msgspec.Struct, frozen=True):
    """A journal row of the wallet (``moved``: what it moved, ≥ 0, in the direction of
    its action: a bet debits, a win or refund credits)."""

    id: int
    client_id: str
    transaction_id: str
    action: str
    round_id: str
    player_id: str
    currency: str
    amount: int
    moved: int
    outcome: str
    refunded: bool

    @property
    def ok(self) -> bool:
        """Whether the wallet accepted it (a refused call is kept, moving nothing)."""
        return self.outcome == "ok"

    @property
    def signed(self) -> int:
        """The change to the player's balance: minus for a bet, plus otherwise."""
        return -self.moved if self.action == "bet" else self.moved


class LedgerCheck(msgspec.Struct, frozen=True):
    """The wallet's own ledger check (``/admin/ledger``): double entry sums to zero per
    currency and every stored balance equals its journal."""

    balanced: bool
    detail: dict[str, Any]


class ClientBooks(msgspec.Struct, frozen=True):
    """Both sides' rows for one client id (the aggregator's integration)."""

    client_id: str
    rounds: list[ProviderRound]
    outbox: list[OutboxRow]
    transactions: list[WalletTransaction]


class Books(msgspec.Struct, frozen=True):
    """Everything compared in one run; ``now`` (µs since the epoch) dates the leases."""

    clients: list[ClientBooks]
    ledger: LedgerCheck
    now: int


_ROUND_MONEY = ("stake", "win", "jackpot_win")
_TX_MONEY = ("amount", "moved")


def _money(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    out = dict(row)
    for key in keys:
        raw = out.get(key)
        if raw is None:
            continue
        if not isinstance(raw, str):  # listings write money as exact decimal strings
            raise BooksError(f"{key} {raw!r} is not an exact decimal string")
        try:
            out[key] = parse_amount_text(raw)
        except ValueError as exc:
            raise BooksError(f"{key} {raw!r} is not an amount: {exc}") from None
    return out


def _convert(row: dict[str, Any], kind: type[Any]) -> Any:
    try:
        return msgspec.convert(row, kind)
    except msgspec.ValidationError as exc:
        raise BooksError(f"unexpected {kind.__name__} row: {exc}") from None


def round_from_listing(row: dict[str, Any]) -> ProviderRound:
    """A row of the provider's rounds listing.

    Raises:
        BooksError: a field is missing or of the wrong type.
    """
    result: ProviderRound = _convert(_money(row, _ROUND_MONEY), ProviderRound)
    return result


def outbox_from_listing(row: dict[str, Any]) -> OutboxRow:
    """A row of the provider's outbox listing.

    Raises:
        BooksError: a field is missing or of the wrong type.
    """
    result: OutboxRow = _convert(row, OutboxRow)
    return result


def transaction_from_listing(row: dict[str, Any]) -> WalletTransaction:
    """A row of the wallet's transactions listing (``refunded`` stored as 0/1).

    Raises:
        BooksError: a field is missing or of the wrong type.
    """
    fields = _money(row, _TX_MONEY)
    if isinstance(fields.get("refunded"), int):
        fields["refunded"] = bool(fields["refunded"])
    result: WalletTransaction = _convert(fields, WalletTransaction)
    return result


def ledger_from_report(report: dict[str, Any]) -> LedgerCheck:
    """The wallet's ledger report (``/admin/ledger``).

    Raises:
        BooksError: the report has no boolean ``balanced``.
    """
    balanced = report.get("balanced")
    if not isinstance(balanced, bool):
        raise BooksError(f"the ledger report has no 'balanced' flag: {str(report)[:200]}")
    return LedgerCheck(balanced, {k: v for k, v in report.items() if k != "balanced"})
