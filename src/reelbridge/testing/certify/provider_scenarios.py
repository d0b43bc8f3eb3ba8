"""The registry of provider scenarios (filled by the ``provider_*`` scenario modules)."""

from __future__ import annotations

from reelbridge.testing.certify.provider_check import ProviderCheck
from reelbridge.testing.certify.runner import ScenarioSet

provider = ScenarioSet[ProviderCheck]()
"""Every provider scenario, in the order they run."""
