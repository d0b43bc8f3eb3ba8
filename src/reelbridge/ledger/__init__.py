"""The wallet domain: pure rules (``rules``) and the units of work that apply them."""

from reelbridge.ledger.flows import Outcome, handle
from reelbridge.ledger.rules import Decision, RoundState, SessionState, Stored

__all__ = ["Decision", "Outcome", "RoundState", "SessionState", "Stored", "handle"]
