"""The ``reelbridge`` command line.

Errors reach the user as one readable line and a non-zero exit (2 for bad usage),
never as a traceback.
"""

from __future__ import annotations

import sys

import click

from reelbridge.cli.aggregator import aggregator
from reelbridge.cli.certify import certify
from reelbridge.cli.config import config_command
from reelbridge.cli.demo import demo
from reelbridge.cli.engines import engine, engines
from reelbridge.cli.games import games_command
from reelbridge.cli.limits import limits
from reelbridge.cli.provider import provider
from reelbridge.cli.reconcile import reconcile_command
from reelbridge.cli.sandbox import sandbox


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reelbridge")
def cli() -> None:
    """reelbridge: both sides of the reverse-integration casino protocol."""


cli.add_command(aggregator)
aggregator.add_command(limits)
cli.add_command(certify)
cli.add_command(config_command, "config")
cli.add_command(demo)
cli.add_command(games_command, "games")
cli.add_command(provider)
cli.add_command(reconcile_command)
cli.add_command(sandbox)
provider.add_command(engine)
provider.add_command(engines)


def _register_optional() -> None:
    try:
        from reelbridge.games.cli import rtp_command
    except ImportError:  # pragma: no cover - games are part of the package
        return
    cli.add_command(rtp_command, "rtp")


_register_optional()


def main() -> None:
    """Entry point of the console script."""
    try:
        cli.main(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
