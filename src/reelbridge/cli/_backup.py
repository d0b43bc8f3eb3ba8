"""``reelbridge aggregator backup`` and ``reelbridge provider backup``: a consistent copy
of a running service's database (``storage/backup.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reelbridge.config import AggregatorSettings, ProviderSettings, SettingsError, load_settings
from reelbridge.storage import BadDatabaseUrl
from reelbridge.storage.backup import BackupFailed, backup


def backup_command(kind: type[AggregatorSettings] | type[ProviderSettings]) -> click.Command:
    """The ``backup`` command of one service (its database from --database-url, else
    its settings: --config, then the environment)."""

    @click.command("backup")
    @click.option("--to", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The backup file to write (never overwritten).")  # fmt: skip
    @click.option("--config", "config_file", default=None,
                  type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="The service's TOML settings (its database_url).")  # fmt: skip
    @click.option("--database-url", default=None, help="The database (default: the settings').")
    def command(target: Path, config_file: Path | None, database_url: str | None) -> None:
        """Back up the database while the service runs (SQLite: the online backup API,
        checked; PostgreSQL: pg_dump --format=custom)."""
        flags = {"database_url": database_url}
        try:
            settings: AggregatorSettings | ProviderSettings
            if kind is AggregatorSettings:
                settings = load_settings(
                    AggregatorSettings, config_file=config_file, environ=os.environ, flags=flags
                )
            else:
                settings = load_settings(
                    ProviderSettings, config_file=config_file, environ=os.environ, flags=flags
                )
        except SettingsError as exc:
            raise click.UsageError(str(exc)) from None
        try:
            done = backup(settings.database_url, target)
        except BadDatabaseUrl as exc:
            raise click.BadParameter(str(exc), param_hint="--database-url") from None
        except BackupFailed as exc:
            raise click.ClickException(exc.args[0]) from None
        click.echo(f"backed up to {done.path} ({done.size:,} bytes, {done.method})")

    return command
