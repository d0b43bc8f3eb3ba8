"""Loading settings once: a TOML file, then ``REELBRIDGE_…`` variables, then flags.

Each later source overrides the earlier ones field by field; the result is checked in
one place (``msgspec.convert`` against the model: types, bounds, unknown keys refused).
A server resolves its settings once, in the process that starts it, and hands exactly
those to its workers (``settings_for_workers``: one variable holding them as JSON), so
every worker runs with the same values whatever its own environment says.

Environment variables: the service's prefix, then the field's path in upper case joined
by ``_`` (``REELBRIDGE_HTTP_PORT``, ``REELBRIDGE_PROVIDER_HTTP_PORT``). ``env_names``
lists them (the documentation table is generated from it). An empty variable counts as
unset. Lists are comma-separated.
"""

from __future__ import annotations

import ipaddress
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from reelbridge.config._model import (
    AggregatorSettings,
    ProviderSettings,
    SettingsSection,
    secret_fields,
)

ENV_ADMIN_TOKEN = "REELBRIDGE_ADMIN_TOKEN"  # noqa: S105 (a variable name)
ENV_PROVIDER_ADMIN_TOKEN = "REELBRIDGE_PROVIDER_ADMIN_TOKEN"  # noqa: S105 (a variable name)
WORKERS_ENV = "REELBRIDGE_RESOLVED_SETTINGS"
"""The variable a server's workers read their settings from (JSON; set by the parent)."""
MIN_SECRET_LENGTH = 24
PLACEHOLDERS = frozenset(
    {
        "admin", "changeit", "changeme", "default", "example", "password", "placeholder",
        "replaceme", "secret", "test", "todo", "token", "xxx",
    }
)  # fmt: skip
"""Values (compared without case, ``-`` and ``_``) that are obviously not a real secret."""

_GENERATE = "generate one with `python3 -c 'import secrets; print(secrets.token_hex(32))'`"
Settings = AggregatorSettings | ProviderSettings
S = TypeVar("S", AggregatorSettings, ProviderSettings)
Path_ = tuple[str, ...]

_PREFIX: dict[type, str] = {
    AggregatorSettings: "REELBRIDGE_",
    ProviderSettings: "REELBRIDGE_PROVIDER_",
}
_ALIASES: dict[type, dict[Path_, tuple[str, ...]]] = {
    ProviderSettings: {("public_url",): ("REELBRIDGE_PUBLIC_URL",)},  # its name before 0.2
}
FILE_ONLY: frozenset[Path_] = frozenset({("limits", "clients"), ("jackpots",)})
"""Settings too structured for one variable: set in the file only."""


class SettingsError(ValueError):
    """A setting that cannot be used: the message names it and where it came from."""


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, SettingsSection)


def leaves(cls: type) -> list[tuple[Path_, Any]]:
    """Every setting of a model as (path, annotation), nested sections walked."""
    found: list[tuple[Path_, Any]] = []
    hints = typing.get_type_hints(cls, include_extras=True)
    for name in cls.__struct_fields__:  # type: ignore[attr-defined]
        annotation = hints[name]
        if _is_section(annotation):
            found += [((name, *path), a) for path, a in leaves(annotation)]
        else:
            found.append(((name,), annotation))
    return found


def env_names(cls: type) -> dict[Path_, tuple[str, ...]]:
    """The environment variables of each setting (first: its name; then aliases)."""
    prefix, aliases = _PREFIX[cls], _ALIASES.get(cls, {})
    return {
        path: (prefix + "_".join(path).upper(), *aliases.get(path, ()))
        for path, _ in leaves(cls)
        if path not in FILE_ONLY
    }


