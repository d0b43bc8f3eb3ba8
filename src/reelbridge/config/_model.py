"""The settings models: one typed, frozen msgspec Struct per service.

Every field carries its description (``msgspec.Meta``), which ``docs/configuration.md``
is generated from (``reelbridge config docs``). Secrets are ``Secret`` fields: masked by
``repr``/``str`` and in the table, never logged. Loading (file, environment, flags) is
``_load.py``; the models only hold values and their constraints.
"""

from __future__ import annotations

import functools
import secrets
import typing
from typing import Annotated, Any, Literal

import msgspec

from reelbridge.games import DEFAULT_JACKPOTS, JackpotPlan

DEFAULT_AGGREGATOR_DB = "sqlite:///data/aggregator.db"
DEFAULT_PROVIDER_DB = "sqlite:///data/provider.db"
DEFAULT_CURRENCIES = (
    "EUR", "USD", "GBP", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "BRL",
    "MXN", "TRY", "RUB", "UAH", "KZT", "INR", "JPY",
)  # fmt: skip
DEFAULT_LANGUAGES = ("en", "ru", "de", "es", "pt", "tr")


def _doc(text: str, **constraints: Any) -> msgspec.Meta:
    return msgspec.Meta(description=text, **constraints)


def _secret(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text, extra={"secret": True})


Seconds = float  # float ok: durations in seconds, never money


def generate_token() -> str:
    """A fresh random token (admin API or client signing)."""
    return secrets.token_hex(32)


def _masked_repr(struct: msgspec.Struct) -> str:
    # Secrets never reach a log line or a traceback through repr/str.
    parts = []
    for name in struct.__struct_fields__:
        value = getattr(struct, name)
        secret = name in secret_fields(type(struct))
        shown = ("'***'" if value else "''") if secret else repr(value)
        parts.append(f"{name}={shown}")
    return f"{type(struct).__name__}({', '.join(parts)})"


@functools.cache
def secret_fields(cls: type) -> frozenset[str]:
    """The fields of a settings class that hold secrets (``Secret`` metadata)."""
    hints = typing.get_type_hints(cls, include_extras=True)
    found = set()
    for name in getattr(cls, "__struct_fields__", ()):
        for meta in getattr(hints[name], "__metadata__", ()):
            if isinstance(meta, msgspec.Meta) and (meta.extra or {}).get("secret"):
                found.add(name)
    return frozenset(found)


