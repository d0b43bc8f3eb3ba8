"""The certification kit: prove any wallet or provider against PROTOCOL.md.

Public names are re-exported from ``reelbridge.testing``.
"""

from reelbridge.testing.certify.report import Exchange, Report, Result, Status
from reelbridge.testing.certify.runner import Failed, NotRun, Scenario
from reelbridge.testing.certify.wallet_check import SetupError, WalletCheck, WalletTarget
from reelbridge.testing.certify.wallet_kit import certify_wallet, wallet_scenarios

__all__ = [
    "Exchange",
    "Failed",
    "NotRun",
    "Report",
    "Result",
    "Scenario",
    "SetupError",
    "Status",
    "WalletCheck",
    "WalletTarget",
    "certify_wallet",
    "wallet_scenarios",
]
