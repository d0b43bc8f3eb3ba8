"""Typed settings, read once (from CLI options or the environment) and passed down."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from reelbridge.games import DEFAULT_JACKPOTS, JackpotPlan

DEFAULT_AGGREGATOR_DB = "sqlite:///data/aggregator.db"
ENV_ADMIN_TOKEN = "REELBRIDGE_ADMIN_TOKEN"  # noqa: S105 (a variable name)
ENV_DATABASE_URL = "REELBRIDGE_DATABASE_URL"
ENV_READ_DATABASE_URL = "REELBRIDGE_READ_DATABASE_URL"
DEFAULT_PROVIDER_DB = "sqlite:///data/provider.db"
ENV_PROVIDER_ADMIN_TOKEN = "REELBRIDGE_PROVIDER_ADMIN_TOKEN"  # noqa: S105 (a variable name)
ENV_PROVIDER_DATABASE_URL = "REELBRIDGE_PROVIDER_DATABASE_URL"
ENV_PUBLIC_URL = "REELBRIDGE_PUBLIC_URL"
ENV_LOBBY_PROVIDER_URL = "REELBRIDGE_LOBBY_PROVIDER_URL"
ENV_LOBBY_CLIENT_ID = "REELBRIDGE_LOBBY_CLIENT_ID"
ENV_LOBBY_PROVIDER_ADMIN_URL = "REELBRIDGE_LOBBY_PROVIDER_ADMIN_URL"
ENV_LOBBY_PROVIDER_ADMIN_TOKEN = "REELBRIDGE_LOBBY_PROVIDER_ADMIN_TOKEN"  # noqa: S105 (a name)
ENV_LOBBY_DEMO = "REELBRIDGE_LOBBY_DEMO"


@dataclass(frozen=True)
class LobbySettings:
    """The provider the lobby and the back office talk to.

    Attributes:
        provider_url: the provider's API base (``/api/games``, ``/api/game-url``, …);
            empty: the lobby lists no games.
        client_id: our client id at that provider (its first token, from the
            ``clients`` table, signs the calls).
        provider_admin_url: the provider's admin API, for the back office's round
            recall, campaign spins left and reconciliation (empty: not shown).
        provider_admin_token: its bearer token.
        demo: a visitor of the lobby may act as any player (the demo; a real casino
            would log the player in).
    """

    provider_url: str = ""
    client_id: str = ""
    provider_admin_url: str = ""
    provider_admin_token: str = ""
    demo: bool = False


@dataclass(frozen=True)
class AggregatorSettings:
    """Everything the aggregator needs to start."""

    database_url: str = DEFAULT_AGGREGATOR_DB
    admin_token: str = ""
    session_ttl_seconds: int = 24 * 3600
    token_cache_seconds: float = 2.0  # float ok: seconds, not money
    lobby: LobbySettings = LobbySettings()
    read_database_url: str | None = None  # a PostgreSQL replica for the read path

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> AggregatorSettings:
        """Settings from ``REELBRIDGE_*`` variables (used by multi-worker servers)."""
        env = dict(os.environ if environ is None else environ)
        return cls(
            database_url=env.get(ENV_DATABASE_URL, DEFAULT_AGGREGATOR_DB),
            admin_token=env.get(ENV_ADMIN_TOKEN, ""),
            lobby=LobbySettings(
                provider_url=env.get(ENV_LOBBY_PROVIDER_URL, ""),
                client_id=env.get(ENV_LOBBY_CLIENT_ID, ""),
                provider_admin_url=env.get(ENV_LOBBY_PROVIDER_ADMIN_URL, ""),
                provider_admin_token=env.get(ENV_LOBBY_PROVIDER_ADMIN_TOKEN, ""),
                demo=env.get(ENV_LOBBY_DEMO, "") in ("1", "true", "yes"),
            ),
            read_database_url=env.get(ENV_READ_DATABASE_URL) or None,
        )


def generate_token() -> str:
    """A fresh random token (admin API or client signing)."""
    return secrets.token_urlsafe(32)


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
    jackpots: JackpotPlan | None = DEFAULT_JACKPOTS
    wallet_timeout_seconds: float = 5.0  # float ok: the protocol's 5 s budget
    session_ttl_seconds: int = 24 * 3600
    demo_balance: int = 1_000_0000
    spin_lease_seconds: int = 30
    relay_interval_seconds: float = 0.5  # float ok: seconds
    relay_batch: int = 50
    token_cache_seconds: float = 2.0  # float ok: seconds
    engine_unsettled_alert_seconds: int = 300

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ProviderSettings:
        """Settings from ``REELBRIDGE_PROVIDER_*`` variables (multi-worker servers)."""
        env = dict(os.environ if environ is None else environ)
        return cls(
            database_url=env.get(ENV_PROVIDER_DATABASE_URL, DEFAULT_PROVIDER_DB),
            admin_token=env.get(ENV_PROVIDER_ADMIN_TOKEN, ""),
            public_url=env.get(ENV_PUBLIC_URL, cls.public_url),
        )
