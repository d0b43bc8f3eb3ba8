"""The wallet domain: pure rules (``rules``) and the units of work that apply them."""

from reelbridge.ledger.flows import Outcome, handle
from reelbridge.ledger.in_database import handle_in_database, wallet_call
from reelbridge.ledger.rules import Decision, RoundState, SessionState, Stored

__all__ = [
    "Decision",
    "Outcome",
    "RoundState",
    "SessionState",
    "Stored",
    "handle",
    "handle_in_database",
    "wallet_call",
]
