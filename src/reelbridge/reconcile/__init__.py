"""Reconciliation of a provider's rounds with a wallet's journal (``reelbridge reconcile``).

``reconcile(books)`` is pure: both sides' rows in, a ``Report`` out (every check is
listed in ``compare.py``). ``read_books`` reads the rows through ``ProviderApi`` /
``WalletApi`` (admin APIs) or ``ProviderDatabase`` / ``WalletDatabase`` (database URLs).
"""

from reelbridge.reconcile.books import (
    Books,
    BooksError,
    ClientBooks,
    LedgerCheck,
    OutboxRow,
    ProviderRound,
    WalletTransaction,
    ledger_from_report,
    outbox_from_listing,
    round_from_listing,
    transaction_from_listing,
)
from reelbridge.reconcile.compare import (
    Check,
    ClientSummary,
    Difference,
    PlayerTotals,
    Report,
    reconcile,
    report_json,
)
from reelbridge.reconcile.sources import (
    Database,
    ProviderApi,
    ProviderBooks,
    ProviderDatabase,
    SourceError,
    WalletApi,
    WalletBooks,
    WalletDatabase,
    read_books,
)

__all__ = [
    "Books",
    "BooksError",
    "Check",
    "ClientBooks",
    "ClientSummary",
    "Database",
    "Difference",
    "LedgerCheck",
    "OutboxRow",
    "PlayerTotals",
    "ProviderApi",
    "ProviderBooks",
    "ProviderDatabase",
    "ProviderRound",
    "Report",
    "SourceError",
    "WalletApi",
    "WalletBooks",
    "WalletDatabase",
    "WalletTransaction",
    "ledger_from_report",
    "outbox_from_listing",
    "read_books",
    "reconcile",
    "report_json",
    "round_from_listing",
    "transaction_from_listing",
]
