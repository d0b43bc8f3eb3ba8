"""The ledger's SQL, written once for both engines (see ``storage.sql``)."""

from __future__ import annotations

from reelbridge.storage import Sql

SESSION = Sql.of(
    """SELECT s.session_id, s.client_id, s.player_id, s.currency, s.game_id, s.account_id,
              (SELECT h.account_id FROM accounts h
                WHERE h.kind = 'house' AND h.owner = '' AND h.currency = s.currency),
              s.status, s.expires_at, a.balance
         FROM sessions s JOIN accounts a ON a.account_id = s.account_id
        WHERE s.session_id = ? {lock:a}"""
)
REFUND_MARKER = Sql.of(
    "SELECT 1 FROM transactions WHERE client_id = ? AND transaction_id = ? AND is_refund = 1"
)
STORED = Sql.of(
    """SELECT action, type, session_id, round_id, game_id, amount, outcome, message, refunded
         FROM transactions WHERE client_id = ? AND transaction_id = ? AND is_refund = ?"""
)
ROUND = Sql.of(
    """SELECT COALESCE(SUM(CASE WHEN action = 'bet' OR (is_refund = 1 AND outcome = 'ok')
                                THEN 1 ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN action = 'bet' AND outcome = 'ok' AND refunded = 0
                                THEN 1 ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN action = 'win' AND outcome = 'ok' THEN 1 ELSE 0 END), 0)
         FROM transactions WHERE client_id = ? AND round_id = ?"""
)
INSERT = Sql.of(
    """INSERT INTO transactions (client_id, transaction_id, is_refund, action, type,
              session_id, round_id, game_id, amount, account_id, outcome, message,
              debit_account, credit_account, moved, balance_after, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (client_id, transaction_id, is_refund) DO NOTHING
       RETURNING id"""
)
MARK_REFUNDED = Sql.of(
    """UPDATE transactions SET refunded = 1
        WHERE client_id = ? AND transaction_id = ? AND is_refund = 0"""
)
ANOMALY = Sql.of(
    """INSERT INTO anomalies (client_id, transaction_id, kind, detail, created_at)
       VALUES (?, ?, ?, ?, ?)"""
)
BALANCE = Sql.of("SELECT balance FROM accounts WHERE account_id = ? {lock}")
