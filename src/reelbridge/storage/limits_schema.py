"""Responsible gambling in the schema (migration aggregator:6, docs/PROTOCOL-part-b.md).

``account_limits``: one row per player account that has a limit, a self-exclusion or a
block (``ledger.limits`` describes the data); a bet reads it by its primary key. Its
running totals are kept by the journal, as balances are: every bet, win and refund
that moves money updates its account's row in the same statement (a trigger; on
PostgreSQL inside ``transactions_move``, so a journal row still fires one trigger).
An account without a row pays one index probe per money movement.

On PostgreSQL the decision moves into ``reelbridge_decide`` as before: it now takes the
session's opening time and the row (one ``bigint[]`` in the order of
``ledger.limits.LIMIT_COLUMNS``, NULL without a row) and refuses a bet as
``LimitState.refusal`` does; ``tests/integration/test_rules_in_database.py`` holds the
two to the same decisions. ``reelbridge_wallet_call`` reads the row after it has
locked the account, in the same transaction.

Never edit these texts once applied: a later change is a new migration.
"""

from __future__ import annotations

TABLE = """CREATE TABLE account_limits (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (account_id),
    blocked SMALLINT NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
    loss_day BIGINT, loss_day_next BIGINT, loss_day_at BIGINT,
    loss_week BIGINT, loss_week_next BIGINT, loss_week_at BIGINT,
    loss_month BIGINT, loss_month_next BIGINT, loss_month_at BIGINT,
    wager_day BIGINT, wager_day_next BIGINT, wager_day_at BIGINT,
    wager_week BIGINT, wager_week_next BIGINT, wager_week_at BIGINT,
    wager_month BIGINT, wager_month_next BIGINT, wager_month_at BIGINT,
    session_minutes BIGINT, session_minutes_next BIGINT, session_minutes_at BIGINT,
    excluded_until BIGINT, excluded_until_next BIGINT, excluded_until_at BIGINT,
    day_key BIGINT NOT NULL, day_wagered BIGINT NOT NULL DEFAULT 0,
    day_lost BIGINT NOT NULL DEFAULT 0,
    week_key BIGINT NOT NULL, week_wagered BIGINT NOT NULL DEFAULT 0,
    week_lost BIGINT NOT NULL DEFAULT 0,
    month_key BIGINT NOT NULL, month_wagered BIGINT NOT NULL DEFAULT 0,
    month_lost BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL)"""

# Totals saturate at ±2^62: a sum of stakes or wins past the 64-bit range (absurd, but
# possible in principle) must never make a journal insert fail, least of all a win's.
_BOUND = "4611686018427387904"

# The numbers of the periods of NEW.created_at (``ledger.limits.day_of`` etc.).
_SQLITE_KEYS = {
    "day": "NEW.created_at / 86400000000",
    "week": "(NEW.created_at / 86400000000 + 3) / 7",
    "month": "CAST(strftime('%Y', NEW.created_at / 1000000, 'unixepoch') AS INTEGER) * 12"
    " + CAST(strftime('%m', NEW.created_at / 1000000, 'unixepoch') AS INTEGER) - 1",
}
_SQLITE_WAGERED = (
    "(CASE NEW.action WHEN 'bet' THEN NEW.moved WHEN 'refund' THEN -NEW.moved ELSE 0 END)"
)
_SQLITE_LOST = "(CASE NEW.action WHEN 'bet' THEN NEW.moved ELSE -NEW.moved END)"


def _sqlite_totals() -> str:
    sets = []
    for period, raw in _SQLITE_KEYS.items():
        # A row of the same day is of the same week and month: only a new day computes
        # the longer periods' numbers (strftime twice for the month).
        key = (
            raw
            if period == "day"
            else (f"(CASE WHEN day_key = {_SQLITE_KEYS['day']} THEN {period}_key ELSE {raw} END)")
        )
        for total, change in (("wagered", _SQLITE_WAGERED), ("lost", _SQLITE_LOST)):
            # A row of an earlier period (two calls that read the clock on either side
            # of midnight, recorded in the other order) does not count in this one.
            # SQLite turns an integer overflow into a REAL, which the bounds then catch.
            sets.append(
                f"{period}_{total} = max(-{_BOUND}, min({_BOUND}, CASE"
                f" WHEN {period}_key = {key} THEN {period}_{total} + {change}"
                f" WHEN {period}_key > {key} THEN {period}_{total} ELSE {change} END))"
            )
        sets.append(f"{period}_key = max({period}_key, {key})")
    return ",\n            ".join(sets)


