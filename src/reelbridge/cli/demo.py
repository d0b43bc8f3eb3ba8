"""``reelbridge demo``: the whole system up in one command, seeded and ready to play.

Both sides run in this process on two loopback ports with SQLite files in a data
folder: the aggregator (wallet, admin API, lobby, back office) and the provider (games,
outbox, studio console). The first run registers each side with the other and funds two
players; a later run reuses the folder as it is (balances, rounds, tokens) and says so;
``--fresh`` starts over. Then it launches a real-money game and a demo game through the
protocol (signed game-url / demo-url calls, as a casino would) and prints where to go.
Ctrl-C and SIGTERM stop it the same clean way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from reelbridge.config import (
    AggregatorSettings,
    LobbySettings,
    LogSettings,
    ProviderSettings,
    generate_token,
)
from reelbridge.protocol import DemoUrlRequest, ErrorReply, GameUrlRequest, display_amount
from reelbridge.protocol import parse_amount_text as units

CLIENT = "demo-casino"
GAME = "book-of-reels"
PLAYERS = (("alice", "EUR", "1000.00"), ("bob", "USD", "500.00"))
"""The demo's players: id, currency, first deposit."""
FILES = ("aggregator.db", "provider.db", "demo.json")


@dataclass(frozen=True)
class Demo:
    """A running demo: where everything is and how to log in."""

    folder: Path
    reused: bool
    lobby: str
    provider_url: str
    admin_token: str
    provider_admin_token: str
    client_token: str
    balances: tuple[tuple[str, str, str], ...]  # player, currency, balance shown
    real_url: str
    demo_url: str


def _secrets(folder: Path) -> tuple[dict[str, str], bool]:
    """The tokens of this data folder (kept so that logins survive a restart)."""
    path = folder / "demo.json"
    if path.exists() and (folder / "aggregator.db").exists():
        try:
            data = json.loads(path.read_text())
            if all(isinstance(data.get(k), str) for k in ("admin", "provider_admin", "client")):
                return data, True
        except (OSError, ValueError):
            pass
    data = {
        "admin": generate_token(),
        "provider_admin": generate_token(),
        "client": "demo-" + generate_token()[:32],
    }
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    path.chmod(0o600)
    return data, False


def wipe(folder: Path) -> None:
    """Remove the demo's files from ``folder`` (``--fresh``); other files stay."""
    for name in FILES:
        for suffix in ("", "-wal", "-shm", "-journal"):
            (folder / f"{name}{suffix}").unlink(missing_ok=True)


async def _launch(
    provider_url: str, token: str, session_id: str, player: tuple[str, str], lobby: str
) -> tuple[str, str]:
    from reelbridge.aggregator.provider_client import ProviderClient

    client = ProviderClient(provider_url, token)
    back = f"{lobby}/?account={player[1]}:{player[0]}"
    try:
        real = await client.game_url(
            GameUrlRequest(client_id=CLIENT, game_id=GAME, currency=player[1], language="en",
                           session_id=session_id, player_id=player[0], return_url=back)
        )  # fmt: skip
        demo = await client.demo_url(
            DemoUrlRequest(client_id=CLIENT, game_id="classic-7s", language="en", return_url=back)
        )
    finally:
        await client.aclose()
    for reply in (real, demo):
        if isinstance(reply, ErrorReply):
            raise click.ClickException(f"the provider refused the launch: {reply.message}")
    assert not isinstance(real, ErrorReply) and not isinstance(demo, ErrorReply)
    return real.url, demo.url