class SettingsSection(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A group of settings (a TOML table); ``repr``/``str`` mask its secrets."""

    def __repr__(self) -> str:
        return _masked_repr(self)

    __str__ = __repr__


class HttpSettings(SettingsSection, frozen=True):
    """The HTTP server (uvicorn with uvloop and httptools) and its edge limits."""

    host: Annotated[str, _doc("Address to listen on.")] = "127.0.0.1"
    port: Annotated[int, _doc("TCP port.", ge=0, le=65535)] = 8000
    workers: Annotated[
        int, _doc("Server processes (PostgreSQL only); each serves every route.", ge=1, le=64)
    ] = 1
    request_timeout_seconds: Annotated[
        Seconds,
        _doc("A request whose head and body have not fully arrived after this long is "
             "closed (HTTP 408).", gt=0, le=3600),
    ] = 30.0  # fmt: skip
    max_header_bytes: Annotated[
        int,
        _doc("Largest request line + headers accepted; more is refused with HTTP 431 "
             "before it is buffered.", ge=1024, le=1 << 20),
    ] = 32 * 1024  # fmt: skip
    keepalive_seconds: Annotated[
        int, _doc("An idle kept-alive connection is closed after this long.", ge=1, le=3600)
    ] = 5
    graceful_shutdown_seconds: Annotated[
        int,
        _doc("On SIGTERM, in-flight requests get this long to finish before they are "
             "cancelled.", ge=1, le=3600),
    ] = 30  # fmt: skip
    forwarded_allow_ips: Annotated[
        tuple[str, ...],
        _doc("Reverse proxies whose X-Forwarded-For/-Proto are trusted (the client's "
             "address for allow-lists and logs)."),
    ] = ("127.0.0.1",)  # fmt: skip


class ProviderHttpSettings(HttpSettings, frozen=True):
    """The provider's HTTP server (its default port is 8001)."""

    port: Annotated[int, _doc("TCP port.", ge=0, le=65535)] = 8001


class LogSettings(SettingsSection, frozen=True):
    """Logging: one JSON object per line on standard error."""

    level: Annotated[
        Literal["debug", "info", "warning", "error"], _doc("Lowest level written.")
    ] = "info"
    format: Annotated[
        Literal["json", "text"], _doc("json: one object per line; text: for people.")
    ] = "json"
    access: Annotated[
        bool, _doc("One line per request (method, path, status, time, request id).")
    ] = True


class ClientPolicy(SettingsSection, frozen=True):
    """One client's own limits (file only: ``[limits.clients."<client id>"]``)."""

    rate_per_second: (
        Annotated[float, _doc("This client's rate (default: limits.rate_per_second).", ge=0)] | None
    ) = None  # float ok: a rate, not money
    burst: Annotated[int, _doc("This client's burst (default: limits.burst).", ge=1)] | None = None
    allow_ips: Annotated[
        tuple[str, ...],
        _doc("Addresses or networks (CIDR) this client may call from; empty: any."),
    ] = ()


class LimitSettings(SettingsSection, frozen=True):
    """Per-client rate limits on the protocol endpoints (per server process)."""

    rate_per_second: Annotated[
        float,
        _doc("Protocol calls per second each client may make to one process (0: no "
             "limit); over it, a call is refused and nothing is written.", ge=0),
    ] = 2000.0  # fmt: skip # float ok: a rate, not money
    burst: Annotated[int, _doc("Calls a client may make at once above its rate.", ge=1)] = 4000
    clients: Annotated[
        dict[str, ClientPolicy],
        _doc("Per-client rate, burst and address allow-list, by client id (file only)."),
    ] = {}


class LobbySettings(SettingsSection, frozen=True):
    """The provider the lobby and the back office talk to."""

    provider_url: Annotated[
        str, _doc("The provider's API base (/api/games, /api/game-url, …); empty: no games.")
    ] = ""
    client_id: Annotated[
        str, _doc("Our client id at that provider (its first token signs the calls).")
    ] = ""
    provider_admin_url: Annotated[
        str, _doc("The provider's admin API, for round recall and reconciliation.")
    ] = ""
    provider_admin_token: Annotated[str, _secret("Bearer token of that admin API.")] = ""
    demo: Annotated[bool, _doc("A visitor of the lobby may act as any player (demos only).")] = (
        False
    )


class AggregatorSettings(SettingsSection, frozen=True):
    """Everything the aggregator (the casino's wallet) needs to start."""

    database_url: Annotated[str, _doc("sqlite:///path or postgresql://user@host/db.")] = (
        DEFAULT_AGGREGATOR_DB
    )
    read_database_url: Annotated[
        str | None,
        _doc("A PostgreSQL replica for listings, the ledger check and metrics "
             "(default: the main database)."),
    ] = None  # fmt: skip
    admin_token: Annotated[
        str, _secret("Bearer token of the admin API and the back office's login.")
    ] = ""
    fingerprint_key: Annotated[
        str,
        _secret("Key of the token fingerprints shown in listings and the audit log "
                "(default: derived from admin_token)."),
    ] = ""  # fmt: skip
    session_ttl_seconds: Annotated[
        int, _doc("Lifetime of a wallet session opened without a ttl.", ge=1)
    ] = 24 * 3600
    token_cache_seconds: Annotated[
        Seconds, _doc("How long a process caches a client's tokens.", ge=0, le=3600)
    ] = 2.0
    lobby: LobbySettings = LobbySettings()
    http: HttpSettings = HttpSettings()
    log: LogSettings = LogSettings()
    limits: LimitSettings = LimitSettings()


class ProviderSettings(SettingsSection, frozen=True):
    """Everything the provider (the game studio's server) needs to start."""

    database_url: Annotated[str, _doc("sqlite:///path or postgresql://user@host/db.")] = (
        DEFAULT_PROVIDER_DB
    )
    admin_token: Annotated[
        str, _secret("Bearer token of the admin API and the studio console's login.")
    ] = ""
    fingerprint_key: Annotated[
        str,
        _secret("Key of the token fingerprints shown in listings and the audit log "
                "(default: derived from admin_token)."),
    ] = ""  # fmt: skip
    public_url: Annotated[
        str, _doc("Base URL of launch links (default: http://HOST:PORT of http).")
    ] = "http://127.0.0.1:8001"
    currencies: Annotated[tuple[str, ...], _doc("Currencies offered (ISO 4217).")] = (
        DEFAULT_CURRENCIES
    )
    languages: Annotated[tuple[str, ...], _doc("Languages of the game client.")] = DEFAULT_LANGUAGES
    jackpots: Annotated[
        JackpotPlan | None,
        _doc("Progressive jackpot levels (file only: [[jackpots.levels]] tables; "
             "jackpots = false for none)."),
    ] = DEFAULT_JACKPOTS  # fmt: skip
    wallet_timeout_seconds: Annotated[
        Seconds, _doc("Budget of one wallet call (the protocol's 5 s).", ge=0.1, le=60)
    ] = 5.0
    session_ttl_seconds: Annotated[int, _doc("Lifetime of a game session.", ge=1)] = 24 * 3600
    demo_balance: Annotated[
        int, _doc("Virtual balance of a demo session, in 1/10000 units.", ge=0)
    ] = 1_000_0000
    spin_lease_seconds: Annotated[
        int,
        _doc("After this long an unfinished spin or delivery is taken over by a relay.",
             ge=1, le=3600),
    ] = 30  # fmt: skip
    relay_interval_seconds: Annotated[
        Seconds, _doc("Pause between two outbox relay passes.", gt=0, le=60)
    ] = 0.5
    relay_batch: Annotated[int, _doc("Outbox rows a relay pass takes.", ge=1, le=10_000)] = 50
    token_cache_seconds: Annotated[
        Seconds, _doc("How long a process caches a client's record.", ge=0, le=3600)
    ] = 2.0
    engine_unsettled_alert_seconds: Annotated[
        int, _doc("A remote engine's round without outcome after this long is alerted on.", ge=1)
    ] = 300
    call_log_days: Annotated[
        int,
        _doc("Days the wallet-call log keeps each call's bodies (0: keep none).", ge=0, le=3650),
    ] = 7
    http: ProviderHttpSettings = ProviderHttpSettings()
    log: LogSettings = LogSettings()
    limits: LimitSettings = LimitSettings()