SQLITE_TRIGGER = f"""CREATE TRIGGER transactions_limits AFTER INSERT ON transactions
    WHEN NEW.moved > 0 AND NEW.action IN ('bet', 'win', 'refund')
    BEGIN
        UPDATE account_limits SET
            {_sqlite_totals()}
         WHERE account_id = NEW.account_id;
    END"""

POSTGRES_MOVE = f"""CREATE OR REPLACE FUNCTION transactions_move() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        v_day bigint; v_week bigint; v_month bigint; v_date date;
        v_wagered numeric; v_lost numeric;
    BEGIN
        UPDATE accounts
           SET balance = balance + (CASE WHEN account_id = NEW.credit_account
                                         THEN NEW.moved ELSE -NEW.moved END)
         WHERE account_id IN (NEW.credit_account, NEW.debit_account) AND kind = 'player';
        IF NEW.action IN ('bet', 'win', 'refund') THEN
            v_day := NEW.created_at / 86400000000;
            v_week := (v_day + 3) / 7;
            v_date := DATE '1970-01-01' + v_day::integer;
            v_month := (extract(year FROM v_date) * 12 + extract(month FROM v_date) - 1)::bigint;
            /* A row of an earlier period (two calls that read the clock on either side */
            /* of midnight, recorded in the other order) does not count in this one. */
            v_wagered := CASE NEW.action WHEN 'bet' THEN NEW.moved
                                         WHEN 'refund' THEN -NEW.moved ELSE 0 END;
            v_lost := CASE NEW.action WHEN 'bet' THEN NEW.moved ELSE -NEW.moved END;
            UPDATE account_limits SET
                day_wagered = GREATEST(-{_BOUND}, LEAST({_BOUND}, CASE
                    WHEN day_key = v_day THEN day_wagered + v_wagered
                    WHEN day_key > v_day THEN day_wagered ELSE v_wagered END)),
                day_lost = GREATEST(-{_BOUND}, LEAST({_BOUND}, CASE
                    WHEN day_key = v_day THEN day_lost + v_lost
                    WHEN day_key > v_day THEN day_lost ELSE v_lost END)),
                day_key = GREATEST(day_key, v_day),
                week_wagered = GREATEST(-{_BOUND}, LEAST({_BOUND}, CASE
                    WHEN week_key = v_week THEN week_wagered + v_wagered
                    WHEN week_key > v_week THEN week_wagered ELSE v_wagered END)),
                week_lost = GREATEST(-{_BOUND}, LEAST({_BOUND}, CASE
                    WHEN week_key = v_week THEN week_lost + v_lost
                    WHEN week_key > v_week THEN week_lost ELSE v_lost END)),
                week_key = GREATEST(week_key, v_week),
                month_wagered = GREATEST(-{_BOUND}, LEAST({_BOUND}, CASE
                    WHEN month_key = v_month THEN month_wagered + v_wagered
                    WHEN month_key > v_month THEN month_wagered ELSE v_wagered END)),
                month_lost = GREATEST(-{_BOUND}, LEAST({_BOUND}, CASE
                    WHEN month_key = v_month THEN month_lost + v_lost
                    WHEN month_key > v_month THEN month_lost ELSE v_lost END)),
                month_key = GREATEST(month_key, v_month)
             WHERE account_id = NEW.account_id;
        END IF;
        RETURN NULL;
    END $$"""

# ``ledger.limits.Setting.at``: element 2 + 3k of the row is setting k's value, 3 + 3k
# its pending change, 4 + 3k when that applies (PostgreSQL arrays count from 1).
SETTING_AT = """CREATE FUNCTION reelbridge_setting_at(p_limits bigint[], p_k integer,
                                                     p_now bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_limits[4 + 3 * p_k] IS NOT NULL AND p_now >= p_limits[4 + 3 * p_k]
                THEN p_limits[3 + 3 * p_k] ELSE p_limits[2 + 3 * p_k] END
$$"""

