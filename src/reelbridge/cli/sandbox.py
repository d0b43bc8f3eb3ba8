"""``reelbridge sandbox``: a fake aggregator for a studio's provider while it develops."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from reelbridge.config import generate_token
from reelbridge.storage import BadDatabaseUrl, engine_from_url

ENV_TOKEN = "REELBRIDGE_SANDBOX_TOKEN"  # noqa: S105 (a variable name)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8090, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--client-id",
    default="sandbox",
    show_default=True,
    help="The client id to configure at the provider.",
)
@click.option(
    "--token",
    envvar=ENV_TOKEN,
    default=None,
    show_envvar=True,
    help="The client's token (default: a new one, printed).",
)
@click.option(
    "--database-url",
    default=None,
    help="The sandbox wallet's storage (default: a temporary SQLite file).",
)
@click.option(
    "--public-url",
    default=None,
    help="The sandbox's URL as the provider reaches it (default http://HOST:PORT).",
)
@click.option(
    "--provider-url",
    default="http://127.0.0.1:8001",
    show_default=True,
    help="Prefilled in the page's launch form.",
)
def sandbox(
    host: str,
    port: int,
    client_id: str,
    token: str | None,
    database_url: str | None,
    public_url: str | None,
    provider_url: str,
) -> None:
    """Run a fake aggregator (wallet + page) to point a provider at.

    The page lists every wallet call as it arrives, queues faults for the next calls,
    opens funded sessions, launches games at the provider and exports the log.
    """
    import uvicorn

    from reelbridge.sandbox import SandboxSettings, build_sandbox

    if token is not None and len(token) < 8:
        raise click.BadParameter("must be at least 8 characters", param_hint="--token")
    if not client_id or any(not c.isprintable() for c in client_id) or len(client_id) > 255:
        raise click.BadParameter("1–255 printable characters", param_hint="--client-id")
    for value, flag in ((public_url, "--public-url"), (provider_url, "--provider-url")):
        if value is not None and not value.startswith(("http://", "https://")):
            raise click.BadParameter("must be an http:// or https:// URL", param_hint=flag)
    with tempfile.TemporaryDirectory(prefix="reelbridge-sandbox-") as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'sandbox-wallet.db'}"
        try:
            engine_from_url(url)
        except BadDatabaseUrl as exc:
            raise click.BadParameter(str(exc), param_hint="--database-url") from None
        if (
            url.startswith("sqlite:///")
            and not Path(url.removeprefix("sqlite:///")).parent.is_dir()
        ):
            raise click.BadParameter(
                "the SQLite file's folder does not exist", param_hint="--database-url"
            )
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 (a comparison)
        settings = SandboxSettings(
            token=token or generate_token(),
            database_url=url,
            client_id=client_id,
            public_url=(public_url or f"http://{shown}:{port}").rstrip("/"),
            provider_url=provider_url.rstrip("/"),
        )
        click.echo(f"sandbox page:  http://{shown}:{port}/")
        click.echo("configure the provider with")
        click.echo(f"  wallet URL   {settings.wallet_url}")
        click.echo(f"  client id    {settings.client_id}")
        click.echo(f"  token        {settings.token}")
        uvicorn.run(build_sandbox(settings), host=host, port=port, log_level="warning")