def _nest(flat: Mapping[Path_, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        node = nested
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return nested


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _from_env(cls: type, environ: Mapping[str, str]) -> dict[str, Any]:
    annotations = dict(leaves(cls))
    found: dict[Path_, Any] = {}
    for path, names in env_names(cls).items():
        name = next((n for n in names if environ.get(n, "").strip()), None)
        if name is None:
            continue
        raw: Any = environ[name].strip()
        annotation = annotations[path]
        base = typing.get_args(annotation)[0] if hasattr(annotation, "__metadata__") else annotation
        if typing.get_origin(base) is tuple:
            raw = [part.strip() for part in raw.split(",") if part.strip()]
        try:
            found[path] = msgspec.convert(raw, annotation, strict=False)
        except msgspec.ValidationError as exc:
            shown = "***" if path[-1] in _secret_names(cls) else environ[name][:80]
            raise SettingsError(f"{name}={shown!r}: {exc}") from None
    return _nest(found)


def _secret_names(cls: type) -> frozenset[str]:
    names: set[str] = set(secret_fields(cls))
    for path, _ in leaves(cls):
        if len(path) > 1:
            names |= secret_fields(_section(cls, path[:-1]))
    return frozenset(names)


def _section(cls: type, path: Path_) -> type:
    for key in path:
        cls = typing.get_type_hints(cls)[key]
    return cls


def _from_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise SettingsError(f"cannot read the settings file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    if data.get("jackpots") is False:  # TOML has no null: `jackpots = false` means none
        data["jackpots"] = None
    return data


def load_settings(
    cls: type[S],
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> S:
    """The settings of one service: defaults < ``config_file`` < ``environ`` < ``flags``.

    Args:
        cls: ``AggregatorSettings`` or ``ProviderSettings``.
        config_file: a TOML file (its keys are the settings' names, sections nested).
        environ: the environment (``REELBRIDGE_…``); nothing is read when None.
        flags: command-line values by dotted name (``"http.port"``); None values are
            flags not given.

    Raises:
        SettingsError: a file that can't be read, an unknown key, a value of the wrong
            type or out of bounds (the message names the setting).
    """
    merged = _from_file(config_file) if config_file is not None else {}
    if environ is not None:
        merged = _merge(merged, _from_env(cls, environ))
    given = {tuple(k.split(".")): v for k, v in (flags or {}).items() if v is not None}
    merged = _merge(merged, _nest(given))
    try:
        settings = msgspec.convert(merged, cls)
    except msgspec.ValidationError as exc:
        where = f" ({config_file})" if config_file is not None else ""
        raise SettingsError(f"invalid settings{where}: {exc}") from None
    for client_id, policy in settings.limits.clients.items():
        for text in policy.allow_ips:
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise SettingsError(
                    f"limits.clients.{client_id}.allow_ips: {text!r} is not an address or "
                    "network (CIDR)"
                ) from None
    if isinstance(settings, ProviderSettings) and "public_url" not in merged:
        http = settings.http
        shown = "127.0.0.1" if http.host in ("0.0.0.0", "::") else http.host  # noqa: S104
        settings = msgspec.structs.replace(settings, public_url=f"http://{shown}:{http.port}")
    return settings


def weak_secret(value: str) -> str | None:
    """Why ``value`` is not fit to guard real money (None: it is)."""
    folded = value.lower().replace("-", "").replace("_", "").strip()
    if folded in PLACEHOLDERS or any(p in folded for p in ("changeme", "replaceme", "<", ">")):
        return "is a placeholder"
    if len(set(value)) <= 2:
        return "is one repeated character"
    if len(value) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    return None


def check_secrets(settings: Settings) -> None:
    """Refuse placeholder or too-short secrets (outside demo mode, which never calls this).

    Raises:
        SettingsError: naming the setting (never its value).
    """
    found: list[tuple[str, str]] = [
        (n, getattr(settings, n)) for n in secret_fields(type(settings))
    ]
    if isinstance(settings, AggregatorSettings):
        found.append(("lobby.provider_admin_token", settings.lobby.provider_admin_token))
    for name, value in found:
        if not value:
            if name == "admin_token":
                raise SettingsError("admin_token is not set")
            continue
        reason = weak_secret(value)
        if reason is not None:
            raise SettingsError(f"{name} {reason}: refusing to start ({_GENERATE})")


def settings_for_workers(settings: Settings) -> dict[str, str]:
    """The environment that hands ``settings`` to worker processes (one variable)."""
    return {WORKERS_ENV: msgspec.json.encode(settings).decode()}


def settings_from_workers(cls: type[S], environ: Mapping[str, str]) -> S:
    """The settings the parent process resolved (``settings_for_workers``).

    Raises:
        SettingsError: the variable is missing or unreadable (not started by ``serve``).
    """
    raw = environ.get(WORKERS_ENV)
    if not raw:
        raise SettingsError(f"{WORKERS_ENV} is not set: start the server with `reelbridge … serve`")
    try:
        return msgspec.json.decode(raw, type=cls)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"{WORKERS_ENV}: {exc}") from None
