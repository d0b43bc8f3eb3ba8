"""The public test harness: clients, servers and fixtures for anyone's integration."""

from reelbridge.testing.clients import AdminClient, AdminError, WalletClient
from reelbridge.testing.faults import FaultProxy
from reelbridge.testing.player import HeadlessPlayer, LaunchUrl, PlayerError
from reelbridge.testing.servers import free_port, serve_in_thread

__all__ = [
    "AdminClient",
    "AdminError",
    "FaultProxy",
    "HeadlessPlayer",
    "LaunchUrl",
    "PlayerError",
    "WalletClient",
    "free_port",
    "serve_in_thread",
]