@contextlib.contextmanager
def running_demo(
    folder: Path, port: int, *, fresh: bool = False, rng: Any = None
) -> Iterator[Demo]:
    """Start, seed (first run) and launch; yield the running demo; stop on exit.

    ``rng`` replaces the provider's CSPRNG (tests only: a seeded draw is reproducible).
    """
    from reelbridge.bootstrap import build_aggregator, build_provider
    from reelbridge.client import AdminClient
    from reelbridge.web.servers import serve_in_thread

    if fresh:
        wipe(folder)
    tokens, reused = _secrets(folder)
    base, provider_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"
    # A person's terminal: the banner stays readable (no line per request; warnings and
    # errors as text). The servers' own commands log every request as JSON.
    quiet = LogSettings(format="text", access=False)
    lobby = LobbySettings(provider_url=provider_url, client_id=CLIENT, demo=True,
                          provider_admin_url=provider_url,
                          provider_admin_token=tokens["provider_admin"])  # fmt: skip
    aggregator = build_aggregator(
        AggregatorSettings(database_url=f"sqlite:///{folder / 'aggregator.db'}",
                           admin_token=tokens["admin"], lobby=lobby, log=quiet)
    )  # fmt: skip
    provider = build_provider(
        ProviderSettings(database_url=f"sqlite:///{folder / 'provider.db'}",
                         admin_token=tokens["provider_admin"], public_url=provider_url,
                         log=quiet),
        rng=rng,
    )  # fmt: skip
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(serve_in_thread(aggregator, port=port))
            stack.enter_context(serve_in_thread(provider, port=port + 1))
        except (RuntimeError, OSError, SystemExit) as exc:
            raise click.ClickException(f"cannot start on ports {port}/{port + 1}: {exc}") from None
        with (
            AdminClient(base, tokens["admin"]) as admin,
            AdminClient(provider_url, tokens["provider_admin"]) as padmin,
        ):
            admin.upsert_client(CLIENT, [tokens["client"]], reason="demo seed")
            wallet_url = f"{base}/wallet/{CLIENT}"
            padmin.post("/admin/clients", {"client_id": CLIENT, "tokens": [tokens["client"]],
                        "wallet_url": wallet_url, "reason": "demo seed"})  # fmt: skip
            balances = []
            for player_id, currency, deposit in PLAYERS:
                known = admin.get("/admin/players", player_id=player_id, currency=currency)
                if not known["items"]:
                    admin.create_player(player_id, currency, reason="demo seed")
                    admin.deposit(player_id, currency, deposit, f"demo-seed-{player_id}",
                                  reason="demo seed")  # fmt: skip
                    known = admin.get("/admin/players", player_id=player_id, currency=currency)
                shown = display_amount(units(known["items"][0]["balance"]), currency)
                balances.append((player_id, currency, shown))
            first = PLAYERS[0]
            session_id = admin.open_session(CLIENT, first[0], first[1], GAME)
        launch = _launch(provider_url, tokens["client"], session_id, (first[0], first[1]), base)
        with ThreadPoolExecutor(max_workers=1) as pool:  # a loop of its own, whoever calls
            real_url, demo_url = pool.submit(asyncio.run, launch).result()
        # The provider computes its games' PAR sheets on the first catalogue call
        # (seconds): ask for the lobby once in the background, so a person's first visit
        # is quick.
        threading.Thread(target=_warm, args=(f"{base}/",), daemon=True).start()
        yield Demo(folder, reused, base, provider_url, tokens["admin"], tokens["provider_admin"],
                   tokens["client"], tuple(balances), real_url, demo_url)  # fmt: skip


def _warm(url: str) -> None:
    import httpx

    with contextlib.suppress(httpx.HTTPError):
        httpx.get(url, timeout=60)


def command_prefix() -> str:
    """How to run ``reelbridge`` from any shell: this installation's script by its
    absolute path (a newcomer's PATH rarely has the project's virtualenv)."""
    script = Path(sys.executable).parent / "reelbridge"
    if script.is_file() and os.access(script, os.X_OK):
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m reelbridge"


def banner(demo: Demo) -> str:
    """What the demo prints: the lobby first, then the back office and console with
    how to log in, the players, the launched games and commands that run as printed."""
    rb = command_prefix()
    data = f"{demo.folder}/"
    state = (
        f"reusing the data in {data} (balances and rounds as you left them; --fresh starts over)"
        if demo.reused
        else f"new data in {data}"
    )
    rows = [
        ("Lobby", f"{demo.lobby}/", "pick a player and a language, then play"),
        ("Back office", f"{demo.lobby}/backoffice", f"log in with admin token {demo.admin_token}"),
        ("Studio console", f"{demo.provider_url}/",
         f"log in with admin token {demo.provider_admin_token}"),
    ]  # fmt: skip
    width = max(len(r[1]) for r in rows)
    lines = [f"reelbridge demo: both sides on SQLite, {state}", ""]
    lines += [f"  {name:<15} {url:<{width}}  {how}" for name, url, how in rows]
    lines += ["", "  Players        " + " · ".join(f"{p} {b} {c}" for p, c, b in demo.balances)]
    lines += [f"  Integration    client {CLIENT}, token {demo.client_token}", ""]
    lines += ["Launched through the protocol for alice (open in a browser):"]
    lines += [f"  {'Real money':<15} {demo.real_url}", f"  {'Demo':<15} {demo.demo_url}", ""]
    lines += [
        "Try from another terminal (these run as printed):",
        f"  {rb} provider play --launch-url {demo.real_url} --spins 10",
        f"  {rb} aggregator transactions list --player-id alice "
        f"--url {demo.lobby} --token {demo.admin_token}",
        f"  {rb} provider rounds --player alice --url {demo.provider_url} "
        f"--token {demo.provider_admin_token}",
        "",
        "Ctrl-C stops the demo.",
    ]
    return "\n".join(lines)


@click.command()
@click.option("--data-dir", default="data", show_default=True,
              type=click.Path(file_okay=False), help="Folder for the SQLite files.")  # fmt: skip
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65534),
              help="Aggregator port; the provider takes the next one.")  # fmt: skip
@click.option("--fresh", is_flag=True, help="Start over: delete the demo's data first.")
def demo(data_dir: str, port: int, fresh: bool) -> None:
    """Run aggregator and provider on SQLite, seeded, and print where to play."""
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with running_demo(Path(data_dir), port, fresh=fresh) as running:
            click.echo(banner(running), nl=True)
            while not stop.wait(0.5):
                pass
            click.echo("stopping the demo…")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("stopped")
