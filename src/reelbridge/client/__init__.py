"""Clients of reelbridge's HTTP APIs (and of anyone's that speaks the same protocol):
the signed wallet client, the admin API client and the headless player. The CLI uses
them; the test harness (``reelbridge.testing``) re-exports them."""

from reelbridge.client.clients import AdminClient, AdminError, WalletClient
from reelbridge.client.player import HeadlessPlayer, LaunchUrl, PlayerError

__all__ = [
    "AdminClient",
    "AdminError",
    "HeadlessPlayer",
    "LaunchUrl",
    "PlayerError",
    "WalletClient",
]
