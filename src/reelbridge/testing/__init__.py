"""The public test harness: clients, servers, fault injection and fakes of the ports,
for anyone's integration (as click ships ``CliRunner``)."""

from reelbridge.client import (
    AdminClient,
    AdminError,
    HeadlessPlayer,
    LaunchUrl,
    PlayerError,
    WalletClient,
)
from reelbridge.testing.fakes import FakeClock, FakeWallet, SequentialIds
from reelbridge.testing.faults import FaultProxy
from reelbridge.web.servers import free_port, serve_in_thread

__all__ = [
    "AdminClient",
    "AdminError",
    "FakeClock",
    "FakeWallet",
    "FaultProxy",
    "HeadlessPlayer",
    "LaunchUrl",
    "PlayerError",
    "SequentialIds",
    "WalletClient",
    "free_port",
    "serve_in_thread",
]
