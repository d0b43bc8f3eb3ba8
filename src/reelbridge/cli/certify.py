"""``reelbridge certify wallet|provider``: prove a wallet or a provider against the protocol.

Both show a progress display while scenarios run, then the report as a table (with the
exchanges of every failure), optionally written as JSON (``--json FILE``) and JUnit
XML (``--junit FILE``). The exit status is 1 when any scenario failed.
"""

from __future__ import annotations

from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import click

from reelbridge.cli._certify_report import (
    Ask,
    list_scenarios,
    report_options,
    run_with_progress,
    show_report,
)
from reelbridge.config import ENV_ADMIN_TOKEN, ENV_PROVIDER_ADMIN_TOKEN
from reelbridge.testing.certify import Report, WalletTarget, certify_wallet
from reelbridge.testing.certify.provider_kit import certify_provider, provider_scenarios
from reelbridge.testing.certify.provider_probe import ENDPOINTS, ProviderTarget
from reelbridge.testing.certify.wallet_kit import wallet_scenarios


def _required(url: str | None, client_id: str | None, token: str | None) -> tuple[str, str, str]:
    """The three options every certification needs (optional only for ``--list``)."""
    for value, flag in ((url, "--url"), (client_id, "--client-id"), (token, "--token")):
        if not value:
            raise click.BadParameter("is required", param_hint=flag)
    assert url is not None and client_id is not None and token is not None
    return url, client_id, token


@click.group()
def certify() -> None:
    """Prove a wallet or a provider against PROTOCOL.md, with fault injection."""


def _check_admin(admin_url: str | None, admin_token: str | None, env: str) -> None:
    if admin_url is not None and not admin_token:
        raise click.BadParameter(
            f"--admin-url needs --admin-token (or {env})", param_hint="--admin-token"
        )


@certify.command("wallet")
@click.option("--url", help="The wallet endpoint, e.g. http://127.0.0.1:8000/wallet/my-casino.")
@click.option("--client-id", help="The client the kit plays as.")
@click.option("--token", help="That client's token (signs every call).")
@click.option("--admin-url", default=None, help="Base URL of the wallet's admin API (five calls).")
@click.option(
    "--admin-token",
    envvar=ENV_ADMIN_TOKEN,
    default=None,
    show_envvar=True,
    help="Bearer token of the admin API.",
)
@click.option(
    "--session",
    "sessions",
    multiple=True,
    metavar="ID",
    help="A pre-made session of a funded player (without --admin-url).",
)
@click.option(
    "--game-id",
    default="certify-game",
    show_default=True,
    help="The game of the sessions the kit opens or is given.",
)
@click.option("--currency", default="EUR", show_default=True)
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 120),
    help="Seconds a wallet call may take.",
)
@click.option("--load-seconds", default=3.0, show_default=True, type=click.FloatRange(0.1, 600))
@click.option("--load-workers", default=16, show_default=True, type=click.IntRange(1, 256))
@report_options
def wallet_command(
    url: str | None,
    client_id: str | None,
    token: str | None,
    admin_url: str | None,
    admin_token: str | None,
    sessions: tuple[str, ...],
    game_id: str,
    currency: str,
    timeout: float,  # float ok: seconds
    load_seconds: float,  # float ok: seconds
    load_workers: int,
    only: tuple[str, ...],
    list_only: bool,
    json_path: Path | None,
    junit_path: Path | None,
) -> None:
    """Certify any implementation of the aggregator's wallet."""
    scenarios = wallet_scenarios()
    if list_only:
        list_scenarios(scenarios)
        return
    url, client_id, token = _required(url, client_id, token)
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("must be an http:// or https:// URL", param_hint="--url")
    _check_admin(admin_url, admin_token, ENV_ADMIN_TOKEN)
    if admin_url is None and not sessions:
        raise click.UsageError("give --admin-url (with --admin-token) or at least one --session")
    target = WalletTarget(
        url=url,
        client_id=client_id,
        token=token,
        admin_url=admin_url,
        admin_token=admin_token if admin_url else None,
        sessions=sessions,
        game_id=game_id,
        currency=currency,
        timeout=timeout,
        load_seconds=load_seconds,
        load_workers=load_workers,
    )
    report = run_with_progress(
        scenarios,
        only,
        lambda progress, _say, _pause: certify_wallet(target, only=only, progress=progress),
    )
    show_report(report, json_path, junit_path)


