"""Read-only admin listings with filters and pagination, and the ledger check."""

from __future__ import annotations

from typing import Any

from reelbridge.protocol import format_amount
from reelbridge.storage import Flow, Sql, every
from reelbridge.storage.listing import Filter, Listing, eq, int_filter

_M = frozenset({"balance", "amount", "moved", "balance_after"})

LISTINGS: dict[str, Listing] = {
    "players": Listing(
        """SELECT p.player_id, a.currency, a.balance, p.created_at
             FROM players p LEFT JOIN accounts a ON a.kind = 'player' AND a.owner = p.player_id""",
        ("player_id", "currency", "balance", "created_at"),
        {"player_id": eq("p.player_id"), "currency": eq("a.currency")},
        "p.player_id, a.currency",
        money=_M & {"balance"},
    ),
    "sessions": Listing(
        """SELECT session_id, client_id, player_id, currency, game_id, status, created_at,
                  expires_at, closed_at FROM sessions""",
        (
            "session_id",
            "client_id",
            "player_id",
            "currency",
            "game_id",
            "status",
            "created_at",
            "expires_at",
            "closed_at",
        ),
        {
            "client_id": eq("client_id"),
            "player_id": eq("player_id"),
            "status": eq("status"),
            "game_id": eq("game_id"),
        },
        "created_at DESC, session_id",
    ),
    "transactions": Listing(
        """SELECT t.id, t.client_id, t.transaction_id, t.action, t.type, t.session_id,
                  t.round_id, t.game_id, t.amount, a.owner, a.currency, t.outcome, t.message,
                  t.moved, t.balance_after, t.refunded, t.created_at
             FROM transactions t JOIN accounts a ON a.account_id = t.account_id""",
        (
            "id",
            "client_id",
            "transaction_id",
            "action",
            "type",
            "session_id",
            "round_id",
            "game_id",
            "amount",
            "player_id",
            "currency",
            "outcome",
            "message",
            "moved",
            "balance_after",
            "refunded",
            "created_at",
        ),
        {
            "client_id": eq("t.client_id"),
            "transaction_id": eq("t.transaction_id"),
            "session_id": eq("t.session_id"),
            "round_id": eq("t.round_id"),
            "action": eq("t.action"),
            "type": eq("t.type"),
            "game_id": eq("t.game_id"),
            "outcome": eq("t.outcome"),
            "created_from": int_filter("t.created_at >= ?"),  # µs since the epoch
            "created_to": int_filter("t.created_at < ?"),
            # Through the player's accounts: the journal's index leads with the account.
            "player_id": Filter(
                "t.account_id IN (SELECT account_id FROM accounts"
                " WHERE kind = 'player' AND owner = ?)"
            ),
            "currency": eq("a.currency"),
        },
        "t.id DESC",
        money=_M,
    ),
    "audit": Listing(
        "SELECT id, actor, action, subject, before, after, reason, created_at FROM audit_log",
        ("id", "actor", "action", "subject", "before", "after", "reason", "created_at"),
        {"actor": eq("actor"), "action": eq("action"), "subject": eq("subject")},
        "id DESC",
    ),
    "anomalies": Listing(
        "SELECT id, client_id, transaction_id, kind, detail, created_at FROM anomalies",
        ("id", "client_id", "transaction_id", "kind", "detail", "created_at"),
        {"client_id": eq("client_id"), "kind": eq("kind")},
        "id DESC",
    ),
    "clients": Listing(
        "SELECT client_id, tokens, created_at, updated_at FROM clients",
        ("client_id", "tokens", "created_at", "updated_at"),
        {"client_id": eq("client_id")},
        "client_id",
        secrets=frozenset({"tokens"}),
    ),
}


_ACCOUNTS = Sql.of("SELECT account_id, kind, owner, currency, balance FROM accounts")
# One scan of the journal: the money moved between each pair of accounts (a few pairs
# per player), no index needed on the hot table.
_MOVES = Sql.of(
    "SELECT debit_account, credit_account, SUM(moved) FROM transactions "
    "WHERE moved > 0 GROUP BY debit_account, credit_account"
)


def ledger_check() -> Flow[dict[str, Any]]:
    """Reconcile the ledger: per currency the journal sums to zero (double entry), and
    every player's stored balance equals what the journal says it should be."""
    accounts = yield every(_ACCOUNTS)
    credits: dict[int, int] = {}
    debits: dict[int, int] = {}
    for debit, credit, moved in (yield every(_MOVES)):
        debits[debit] = debits.get(debit, 0) + int(moved)
        credits[credit] = credits.get(credit, 0) + int(moved)
    currencies: dict[str, dict[str, int]] = {}
    mismatches = []
    for account_id, kind, owner, currency, stored in accounts:
        journal = int(credits.get(account_id, 0)) - int(debits.get(account_id, 0))
        totals = currencies.setdefault(currency, {"player": 0, "house": 0, "bank": 0})
        totals[kind] += int(journal)
        if kind == "player" and int(journal) != int(stored):
            mismatches.append(
                {
                    "player_id": owner,
                    "currency": currency,
                    "stored": format_amount(stored),
                    "journal": format_amount(int(journal)),
                }
            )
    report = {
        currency: {
            **{k: format_amount(v) for k, v in totals.items()},
            "sum": format_amount(sum(totals.values())),
        }
        for currency, totals in currencies.items()
    }
    balanced = all(sum(t.values()) == 0 for t in currencies.values())
    return {"balanced": balanced and not mismatches, "currencies": report, "mismatches": mismatches}
