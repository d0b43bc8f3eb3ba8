"""The ledger's SQL, written once for both engines (see ``storage.sql``)."""

from __future__ import annotations

from reelbridge.storage import Sql

# Each wallet call reads everything its decision needs in one statement: the session
# joined with its player account (locked on PostgreSQL) and the house account of its
# currency, plus what the action looks at in the journal.
_SESSION = """s.session_id, s.client_id, s.player_id, s.currency, s.game_id, s.account_id,
              (SELECT h.account_id FROM accounts h
                WHERE h.kind = 'house' AND h.owner = '' AND h.currency = s.currency),
              s.status, s.expires_at, a.balance"""
_FROM = "FROM sessions s JOIN accounts a ON a.account_id = s.account_id"
# Bets seen in a round (a remembered refund counts as one), bets still standing, wins.
_ROUND = """(SELECT COALESCE(SUM(CASE WHEN action = 'bet' OR (is_refund = 1 AND outcome = 'ok')
                                   THEN 1 ELSE 0 END), 0) AS bets,
                    COALESCE(SUM(CASE WHEN action = 'bet' AND outcome = 'ok' AND refunded = 0
                                   THEN 1 ELSE 0 END), 0) AS live,
                    COALESCE(SUM(CASE WHEN action = 'win' AND outcome = 'ok'
                                   THEN 1 ELSE 0 END), 0) AS wins
               FROM transactions WHERE client_id = ? AND round_id = ?) r"""
_STORED = "action, type, session_id, round_id, game_id, amount, outcome, message, refunded"

# balance: the session and its account.   params: session_id
SESSION = Sql.of(f"SELECT {_SESSION} {_FROM} WHERE s.session_id = ? {{lock:a}}")
# bet: + whether a refund of this id came first (B11).   params: client, tx, session
BET_STATE = Sql.of(
    f"""SELECT {_SESSION},
              (SELECT 1 FROM transactions
                WHERE client_id = ? AND transaction_id = ? AND is_refund = 1)
         {_FROM} WHERE s.session_id = ? {{lock:a}}"""
)
# win: + the round (B13).   params: client, round, session
WIN_STATE = Sql.of(
    f"SELECT {_SESSION}, r.bets, r.live, r.wins {_FROM} CROSS JOIN {_ROUND} "
    "WHERE s.session_id = ? {lock:a}"
)
# refund: + the round (B12) and the bet it names (B11).   params: client, round, client, tx,
# session
REFUND_STATE = Sql.of(
    f"""SELECT {_SESSION}, r.bets, r.live, r.wins,
              {", ".join("b." + c for c in _STORED.split(", "))}
         {_FROM} CROSS JOIN {_ROUND}
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
