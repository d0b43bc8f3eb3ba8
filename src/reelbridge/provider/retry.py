"""Resend policy of the outbox, as small pure functions (PROTOCOL.md B14).

Wins and refunds are resent until the wallet answers success, forever, with capped
exponential backoff and jitter: the first resend within 1 s, then 2 s, 4 s … up to
60 s between attempts. Bets are never resent: an unknown bet is refunded (B15).
"""

from __future__ import annotations

FIRST_RESEND_US = 1_000_000
CAP_US = 60_000_000


def backoff_delay_us(attempts: int, jitter: float) -> int:  # float ok: a [0, 1) draw
    """Microseconds to wait before the next attempt.

    Args:
        attempts: attempts made so far (≥ 1).
        jitter: a uniform draw in [0, 1): spreads resends so that many entries that
            failed together don't retry together.

    Returns:
        A delay in [base/2, base), base = min(1 s × 2^(attempts-1), 60 s).
    """
    base = min(CAP_US, FIRST_RESEND_US << min(max(attempts, 1) - 1, 20))
    return base // 2 + int(base // 2 * min(max(jitter, 0.0), 0.999999))


def resendable(kind: str) -> bool:
    """Whether an outbox entry of ``kind`` is resent until success (wins and refunds)."""
    return kind in ("win", "refund")
