"""``reelbridge demo``: the whole system up in one command, seeded and ready to play.

Both sides run in this process on two loopback ports with SQLite files in a data
folder: the aggregator (wallet + admin API) and the provider (games, outbox). The demo
registers each side with the other, funds a player, opens a wallet session, launches a
real-money game and a demo game through the protocol (signed game-url / demo-url calls,
as a casino would), and prints the links.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
from pathlib import Path

import click

from reelbridge.config import AggregatorSettings, ProviderSettings, generate_token
from reelbridge.protocol import DemoUrlRequest, ErrorReply, GameUrlRequest

CLIENT = "demo-casino"
PLAYER = "demo-player"
GAME = "book-of-reels"


async def _launch(provider_url: str, token: str, session_id: str, lobby: str) -> tuple[str, str]:
    from reelbridge.aggregator.provider_client import ProviderClient

    client = ProviderClient(provider_url, token)
    try:
        real = await client.game_url(
            GameUrlRequest(
                client_id=CLIENT,
                game_id=GAME,
                currency="EUR",
                language="en",
                session_id=session_id,
                player_id=PLAYER,
                return_url=lobby,
            )
        )
        demo = await client.demo_url(
            DemoUrlRequest(client_id=CLIENT, game_id="classic-7s", language="en", return_url=lobby)
        )
    finally:
        await client.aclose()
    for reply in (real, demo):
        if isinstance(reply, ErrorReply):
            raise click.ClickException(f"the provider refused the launch: {reply.message}")
    assert not isinstance(real, ErrorReply) and not isinstance(demo, ErrorReply)
    return real.url, demo.url


@click.command()
@click.option(
    "--data-dir",
    default="data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the SQLite files.",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65534),
    help="Aggregator port; the provider takes the next one.",
)
def demo(data_dir: str, port: int) -> None:
    """Run aggregator and provider on SQLite, seeded, and print where to play."""
    from reelbridge.bootstrap import build_aggregator, build_provider
    from reelbridge.client import AdminClient
    from reelbridge.web.servers import serve_in_thread

    folder = Path(data_dir)
    admin_token, provider_admin_token = generate_token(), generate_token()
    client_token = "demo-" + secrets.token_hex(16)
    provider_url = f"http://127.0.0.1:{port + 1}"
    aggregator = build_aggregator(
        AggregatorSettings(
            database_url=f"sqlite:///{folder / 'aggregator.db'}", admin_token=admin_token
        )
    )
    provider = build_provider(
        ProviderSettings(
            database_url=f"sqlite:///{folder / 'provider.db'}",
            admin_token=provider_admin_token,
            public_url=provider_url,
        )
    )
    with contextlib.ExitStack() as stack:
        try:
            base = stack.enter_context(serve_in_thread(aggregator, port=port))
            stack.enter_context(serve_in_thread(provider, port=port + 1))
        except (RuntimeError, OSError, SystemExit) as exc:
            raise click.ClickException(f"cannot start on ports {port}/{port + 1}: {exc}") from None
        with (
            AdminClient(base, admin_token) as admin,
            AdminClient(provider_url, provider_admin_token) as padmin,
        ):
            admin.upsert_client(CLIENT, [client_token], reason="demo seed")
            padmin.post(
                "/admin/clients",
                {
                    "client_id": CLIENT,
                    "tokens": [client_token],
                    "wallet_url": f"{base}/wallet/{CLIENT}",
                    "reason": "demo seed",
                },
            )
            admin.create_player(PLAYER, "EUR", reason="demo seed")
            admin.deposit(
                PLAYER, "EUR", "1000.00", "demo-seed-" + secrets.token_hex(4), reason="demo seed"
            )
            session_id = admin.open_session(CLIENT, PLAYER, "EUR", GAME)
        real_url, demo_url = asyncio.run(_launch(provider_url, client_token, session_id, base))
        click.echo(
            f"""
reelbridge demo — both sides on SQLite in {folder}/

  aggregator (wallet)   {base}          admin token {admin_token}
  provider (games)      {provider_url}  admin token {provider_admin_token}
  integration           client {CLIENT}, token {client_token}
  player                {PLAYER}, 1000.00 EUR, wallet session {session_id[:8]}…

Play for real money (the wallet moves):  {real_url}
Play the demo (virtual balance):         {demo_url}

Headless:  reelbridge provider play --launch-url {real_url} --spins 10
Ledger:    curl -s {base}/admin/ledger -H 'Authorization: Bearer {admin_token}'

Ctrl-C stops the demo.
"""
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("stopping")
