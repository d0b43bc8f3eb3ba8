"""The ledger's SQL, written once for both engines (see ``storage.sql``)."""

from __future__ import annotations

from reelbridge.ledger.limits import LIMIT_COLUMNS
from reelbridge.storage import Sql

# Each wallet call reads everything its decision needs in one statement: the session
# joined with its player account (locked on PostgreSQL) and the house account of its
# currency, plus what the action looks at in the journal.
_SESSION = """s.session_id, s.client_id, s.player_id, s.currency, s.game_id, s.account_id,
              (SELECT h.account_id FROM accounts h
                WHERE h.kind = 'house' AND h.owner = '' AND h.currency = s.currency),
              s.status, s.expires_at, a.balance, s.created_at"""
_FROM = "FROM sessions s JOIN accounts a ON a.account_id = s.account_id"
# The round of a call (B12, B13): its rows in the session's player account. Bets seen
# (a remembered refund counts as one), bets still standing, wins.
_IN_ROUND = (
    "FROM transactions t WHERE t.account_id = s.account_id AND t.round_id = ? AND t.client_id = ?"
)
_ROUND = f"""(SELECT count(*) {_IN_ROUND}
                 AND (t.action = 'bet' OR (t.is_refund = 1 AND t.outcome = 'ok'))),
              (SELECT count(*) {_IN_ROUND}
                 AND t.action = 'bet' AND t.outcome = 'ok' AND t.refunded = 0),
              (SELECT count(*) {_IN_ROUND} AND t.action = 'win' AND t.outcome = 'ok')"""
_STORED = "action, type, session_id, round_id, game_id, amount, outcome, message, refunded"

_LIMITS = ", ".join(f"l.{c}" for c in LIMIT_COLUMNS)

# Where things are in a state row: the session's eleven columns come first (see
# ``flows._session``), then what the action reads.
MARKER_AT = 11  # BET_STATE: not NULL if a refund of this id came first
LIMITS_AT = slice(12, 12 + len(LIMIT_COLUMNS))  # BET_STATE: the account's limits (B19)
ROUND_AT = slice(11, 14)  # WIN_STATE, REFUND_STATE: bets seen, bets standing, wins
BET_AT = slice(14, 23)  # REFUND_STATE: the named bet, as ``STORED`` reads it

# balance: the session and its account.   params: session_id
SESSION = Sql.of(f"SELECT {_SESSION} {_FROM} WHERE s.session_id = ? {{lock:a}}")
# bet: + whether a refund of this id came first (B11), + the account's limits and
# their running totals (B19; all NULL without a row).   params: client, tx, session
BET_STATE = Sql.of(
    f"""SELECT {_SESSION},
              (SELECT 1 FROM transactions
                WHERE client_id = ? AND transaction_id = ? AND is_refund = 1),
              {_LIMITS}
         {_FROM} LEFT JOIN account_limits l ON l.account_id = s.account_id
        WHERE s.session_id = ? {{lock:a}}"""
)
# win: + the round (B13).   params: (round, client) × 3, session
WIN_STATE = Sql.of(f"SELECT {_SESSION}, {_ROUND} {_FROM} WHERE s.session_id = ? {{lock:a}}")
# refund: + the round (B12) and the bet it names (B11).
#   params: (round, client) × 3, client, tx, session
REFUND_STATE = Sql.of(
    f"""SELECT {_SESSION}, {_ROUND},
              {", ".join("b." + c for c in _STORED.split(", "))}
         {_FROM}
         LEFT JOIN transactions b
           ON b.client_id = ? AND b.transaction_id = ? AND b.is_refund = 0
        WHERE s.session_id = ? {{lock:a}}"""
)
STORED = Sql.of(
    f"""SELECT {_STORED}
         FROM transactions WHERE client_id = ? AND transaction_id = ? AND is_refund = ?"""
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