# ``ledger.limits.LimitState.refusal``, row for row.
REFUSAL = """CREATE FUNCTION reelbridge_limit_refusal(p_limits bigint[], p_amount bigint,
                                                     p_started_at bigint, p_now bigint)
    RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_day bigint := p_now / 86400000000;
    v_date date := DATE '1970-01-01' + (p_now / 86400000000)::integer;
    v_keys bigint[]; v_limit bigint; v_used bigint; v_period integer;
BEGIN
    IF p_limits IS NULL THEN
        RETURN NULL;
    END IF;
    IF p_limits[1] = 1 THEN
        RETURN 'Your account is blocked';
    END IF;
    v_limit := reelbridge_setting_at(p_limits, 7, p_now);
    IF v_limit IS NOT NULL AND p_now < v_limit THEN
        RETURN 'You are self-excluded from play';
    END IF;
    v_limit := reelbridge_setting_at(p_limits, 6, p_now);
    IF v_limit IS NOT NULL AND p_now::numeric >= p_started_at::numeric + v_limit * 60000000.0 THEN
        RETURN 'Session time limit reached';
    END IF;
    IF p_amount <= 0 THEN
        RETURN NULL;
    END IF;
    v_keys := ARRAY[v_day, (v_day + 3) / 7,
                    (extract(year FROM v_date) * 12 + extract(month FROM v_date) - 1)::bigint];
    FOR k IN 0..5 LOOP
        v_limit := reelbridge_setting_at(p_limits, k, p_now);
        CONTINUE WHEN v_limit IS NULL;
        v_period := k % 3;  /* 0 day, 1 week, 2 month; k < 3: loss, else wager */
        v_used := 0;
        IF p_limits[26 + 3 * v_period] = v_keys[1 + v_period] THEN
            v_used := p_limits[CASE WHEN k < 3 THEN 28 ELSE 27 END + 3 * v_period];
        END IF;
        IF v_used::numeric + p_amount > v_limit THEN
            RETURN 'This bet would exceed your '
                || (ARRAY['daily', 'weekly', 'monthly'])[1 + v_period] || ' '
                || CASE WHEN k < 3 THEN 'loss' ELSE 'wager' END || ' limit';
        END IF;
    END LOOP;
    RETURN NULL;
END $$"""

DROP_DECIDE_V1 = """DROP FUNCTION reelbridge_decide(text, bigint, boolean, bigint, bigint,
    bigint, boolean, bigint, bigint, bigint, text, text, text, text, bigint, text, text,
    text, text)"""

DECIDE = """
CREATE FUNCTION reelbridge_decide(
    p_action text, p_amount bigint,
    p_open boolean, p_expires_at bigint, p_now bigint, p_balance bigint,
    p_refunded_before boolean, p_bets bigint, p_live bigint, p_wins bigint,
    p_bet_action text, p_bet_session text, p_bet_round text, p_bet_game text,
    p_bet_amount bigint, p_bet_outcome text,
    p_session text, p_round text, p_game text,
    p_started_at bigint, p_limits bigint[],
    OUT code text, OUT message text, OUT delta bigint, OUT anomaly text,
    OUT undoes boolean, OUT record boolean)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_refusal text;
BEGIN
    code := NULL; message := ''; delta := 0; anomaly := NULL; undoes := false; record := true;
    IF p_action = 'bet' THEN
        IF NOT (p_open AND p_now < p_expires_at) THEN
            code := 'SESSION_NOT_FOUND'; message := 'Session expired or closed';
        ELSIF p_refunded_before THEN
            code := 'TRANSACTION_DENIED'; message := 'Bet was already refunded';
        ELSE
            v_refusal := reelbridge_limit_refusal(p_limits, p_amount, p_started_at, p_now);
            IF v_refusal IS NOT NULL THEN
                code := 'BET_FAILED_KNOWN_ERROR'; message := v_refusal;
            ELSIF p_amount > p_balance THEN
                code := 'INSUFFICIENT_BALANCE'; message := 'Insufficient balance';
            ELSE
                delta := -p_amount;
            END IF;
        END IF;
    ELSIF p_action = 'win' THEN
        IF p_bets > 0 AND p_live = 0 THEN
            code := 'TRANSACTION_DENIED'; message := 'The round''s bets were refunded';
        ELSIF p_balance::numeric + p_amount > 9223372036854775807 THEN
            code := 'TRANSACTION_DENIED'; message := 'Balance would exceed the ledger limit';
            anomaly := 'win over ledger limit';
        ELSE
            delta := p_amount;
        END IF;
    ELSIF p_action = 'refund' THEN
        IF p_bet_action IS NULL THEN
            NULL;  /* an unseen bet: remembered, nothing moves (B11) */
        ELSIF p_bet_action <> 'bet' THEN
            code := 'TRANSACTION_DENIED'; message := 'The transaction is not a bet';
            record := false;
        ELSIF (p_bet_session, p_bet_round, p_bet_game)
              IS DISTINCT FROM (p_session, p_round, p_game) THEN
            code := 'TRANSACTION_DENIED'; message := 'Refund does not match the bet';
            record := false;
        ELSIF p_bet_outcome <> 'ok' THEN
            NULL;  /* the bet took nothing */
        ELSIF p_wins > 0 THEN
            code := 'TRANSACTION_DENIED'; message := 'The round is settled';
            anomaly := 'refund requested after the round''s win';
        ELSE
            delta := p_bet_amount; undoes := true;
        END IF;
    ELSE
        RAISE EXCEPTION 'reelbridge_decide: unknown action %', p_action;
    END IF;
END $$
"""

