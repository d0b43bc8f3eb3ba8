"""``reelbridge config …``: the settings of each service, as documented and as resolved."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reelbridge.config import AggregatorSettings, ProviderSettings, SettingsError, load_settings
from reelbridge.config._docs import configuration_markdown

_KINDS = ("aggregator", "provider")


@click.group("config")
def config_command() -> None:
    """Settings: the documented table, and what a service would run with."""


@config_command.command("docs")
@click.option(
    "--write",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the Markdown to this file (docs/configuration.md) instead of printing it.",
)
def docs(target: Path | None) -> None:
    """The table of every setting, generated from the settings models."""
    text = configuration_markdown()
    if target is None:
        click.echo(text, nl=False)
    else:
        target.write_text(text)
        click.echo(f"wrote {target}")


@config_command.command("show")
@click.argument("kind", type=click.Choice(_KINDS))
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A TOML settings file.",
)
def show(kind: str, config_file: Path | None) -> None:
    """The settings a service would run with here (file < environment), secrets masked."""
    try:
        settings: AggregatorSettings | ProviderSettings
        if kind == "aggregator":
            settings = load_settings(
                AggregatorSettings, config_file=config_file, environ=os.environ
            )
        else:
            settings = load_settings(ProviderSettings, config_file=config_file, environ=os.environ)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(repr(settings))
