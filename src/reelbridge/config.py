"""Typed settings, read once (from CLI options or the environment) and passed down."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

DEFAULT_AGGREGATOR_DB = "sqlite:///data/aggregator.db"
ENV_ADMIN_TOKEN = "REELBRIDGE_ADMIN_TOKEN"  # noqa: S105 (a variable name)
ENV_DATABASE_URL = "REELBRIDGE_DATABASE_URL"


@dataclass(frozen=True)
class AggregatorSettings:
    """Everything the aggregator needs to start."""

    database_url: str = DEFAULT_AGGREGATOR_DB
    admin_token: str = ""
    session_ttl_seconds: int = 24 * 3600
    token_cache_seconds: float = 2.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> AggregatorSettings:
        """Settings from ``REELBRIDGE_*`` variables (used by multi-worker servers)."""
        env = dict(os.environ if environ is None else environ)
        return cls(
            database_url=env.get(ENV_DATABASE_URL, DEFAULT_AGGREGATOR_DB),
            admin_token=env.get(ENV_ADMIN_TOKEN, ""),
        )


def generate_token() -> str:
    """A fresh random token (admin API or client signing)."""
    return secrets.token_urlsafe(32)