CALL = """
CREATE OR REPLACE FUNCTION reelbridge_wallet_call(
    p_client text, p_action text, p_type text, p_session text, p_tx text,
    p_round text, p_game text, p_amount bigint, p_now bigint,
    OUT kind text, OUT balance bigint, OUT code text, OUT message text,
    OUT s_action text, OUT s_type text, OUT s_session text, OUT s_round text,
    OUT s_game text, OUT s_amount bigint, OUT s_outcome text, OUT s_message text,
    OUT s_refunded smallint)
LANGUAGE plpgsql AS $$
DECLARE
    v_client text; v_game text; v_account bigint; v_house bigint; v_status text;
    v_expires bigint; v_balance bigint; v_started bigint;
    v_is_refund smallint := CASE WHEN p_action = 'refund' THEN 1 ELSE 0 END;
    v_marker boolean := false; v_limits bigint[];
    v_bets bigint := 0; v_live bigint := 0; v_wins bigint := 0;
    b_action text; b_session text; b_round text; b_game text; b_amount bigint;
    b_outcome text;
    d record; v_id bigint; v_debit bigint; v_credit bigint;
BEGIN
    /* The player's account is locked first: everything read below stays true until */
    /* the end of this statement's transaction (a concurrent duplicate waits, B10). */
    SELECT s.client_id, s.game_id, s.account_id, s.status, s.expires_at, a.balance,
           (SELECT h.account_id FROM accounts h
             WHERE h.kind = 'house' AND h.owner = '' AND h.currency = s.currency),
           s.created_at
      INTO v_client, v_game, v_account, v_status, v_expires, v_balance, v_house, v_started
      FROM sessions s JOIN accounts a ON a.account_id = s.account_id
     WHERE s.session_id = p_session
       FOR UPDATE OF a;
    IF NOT FOUND OR v_client <> p_client OR v_house IS NULL THEN
        kind := 'session_not_found'; RETURN;
    END IF;
    balance := v_balance;
    IF p_action = 'balance' THEN
        kind := 'balance'; RETURN;
    END IF;
    IF p_game <> v_game THEN
        kind := 'wrong_game'; RETURN;
    END IF;
    IF p_action = 'bet' THEN
        v_marker := EXISTS (SELECT 1 FROM transactions
                             WHERE client_id = p_client AND transaction_id = p_tx
                               AND is_refund = 1);
        /* Read after the lock (a fresh snapshot): a limit set before the lock was */
        /* granted is seen (B19). No row: NULL, no limits. */
        SELECT ARRAY[l.blocked::bigint,
                     l.loss_day, l.loss_day_next, l.loss_day_at,
                     l.loss_week, l.loss_week_next, l.loss_week_at,
                     l.loss_month, l.loss_month_next, l.loss_month_at,
                     l.wager_day, l.wager_day_next, l.wager_day_at,
                     l.wager_week, l.wager_week_next, l.wager_week_at,
                     l.wager_month, l.wager_month_next, l.wager_month_at,
                     l.session_minutes, l.session_minutes_next, l.session_minutes_at,
                     l.excluded_until, l.excluded_until_next, l.excluded_until_at,
                     l.day_key, l.day_wagered, l.day_lost,
                     l.week_key, l.week_wagered, l.week_lost,
                     l.month_key, l.month_wagered, l.month_lost]
          INTO v_limits
          FROM account_limits l WHERE l.account_id = v_account;
    ELSE
        SELECT count(*) FILTER (WHERE t.action = 'bet'
                                   OR (t.is_refund = 1 AND t.outcome = 'ok')),
               count(*) FILTER (WHERE t.action = 'bet' AND t.outcome = 'ok'
                                  AND t.refunded = 0),
               count(*) FILTER (WHERE t.action = 'win' AND t.outcome = 'ok')
          INTO v_bets, v_live, v_wins
          FROM transactions t
         WHERE t.account_id = v_account AND t.round_id = p_round AND t.client_id = p_client;
    END IF;
    IF p_action = 'refund' THEN
        SELECT t.action, t.session_id, t.round_id, t.game_id, t.amount, t.outcome
          INTO b_action, b_session, b_round, b_game, b_amount, b_outcome
          FROM transactions t
         WHERE t.client_id = p_client AND t.transaction_id = p_tx AND t.is_refund = 0;
    END IF;
    d := reelbridge_decide(
        p_action, p_amount, v_status = 'open', v_expires, p_now, v_balance, v_marker,
        v_bets, v_live, v_wins, b_action, b_session, b_round, b_game, b_amount, b_outcome,
        p_session, p_round, p_game, v_started, v_limits);
    code := d.code; message := d.message;
    IF d.record THEN
        IF d.delta < 0 THEN
            v_debit := v_account; v_credit := v_house;
        ELSIF d.delta > 0 THEN
            v_debit := v_house; v_credit := v_account;
        END IF;
        INSERT INTO transactions (client_id, transaction_id, is_refund, action, type,
                session_id, round_id, game_id, amount, account_id, outcome, message,
                debit_account, credit_account, moved, balance_after, created_at)
        VALUES (p_client, p_tx, v_is_refund, p_action, p_type, p_session, p_round, p_game,
                p_amount, v_account, COALESCE(d.code, 'ok'), d.message, v_debit, v_credit,
                abs(d.delta), v_balance + d.delta, p_now)
        ON CONFLICT (client_id, transaction_id, is_refund) DO NOTHING
        RETURNING id INTO v_id;
        IF v_id IS NOT NULL THEN
            IF d.anomaly IS NOT NULL THEN
                INSERT INTO anomalies (client_id, transaction_id, kind, detail, created_at)
                VALUES (p_client, p_tx, d.anomaly,
                        json_build_object('request', json_build_object(
                            'action', p_action, 'type', p_type, 'session_id', p_session,
                            'transaction_id', p_tx, 'round_id', p_round,
                            'game_id', p_game, 'amount', p_amount),
                          'message', d.message)::text,
                        p_now);
            END IF;
            IF d.undoes THEN
                UPDATE transactions SET refunded = 1
                 WHERE client_id = p_client AND transaction_id = p_tx AND is_refund = 0;
            END IF;
            kind := 'recorded'; balance := v_balance + d.delta;
            RETURN;
        END IF;
    END IF;
    /* Not recorded, or the key exists: the stored row answers (B9), in Python. */
    kind := CASE WHEN d.record THEN 'replay' ELSE 'unrecorded' END;
    SELECT t.action, t.type, t.session_id, t.round_id, t.game_id, t.amount, t.outcome,
           t.message, t.refunded
      INTO s_action, s_type, s_session, s_round, s_game, s_amount, s_outcome, s_message,
           s_refunded
      FROM transactions t
     WHERE t.client_id = p_client AND t.transaction_id = p_tx AND t.is_refund = v_is_refund;
END $$
"""