def parse_endpoints(text: str | None) -> dict[str, str]:
    """``--endpoints``: a comma-separated list of NAME or NAME=PATH (PATH may be a full
    URL); only the endpoints listed are tested. Default: all five at reelbridge's paths."""
    if text is None:
        return dict(ENDPOINTS)
    chosen: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, where = item.partition("=")
        if name not in ENDPOINTS:
            raise click.BadParameter(
                f"unknown endpoint {name!r}; known: {', '.join(ENDPOINTS)}",
                param_hint="--endpoints",
            )
        chosen[name] = where.strip() or ENDPOINTS[name]
    return chosen


@certify.command("provider")
@click.option("--url", help="The provider's base URL, e.g. http://127.0.0.1:8001.")
@click.option("--client-id", help="The client the kit plays (the aggregator's id at the provider).")
@click.option("--token", help="That client's token.")
@click.option(
    "--endpoints",
    default=None,
    metavar="NAME[=PATH],…",
    help=f"Endpoints the provider offers (default all: {', '.join(ENDPOINTS)}).",
)
@click.option(
    "--admin-url",
    default=None,
    help="The provider's admin API: the kit points the client at its wallet there.",
)
@click.option("--admin-token", envvar=ENV_PROVIDER_ADMIN_TOKEN, default=None, show_envvar=True)
@click.option("--game-id", default="book-of-reels", show_default=True)
@click.option("--currency", default="EUR", show_default=True)
@click.option("--language", default="en", show_default=True)
@click.option(
    "--wallet-timeout",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1, 60),
    help="The provider's wallet time budget in seconds (the protocol's is 5).",
)
@click.option(
    "--wallet-host",
    default="127.0.0.1",
    show_default=True,
    help="Where the kit's wallet listens (0.0.0.0 for a provider elsewhere).",
)
@click.option(
    "--wallet-port", default=0, type=click.IntRange(0, 65535), help="Default: any free port."
)
@click.option(
    "--wallet-url", default=None, help="The kit wallet's base URL as the provider sees it."
)
@click.option("--manual", is_flag=True, help="A person plays the rounds in the printed launch URL.")
@click.option(
    "--manual-timeout",
    default=300.0,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds to wait for each round played by hand.",
)
@click.option(
    "--settle-timeout",
    default=90.0,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds to wait for a round's win or refund to land.",
)
@click.option(
    "--failures",
    default=2,
    show_default=True,
    type=click.IntRange(1, 10),
    help="How many times a win or refund is refused before it is accepted.",
)
@report_options
def provider_command(
    url: str | None,
    client_id: str | None,
    token: str | None,
    endpoints: str | None,
    admin_url: str | None,
    admin_token: str | None,
    game_id: str,
    currency: str,
    language: str,
    wallet_timeout: float,  # float ok: seconds
    wallet_host: str,
    wallet_port: int,
    wallet_url: str | None,
    manual: bool,
    manual_timeout: float,  # float ok: seconds
    settle_timeout: float,  # float ok: seconds
    failures: int,
    only: tuple[str, ...],
    list_only: bool,
    json_path: Path | None,
    junit_path: Path | None,
) -> None:
    """Certify any provider: its endpoints, and its rounds against the kit's faulty wallet."""
    scenarios = provider_scenarios()
    if list_only:
        list_scenarios(scenarios)
        return
    url, client_id, token = _required(url, client_id, token)
    for value, flag in ((url, "--url"), (admin_url, "--admin-url"), (wallet_url, "--wallet-url")):
        if value is not None and not value.startswith(("http://", "https://")):
            raise click.BadParameter("must be an http:// or https:// URL", param_hint=flag)
    _check_admin(admin_url, admin_token, ENV_PROVIDER_ADMIN_TOKEN)
    target = ProviderTarget(
        url=url,
        client_id=client_id,
        token=token,
        endpoints=parse_endpoints(endpoints),
        admin_url=admin_url,
        admin_token=admin_token if admin_url else None,
        game_id=game_id,
        currency=currency,
        language=language,
        wallet_timeout=wallet_timeout,
        wallet_host=wallet_host,
        wallet_port=wallet_port,
        wallet_url=wallet_url,
        manual=manual,
        manual_timeout=manual_timeout,
        settle_timeout=settle_timeout,
        failures=failures,
    )

    def run(progress: Any, say: Ask, pause: Ask) -> Coroutine[Any, Any, Report]:
        return certify_provider(target, only=only, progress=progress, prompt=say, configure=pause)

    try:
        report = run_with_progress(scenarios, only, run)
    except OSError as exc:  # the kit's wallet port is taken or not ours to bind
        raise click.ClickException(f"cannot start the kit's wallet: {exc}") from None
    show_report(report, json_path, junit_path)
