"""Typed settings, loaded once (TOML file < environment < command-line flags) and passed
down; see ``docs/configuration.md`` for every setting (generated from the models)."""

from reelbridge.config._load import (
    ENV_ADMIN_TOKEN,
    ENV_PROVIDER_ADMIN_TOKEN,
    SettingsError,
    check_secrets,
    env_names,
    load_settings,
    settings_for_workers,
    settings_from_workers,
)
from reelbridge.config._model import (
    DEFAULT_AGGREGATOR_DB,
    DEFAULT_CURRENCIES,
    DEFAULT_LANGUAGES,
    DEFAULT_PROVIDER_DB,
    AggregatorSettings,
    ClientPolicy,
    HttpSettings,
    LimitSettings,
    LobbySettings,
    LogSettings,
    ProviderHttpSettings,
    ProviderSettings,
    generate_token,
    secret_fields,
)

__all__ = [
    "DEFAULT_AGGREGATOR_DB",
    "DEFAULT_CURRENCIES",
    "DEFAULT_LANGUAGES",
    "DEFAULT_PROVIDER_DB",
    "ENV_ADMIN_TOKEN",
    "ENV_PROVIDER_ADMIN_TOKEN",
    "AggregatorSettings",
    "ClientPolicy",
    "HttpSettings",
    "LimitSettings",
    "LobbySettings",
    "LogSettings",
    "ProviderHttpSettings",
    "ProviderSettings",
    "SettingsError",
    "check_secrets",
    "env_names",
    "generate_token",
    "load_settings",
    "secret_fields",
    "settings_for_workers",
    "settings_from_workers",
]
