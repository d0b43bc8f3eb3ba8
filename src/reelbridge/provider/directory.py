"""The provider's view of its clients (tokens and wallet URL), cached briefly."""

from __future__ import annotations

from reelbridge._cache import TtlCache
from reelbridge.provider import launch
from reelbridge.provider.launch import ClientRecord
from reelbridge.storage import Engine


class ClientDirectory(TtlCache[str, "ClientRecord | None"]):
    """Client records by id; ``forget`` after an update made through this process."""

    def __init__(self, *, engine: Engine, ttl_seconds: float = 2.0) -> None:  # float ok
        async def load(client_id: str) -> ClientRecord | None:
            return await engine.run(lambda: launch.client(client_id))

        super().__init__(load, ttl_seconds=ttl_seconds)
