"""``reelbridge sandbox``: a fake aggregator (wallet + page) for a studio's provider."""

from reelbridge.sandbox.app import Sandbox, SandboxSettings, build_sandbox

__all__ = ["Sandbox", "SandboxSettings", "build_sandbox"]
