"""Typed settings, read once (from CLI options or the environment) and passed down."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

DEFAULT_AGGREGATOR_DB = "sqlite:///data/aggregator.db"
ENV_ADMIN_TOKEN = "REELBRIDGE_ADMIN_TOKEN"  # noqa: S105 (a variable name)
ENV_DATABASE_URL = "REELBRIDGE_DATABASE_URL"
ENV_READ_DATABASE_URL = "REELBRIDGE_READ_DATABASE_URL"
DEFAULT_PROVIDER_DB = "sqlite:///data/provider.db"
ENV_PROVIDER_ADMIN_TOKEN = "REELBRIDGE_PROVIDER_ADMIN_TOKEN"  # noqa: S105 (a variable name)
ENV_PROVIDER_DATABASE_URL = "REELBRIDGE_PROVIDER_DATABASE_URL"
ENV_PUBLIC_URL = "REELBRIDGE_PUBLIC_URL"


@dataclass(frozen=True)
class AggregatorSettings:
    """Everything the aggregator needs to start."""

    database_url: str = DEFAULT_AGGREGATOR_DB
    admin_token: str = ""
    session_ttl_seconds: int = 24 * 3600
    token_cache_seconds: float = 2.0  # float ok: seconds, not money
    read_database_url: str | None = None  # a PostgreSQL replica for the read path

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> AggregatorSettings:
        """Settings from ``REELBRIDGE_*`` variables (used by multi-worker servers)."""
        env = dict(os.environ if environ is None else environ)
        return cls(
            database_url=env.get(ENV_DATABASE_URL, DEFAULT_AGGREGATOR_DB),
            admin_token=env.get(ENV_ADMIN_TOKEN, ""),
            read_database_url=env.get(ENV_READ_DATABASE_URL) or None,
        )


def generate_token() -> str:
    """A fresh random token (admin API or client signing)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class JackpotLevel:
    """One progressive jackpot level (the same for every currency).

    Attributes:
        name: shown to players and sent in the jackpots call (e.g. ``"Gold"``).
        seed: the amount a pool starts from and resets to after a hit (1/10000 units).
        share_ppm: the share of each real stake fed into the pool, in parts per million.
        odds: a real-money spin hits this level with probability 1/odds.
    """

    name: str
    seed: int
    share_ppm: int
    odds: int


DEFAULT_JACKPOTS = (
    JackpotLevel("Bronze", seed=50_0000, share_ppm=5_000, odds=2_000),
    JackpotLevel("Silver", seed=500_0000, share_ppm=3_000, odds=20_000),
    JackpotLevel("Gold", seed=5_000_0000, share_ppm=2_000, odds=200_000),
)
DEFAULT_CURRENCIES = (
    "EUR", "USD", "GBP", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "BRL",
    "MXN", "TRY", "RUB", "UAH", "KZT", "INR", "JPY",
)  # fmt: skip
DEFAULT_LANGUAGES = ("en", "ru", "de", "es", "pt", "tr")


@dataclass(frozen=True)
class ProviderSettings:
    """Everything the provider needs to start."""

    database_url: str = DEFAULT_PROVIDER_DB
    admin_token: str = ""
    public_url: str = "http://127.0.0.1:8001"
    currencies: tuple[str, ...] = DEFAULT_CURRENCIES
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    jackpots: tuple[JackpotLevel, ...] = DEFAULT_JACKPOTS
    wallet_timeout_seconds: float = 5.0  # float ok: the protocol's 5 s budget
    session_ttl_seconds: int = 24 * 3600
    demo_balance: int = 1_000_0000
    spin_lease_seconds: int = 30
    relay_interval_seconds: float = 0.5  # float ok: seconds
    relay_batch: int = 50
    token_cache_seconds: float = 2.0  # float ok: seconds

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ProviderSettings:
        """Settings from ``REELBRIDGE_PROVIDER_*`` variables (multi-worker servers)."""
        env = dict(os.environ if environ is None else environ)
        return cls(
            database_url=env.get(ENV_PROVIDER_DATABASE_URL, DEFAULT_PROVIDER_DB),
            admin_token=env.get(ENV_PROVIDER_ADMIN_TOKEN, ""),
            public_url=env.get(ENV_PUBLIC_URL, cls.public_url),
        )
