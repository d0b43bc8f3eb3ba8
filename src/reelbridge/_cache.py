"""A small time-bounded cache with an async loader (client tokens, wallet URLs)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Values loaded on demand and kept ``ttl_seconds``; ``forget`` drops one at once.

    Negative answers (a loader returning None) are cached too, so a flood of unknown
    keys costs one load per key per ttl. The cache is cleared when it grows past
    ``max_entries``.
    """

    def __init__(
        self,
        load: Callable[[K], Awaitable[V]],
        *,
        ttl_seconds: float,  # float ok: seconds
        max_entries: int = 10_000,
    ) -> None:
        self._load = load
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: dict[K, tuple[float, V]] = {}  # float ok: monotonic time

    async def get(self, key: K) -> V:
        """The cached value of ``key``, loading it if missing or stale."""
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        loaded = await self._load(key)
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (now, loaded)
        return loaded

    def forget(self, key: K) -> None:
        """Drop ``key`` (after an update made by this process)."""
        self._entries.pop(key, None)
