"""The certification kit: prove any wallet or provider against PROTOCOL.md.

``certify_wallet`` plays a provider against a wallet; ``certify_provider`` plays the
aggregator against a provider, with its own recording, fault-injecting wallet
(``FaultWallet``, also the heart of ``reelbridge sandbox``). Both return a ``Report``:
one ``Result`` per scenario, named after the rule it proves.
"""

from reelbridge.testing.certify.fault_wallet import Call, FaultWallet, Rule, garbage
from reelbridge.testing.certify.provider_check import ProviderCheck
from reelbridge.testing.certify.provider_kit import certify_provider, provider_scenarios
from reelbridge.testing.certify.provider_probe import ENDPOINTS, ProviderTarget
from reelbridge.testing.certify.report import Exchange, Report, Result, Status
from reelbridge.testing.certify.runner import Failed, NotRun, Scenario
from reelbridge.testing.certify.signature import SignatureCheck, diagnose
from reelbridge.testing.certify.wallet_check import SetupError, WalletCheck, WalletTarget
from reelbridge.testing.certify.wallet_kit import certify_wallet, wallet_scenarios

__all__ = [
    "ENDPOINTS",
    "Call",
    "Exchange",
    "Failed",
    "FaultWallet",
    "NotRun",
    "ProviderCheck",
    "ProviderTarget",
    "Report",
    "Result",
    "Rule",
    "Scenario",
    "SetupError",
    "SignatureCheck",
    "Status",
    "WalletCheck",
    "WalletTarget",
    "certify_provider",
    "certify_wallet",
    "diagnose",
    "garbage",
    "provider_scenarios",
    "wallet_scenarios",
]
