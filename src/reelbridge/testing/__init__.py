"""The public test harness: clients, servers and fixtures for anyone's integration."""

from reelbridge.testing.clients import AdminClient, AdminError, WalletClient
from reelbridge.testing.player import HeadlessPlayer, LaunchUrl, PlayerError
from reelbridge.testing.servers import free_port, serve_in_thread

__all__ = [
    "AdminClient",
    "AdminError",
    "HeadlessPlayer",
    "LaunchUrl",
    "PlayerError",
    "WalletClient",
    "free_port",
    "serve_in_thread",
]
