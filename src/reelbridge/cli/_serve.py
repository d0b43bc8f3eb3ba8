"""What both ``serve`` commands share: their flags (built from the settings model), loading
the settings once, and refusing to start on a bad one."""

from __future__ import annotations

import os
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec

from reelbridge.config import (
    AggregatorSettings,
    ProviderSettings,
    SettingsError,
    check_secrets,
    env_names,
    generate_token,
    load_settings,
)
from reelbridge.config._docs import SERVE_FLAGS
from reelbridge.config._load import leaves

S = TypeVar("S", AggregatorSettings, ProviderSettings)
CONFIG_ENV: dict[type, str] = {
    AggregatorSettings: "REELBRIDGE_CONFIG",
    ProviderSettings: "REELBRIDGE_PROVIDER_CONFIG",
}


def _click_type(annotation: Any) -> Any:
    base, meta = annotation, None
    if hasattr(annotation, "__metadata__"):
        base = typing.get_args(annotation)[0]
        meta = next((m for m in annotation.__metadata__ if isinstance(m, msgspec.Meta)), None)
    if typing.get_origin(base) is not None:  # optional: the inner type
        base = next(a for a in typing.get_args(base) if a is not type(None))
        return _click_type(base)
    low = None if meta is None else (meta.ge if meta.ge is not None else meta.gt)
    high = None if meta is None else meta.le
    if base is int:
        return click.IntRange(
            None if low is None else int(low), None if high is None else int(high)
        )
    if base is float:
        return click.FloatRange(low, high)
    return str


def serve_options(cls: type) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``--config FILE`` and the flags of ``SERVE_FLAGS[cls]`` (each: a setting)."""
    annotations = {".".join(path): a for path, a in leaves(cls)}
    envs = {".".join(path): names[0] for path, names in env_names(cls).items()}

    def apply(command: Callable[..., None]) -> Callable[..., None]:
        for name, flag in reversed(SERVE_FLAGS[cls].items()):
            annotation = annotations[name]
            help_text = _description(annotation) + f" (setting {name}, env {envs[name]})"
            dest = name.replace(".", "__")
            if typing.get_args(annotation)[:1] == (bool,) or annotation is bool:
                command = click.option(flag, dest, is_flag=True, default=None, help=help_text)(
                    command
                )
            else:
                option = click.option(
                    flag, dest, type=_click_type(annotation), default=None, help=help_text
                )
                command = option(command)
        return click.option(
            "--config",
            "config_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            envvar=CONFIG_ENV[cls],
            default=None,
            help=f"A TOML settings file (env {CONFIG_ENV[cls]}); see docs/configuration.md.",
        )(command)

    return apply


def _description(annotation: Any) -> str:
    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, msgspec.Meta) and meta.description:
            return meta.description.rstrip(".")
    return ""


def resolve(cls: type[S], config_file: Path | None, flags: dict[str, Any]) -> S:
    """The settings of this run (file < environment < flags), with an admin token.

    A missing admin token is generated and printed once; a weak secret, an unknown key or
    a bad value is a usage error (exit 2), the message naming the setting.
    """
    given = {key.replace("__", "."): value for key, value in flags.items()}
    if given.get("lobby.demo") is False:
        given["lobby.demo"] = None  # a flag can only turn it on
    try:
        settings = load_settings(cls, config_file=config_file, environ=os.environ, flags=given)
        if not settings.admin_token:
            token = generate_token()
            variable = env_names(cls)[("admin_token",)][0]
            click.echo(f"{variable} was not set; the admin token of this run is:\n  {token}")
            settings = msgspec.structs.replace(settings, admin_token=token)
        check_secrets(settings)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    return settings
