"""Read-only admin listings with filters and pagination, and the ledger check."""

from __future__ import annotations

import json
from typing import Any

from reelbridge.aggregator.admin_flows import fingerprint
from reelbridge.protocol import format_amount
from reelbridge.storage import Flow, Sql, every

MAX_LIMIT = 500

_LISTINGS: dict[str, tuple[str, tuple[str, ...], dict[str, str], str]] = {
    # name: (select ... from ..., columns, filter → column, order)
    "players": (
        """SELECT p.player_id, a.currency, a.balance, p.created_at
             FROM players p LEFT JOIN accounts a ON a.kind = 'player' AND a.owner = p.player_id""",
        ("player_id", "currency", "balance", "created_at"),
        {"player_id": "p.player_id", "currency": "a.currency"},
        "p.player_id, a.currency",
    ),
    "sessions": (
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
            "client_id": "client_id",
            "player_id": "player_id",
            "status": "status",
            "game_id": "game_id",
        },
        "created_at DESC, session_id",
    ),
    "transactions": (
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
            "client_id": "t.client_id",
            "transaction_id": "t.transaction_id",
            "session_id": "t.session_id",
            "round_id": "t.round_id",
            "action": "t.action",
            "outcome": "t.outcome",
            "player_id": "a.owner",
            "currency": "a.currency",
        },
        "t.id DESC",
    ),
    "audit": (
        "SELECT id, actor, action, subject, before, after, reason, created_at FROM audit_log",
        ("id", "actor", "action", "subject", "before", "after", "reason", "created_at"),
        {"actor": "actor", "action": "action", "subject": "subject"},
        "id DESC",
    ),
    "anomalies": (
        "SELECT id, client_id, transaction_id, kind, detail, created_at FROM anomalies",
        ("id", "client_id", "transaction_id", "kind", "detail", "created_at"),
        {"client_id": "client_id", "kind": "kind"},
        "id DESC",
    ),
    "clients": (
        "SELECT client_id, tokens, created_at, updated_at FROM clients",
        ("client_id", "tokens", "created_at", "updated_at"),
        {"client_id": "client_id"},
        "client_id",
    ),
}

LISTINGS = frozenset(_LISTINGS)
_MONEY_COLUMNS = frozenset({"balance", "amount", "moved", "balance_after"})


def filters_of(name: str) -> frozenset[str]:
    """The filter names a listing accepts."""
    return frozenset(_LISTINGS[name][2])


def listing(
    name: str, filters: dict[str, str], limit: int, offset: int
) -> Flow[list[dict[str, Any]]]:
    """One page of a listing; money columns are formatted as exact decimal strings."""
    select, columns, allowed, order = _LISTINGS[name]
    where = [f"{allowed[key]} = ?" for key in filters]
    text = select + (" WHERE " + " AND ".join(where) if where else "")
    text += f" ORDER BY {order} LIMIT ? OFFSET ?"
    rows = yield every(Sql.of(text), *filters.values(), limit, offset)
    out = []
    for row in rows:
        item = dict(zip(columns, row, strict=True))
        for key in _MONEY_COLUMNS & item.keys():
            if item[key] is not None:
                item[key] = format_amount(item[key])
        if "tokens" in item:  # never expose a secret: fingerprints only
            item["tokens"] = [fingerprint(t) for t in json.loads(item["tokens"])]
        out.append(item)
    return out


_JOURNAL = Sql.of(
    """SELECT a.account_id, a.kind, a.owner, a.currency, a.balance,
              COALESCE((SELECT SUM(moved) FROM transactions WHERE credit_account = a.account_id), 0)
            - COALESCE((SELECT SUM(moved) FROM transactions WHERE debit_account = a.account_id), 0)
         FROM accounts a ORDER BY a.account_id"""
)


def ledger_check() -> Flow[dict[str, Any]]:
    """Reconcile the ledger: per currency the journal sums to zero (double entry), and
    every player's stored balance equals what the journal says it should be."""
    rows = yield every(_JOURNAL)
    currencies: dict[str, dict[str, int]] = {}
    mismatches = []
    for _, kind, owner, currency, stored, journal in rows:
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
