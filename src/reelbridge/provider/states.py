"""The round state machine and the outbox's rules, as data (PROTOCOL.md B14–B16).

Theory of operation. A real-money round (a freespin round alike) is one bet and what
settles it. Every move below is one database transaction that also writes the outbox
rows the move implies, so a crash at any point leaves a state the relay can finish:

=============  =================  ===========  =========================================
from           event              to           what the same transaction writes
=============  =================  ===========  =========================================
(new)          —                  betting      the round and its bet row (``sending``)
betting        BET_REFUSED        rejected     a known error: nothing owed (Part A)
betting        BET_UNKNOWN        refunding    a refund row: timeout, unknown error, or the
                                               bet's sender died (lease expired, B15)
betting        OUTCOME_STORED     settling     the drawn outcome and its win row(s) (B16)
betting        BET_ACCEPTED       accepted     a remote engine's round: the bet holds, the
                                               outcome comes later from the engine
accepted       OUTCOME_STORED     settling     the engine's outcome and its win row(s)
accepted       ENGINE_VOIDED      refunding    the engine cancelled the round: a refund row
settling       WINS_DELIVERED     settled      (the last win row was delivered)
refunding      REFUND_DELIVERED   refunded     (the refund row was delivered)
=============  =================  ===========  =========================================

``rejected``, ``settled`` and ``refunded`` are final. A demo round never meets the
wallet: it is stored ``settled`` at once. A remote engine's demo round
(``remote_rounds.py``) is stored ``accepted`` (its virtual stake taken) or ``rejected``
(the virtual balance is short), and its outcome or void takes it through the same
moves as a real round's, both in one transaction (there is nothing to deliver).

An event that is not in the table for the round's state is not an error of the caller
when it is a lost race (a bet's answer that arrives after the relay refunded it):
``allowed`` tells, ``advance`` insists.

The outbox: a bet is sent once (``sending`` until its answer is stored, then
``delivered`` or ``failed``) and never resent — an unknown bet is refunded instead
(B15). Wins and refunds are ``pending`` until the wallet says yes, resent with the same
bytes on any other answer, without end (B14).
"""

from __future__ import annotations

import enum


class RoundStatus(enum.StrEnum):
    """Where a round is (stored in ``rounds.status``)."""

    BETTING = "betting"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SETTLING = "settling"
    SETTLED = "settled"
    REFUNDING = "refunding"
    REFUNDED = "refunded"


class RoundEvent(enum.StrEnum):
    """What happens to a round."""

    BET_REFUSED = "bet_refused"
    BET_UNKNOWN = "bet_unknown"
    BET_ACCEPTED = "bet_accepted"
    OUTCOME_STORED = "outcome_stored"
    ENGINE_VOIDED = "engine_voided"
    WINS_DELIVERED = "wins_delivered"
    REFUND_DELIVERED = "refund_delivered"


class RoundKind(enum.StrEnum):
    """Who pays the stake: the player (``real``), a campaign, or nobody (``demo``)."""

    REAL = "real"
    FREESPIN = "freespin"
    DEMO = "demo"


S, E = RoundStatus, RoundEvent
TRANSITIONS: dict[tuple[RoundStatus, RoundEvent], RoundStatus] = {
    (S.BETTING, E.BET_REFUSED): S.REJECTED,
    (S.BETTING, E.BET_UNKNOWN): S.REFUNDING,
    (S.BETTING, E.OUTCOME_STORED): S.SETTLING,
    (S.BETTING, E.BET_ACCEPTED): S.ACCEPTED,
    (S.ACCEPTED, E.OUTCOME_STORED): S.SETTLING,
    (S.ACCEPTED, E.ENGINE_VOIDED): S.REFUNDING,
    (S.SETTLING, E.WINS_DELIVERED): S.SETTLED,
    (S.REFUNDING, E.REFUND_DELIVERED): S.REFUNDED,
}
"""The round state machine: (state, event) → next state. Nothing else moves a round."""

FINAL = frozenset({S.REJECTED, S.SETTLED, S.REFUNDED})
"""States no event leaves."""

OWES_STAKE = frozenset({S.SETTLING, S.SETTLED, S.ACCEPTED})
"""States in which the wallet keeps the bet (the round is, or will be, paid)."""


class IllegalTransition(Exception):
    """An event that the round's state does not allow (a bug, not a race)."""

    def __init__(self, status: RoundStatus, event: RoundEvent) -> None:
        self.status = status
        self.event = event
        super().__init__(f"a round that is {status} cannot take {event}")


def allowed(status: RoundStatus, event: RoundEvent) -> bool:
    """Whether ``event`` can move a round that is ``status``."""
    return (status, event) in TRANSITIONS


def advance(status: RoundStatus, event: RoundEvent) -> RoundStatus:
    """The state after ``event``.

    Raises:
        IllegalTransition: the table has no such move.
    """
    try:
        return TRANSITIONS[status, event]
    except KeyError:
        raise IllegalTransition(status, event) from None


class OutboxKind(enum.StrEnum):
    """The wallet call an outbox row carries."""

    BET = "bet"
    WIN = "win"
    REFUND = "refund"


class OutboxStatus(enum.StrEnum):
    """Where an outbox row is."""

    SENDING = "sending"  # a bet in flight: its answer is not stored yet
    PENDING = "pending"  # a win or refund not yet accepted by the wallet
    DELIVERED = "delivered"
    FAILED = "failed"  # a bet refused or of unknown fate (then refunded): never resent


def initial_status(kind: OutboxKind) -> OutboxStatus:
    """How a new row starts: a bet is sent at once by its spin, the rest is pending."""
    return OutboxStatus.SENDING if kind is OutboxKind.BET else OutboxStatus.PENDING


def resent_until_delivered(kind: OutboxKind) -> bool:
    """Whether a row of ``kind`` is resent until the wallet accepts it (B14): wins and
    refunds are; a bet never is (an unknown bet is refunded, B15)."""
    return kind is not OutboxKind.BET


def after_failed_attempt(kind: OutboxKind) -> OutboxStatus:
    """The status of a row whose send did not succeed."""
    return OutboxStatus.PENDING if resent_until_delivered(kind) else OutboxStatus.FAILED
