"""PostgreSQL: a wallet call in one round trip (migration aggregator:4).

``reelbridge_wallet_call`` does what ``ledger.flows.handle`` does, inside the database:
lock the session's player account, read what the decision needs, decide, record under
the journal's unique key (the trigger of migration aggregator:2 moves the money), log an
anomaly, mark a refunded bet, and answer. The decision itself is
``reelbridge_decide``, a pure function that mirrors ``ledger.rules.decide_bet``,
``decide_win`` and ``decide_refund`` row for row: the rules are written once in Python,
and ``tests/integration/test_rules_in_database.py`` runs the same decision cases
through both and requires identical decisions (code, message, delta, anomaly, undo,
record). Replays (B9) are answered by the Python rules from the stored row the function
returns.

Never edit these texts once applied: a change to the rules is a new migration that
replaces the functions (``CREATE OR REPLACE``) and passes the parity test. Migration
aggregator:6 did so for responsible gambling: ``storage/limits_schema.py`` holds the
functions in force.
"""

from __future__ import annotations

DECIDE = """
CREATE FUNCTION reelbridge_decide(
    p_action text, p_amount bigint,
    p_open boolean, p_expires_at bigint, p_now bigint, p_balance bigint,
    p_refunded_before boolean, p_bets bigint, p_live bigint, p_wins bigint,
    p_bet_action text, p_bet_session text, p_bet_round text, p_bet_game text,
    p_bet_amount bigint, p_bet_outcome text,
    p_session text, p_round text, p_game text,
    OUT code text, OUT message text, OUT delta bigint, OUT anomaly text,
    OUT undoes boolean, OUT record boolean)
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    code := NULL; message := ''; delta := 0; anomaly := NULL; undoes := false; record := true;
    IF p_action = 'bet' THEN
        IF NOT (p_open AND p_now < p_expires_at) THEN
            code := 'SESSION_NOT_FOUND'; message := 'Session expired or closed';
        ELSIF p_refunded_before THEN
            code := 'TRANSACTION_DENIED'; message := 'Bet was already refunded';
        ELSIF p_amount > p_balance THEN
            code := 'INSUFFICIENT_BALANCE'; message := 'Insufficient balance';
        ELSE
            delta := -p_amount;
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
CREATE FUNCTION reelbridge_wallet_call(
    p_client text, p_action text, p_type text, p_session text, p_tx text,
    p_round text, p_game text, p_amount bigint, p_now bigint,
    OUT kind text, OUT balance bigint, OUT code text, OUT message text,
    OUT s_action text, OUT s_type text, OUT s_session text, OUT s_round text,
    OUT s_game text, OUT s_amount bigint, OUT s_outcome text, OUT s_message text,
    OUT s_refunded smallint)
LANGUAGE plpgsql AS $$
DECLARE
    v_client text; v_game text; v_account bigint; v_house bigint; v_status text;
    v_expires bigint; v_balance bigint;
    v_is_refund smallint := CASE WHEN p_action = 'refund' THEN 1 ELSE 0 END;
    v_marker boolean := false;
    v_bets bigint := 0; v_live bigint := 0; v_wins bigint := 0;
    b_action text; b_session text; b_round text; b_game text; b_amount bigint;
    b_outcome text;
    d record; v_id bigint; v_debit bigint; v_credit bigint;
BEGIN
    /* The player's account is locked first: everything read below stays true until */
    /* the end of this statement's transaction (a concurrent duplicate waits, B10). */
    SELECT s.client_id, s.game_id, s.account_id, s.status, s.expires_at, a.balance,
           (SELECT h.account_id FROM accounts h
             WHERE h.kind = 'house' AND h.owner = '' AND h.currency = s.currency)
      INTO v_client, v_game, v_account, v_status, v_expires, v_balance, v_house
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
        p_session, p_round, p_game);
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
