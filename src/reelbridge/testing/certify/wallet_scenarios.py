"""The registry of wallet scenarios (filled by the ``wallet_*`` scenario modules)."""

from __future__ import annotations

from reelbridge.testing.certify.runner import ScenarioSet
from reelbridge.testing.certify.wallet_check import WalletCheck

wallet = ScenarioSet[WalletCheck]()
"""Every wallet scenario, in the order they run."""
