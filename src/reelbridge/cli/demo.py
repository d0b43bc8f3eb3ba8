"""``reelbridge demo``: the system up in one command, seeded and ready to call.

For now the demo is the aggregator on SQLite with a seeded provider client, player,
balance and session; it prints everything needed to make a signed wallet call.
"""

from __future__ import annotations

import json
import secrets
import threading
from pathlib import Path

import click

from reelbridge.config import AggregatorSettings, generate_token
from reelbridge.protocol import sign


@click.command()
@click.option(
    "--data-dir",
    default="data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the SQLite files.",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def demo(data_dir: str, port: int) -> None:
    """Run the aggregator on SQLite, seeded with a client, a player and a session."""
    from reelbridge.bootstrap import build_aggregator
    from reelbridge.testing import AdminClient, serve_in_thread

    admin_token = generate_token()
    settings = AggregatorSettings(
        database_url=f"sqlite:///{Path(data_dir) / 'aggregator.db'}", admin_token=admin_token
    )
    try:
        server = serve_in_thread(build_aggregator(settings), port=port)
        base = server.__enter__()
    except (RuntimeError, OSError) as exc:
        raise click.ClickException(f"cannot start on port {port}: {exc}") from None
    try:
        client_token = "demo-token-" + secrets.token_hex(8)
        with AdminClient(base, admin_token) as admin:
            admin.upsert_client("demo-provider", [client_token], reason="demo seed")
            admin.create_player("demo-player", "EUR", reason="demo seed")
            admin.deposit(
                "demo-player",
                "EUR",
                "1000.00",
                "demo-seed-" + secrets.token_hex(4),
                reason="demo seed",
            )
            session_id = admin.open_session("demo-provider", "demo-player", "EUR", "demo-game")
        body = json.dumps({"action": "balance", "session_id": session_id}).encode()
        click.echo(
            f"""
reelbridge demo: aggregator wallet on {base} (SQLite in {data_dir}/)

  admin token     {admin_token}
  client          demo-provider   token {client_token}
  player          demo-player     EUR (1000.00 deposited)
  session         {session_id}    game demo-game

Try a signed wallet call:
  curl -s {base}/wallet/demo-provider -H 'X-Sign: {sign(body, client_token)}' \\
       -d '{body.decode()}'

Admin API (e.g. the ledger check):
  curl -s {base}/admin/ledger -H 'Authorization: Bearer {admin_token}'

Ctrl-C stops the demo.
"""
        )
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        server.__exit__(None, None, None)
