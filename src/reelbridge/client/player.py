"""A headless player: plays a launched game through the same HTTP API as the browser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx


class PlayerError(Exception):
    """The launch URL or the game API could not be used."""


@dataclass(frozen=True)
class LaunchUrl:
    """A parsed launch URL: the provider's base URL and the launch token."""

    base: str
    token: str

    @classmethod
    def parse(cls, url: str) -> LaunchUrl:
        """Split ``http://host:port/game/<token>``.

        Raises:
            PlayerError: not a launch URL.
        """
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if parts.scheme not in ("http", "https") or len(segments) < 2 or segments[-2] != "game":
            raise PlayerError(f"not a launch URL (expected http://host/game/<token>): {url}")
        prefix = "/".join(segments[:-2])
        base = f"{parts.scheme}://{parts.netloc}" + (f"/{prefix}" if prefix else "")
        return cls(base=base, token=segments[-1])


class HeadlessPlayer:
    """Plays spins of one launched game session."""

    def __init__(self, launch_url: str, *, timeout: float = 30.0) -> None:  # float ok: s
        self.launch = LaunchUrl.parse(launch_url)
        self._http = httpx.Client(
            base_url=f"{self.launch.base}/game/api/{self.launch.token}", timeout=timeout
        )

    def __enter__(self) -> HeadlessPlayer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _json(self, response: httpx.Response) -> Any:
        try:
            data = response.json()
        except ValueError:
            raise PlayerError(f"HTTP {response.status_code}: not JSON") from None
        if response.status_code >= 400:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            raise PlayerError(error.get("message") or f"HTTP {response.status_code}")
        return data

    def state(self) -> dict[str, Any]:
        """The game state (stakes, balance, campaign, jackpots)."""
        try:
            return dict(self._json(self._http.get("/state")))
        except httpx.HTTPError as exc:
            raise PlayerError(f"cannot reach the provider: {exc}") from None

    def spin(self, bet_id: int) -> dict[str, Any]:
        """Play one round; the provider's answer (error details included, not raised)."""
        try:
            return dict(self._json(self._http.post("/spin", json={"bet_id": bet_id})))
        except httpx.HTTPError as exc:
            raise PlayerError(f"cannot reach the provider: {exc}") from None

    def recall(self, round_id: str) -> dict[str, Any]:
        """Recall a round, replayed from storage."""
        return dict(self._json(self._http.get(f"/rounds/{round_id}")))
