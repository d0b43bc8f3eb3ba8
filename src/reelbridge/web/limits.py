"""Per-client rate limits and address allow-lists of the protocol endpoints.

Each client gets a token bucket per server process: ``rate_per_second`` calls refill it,
it holds at most ``burst``; a call takes one or is refused. Refused calls write nothing
and are answered with a protocol error (PROTOCOL-part-b.md, "Operational refusals"):

- over the rate: ``INTERNAL_ERROR`` "Too many requests…" (a *known* error for a bet, so
  the provider shows it and owes no refund; a win or refund is resent by the outbox);
- from an address not on the client's ``allow_ips``: ``INVALID_SIGN`` "…address not
  allowed…" (the call is not accepted as the client's, whatever its signature).

Limits are per process: with N workers a client may make up to N × its rate (set the
rate per worker). The address is the connection's peer, or the ``X-Forwarded-For`` of
a trusted reverse proxy (``http.forwarded_allow_ips``). Only clients that passed their
signature check are rate-limited, so nobody can spend another client's budget.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

from reelbridge.config import ClientPolicy, LimitSettings
from reelbridge.protocol import ErrorCode, InvalidSign, ProtocolError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(InvalidSign):
    """A call from an address its client may not call from (nothing was done)."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        super().__init__(message=f"Address not allowed for client {client_id}")


class TooManyRequests(ProtocolError):
    """A client over its rate (nothing was done)."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        super().__init__(
            ErrorCode.INTERNAL_ERROR,
            f"Too many requests: client {client_id} is over its rate limit, retry later",
        )


def _networks(policy: ClientPolicy | None) -> tuple[Network, ...]:
    if policy is None:
        return ()
    return tuple(ipaddress.ip_network(text, strict=False) for text in policy.allow_ips)


class ClientLimits:
    """The rate and the allowed addresses of each client, for one process."""

    def __init__(
        self, settings: LimitSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        # float ok (this class): request tokens per second and monotonic seconds, not money
        self._default = (float(settings.rate_per_second), settings.burst)  # float ok: rate
        self._policies: dict[str, tuple[float, int]] = {}
        self._allowed: dict[str, tuple[Network, ...]] = {}
        for client_id, policy in settings.clients.items():
            rate = policy.rate_per_second
            rate = settings.rate_per_second if rate is None else rate
            per_second = float(rate)  # float ok: requests per second
            self._policies[client_id] = (per_second, policy.burst or settings.burst)
            if policy.allow_ips:
                self._allowed[client_id] = _networks(policy)
        self._buckets: dict[str, list[float]] = {}  # float ok: tokens and times, not money
        self._clock = clock

    def check_address(self, client_id: str, address: str | None) -> None:
        """Refuse a call from outside the client's allow-list (if it has one).

        Raises:
            AddressRefused: the address is not allowed (or unknown).
        """
        allowed = self._allowed.get(client_id)
        if allowed is None:
            return
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            ip = None
        if ip is None or not any(ip in net for net in allowed):
            raise AddressRefused(client_id)

    def take(self, client_id: str) -> None:
        """Count one call of an authenticated client.

        Raises:
            TooManyRequests: the client is over its rate.
        """
        rate, burst = self._policies.get(client_id, self._default)
        if rate <= 0:
            return
        now = self._clock()
        bucket = self._buckets.get(client_id)
        if bucket is None:
            bucket = self._buckets[client_id] = [float(burst), now]  # float ok: tokens
        tokens = min(float(burst), bucket[0] + (now - bucket[1]) * rate)  # float ok: tokens
        bucket[1] = now
        if tokens < 1.0:
            bucket[0] = tokens
            raise TooManyRequests(client_id)
        bucket[0] = tokens - 1.0
