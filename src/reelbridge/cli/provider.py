"""``reelbridge provider …``: run the game studio's server, play, and administer it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from reelbridge.cli._backup import backup_command
from reelbridge.cli._common import (
    call_admin,
    console,
    open_engine,
    print_table,
)
from reelbridge.cli._serve import resolve, serve_options
from reelbridge.client import HeadlessPlayer, PlayerError
from reelbridge.config import ENV_PROVIDER_ADMIN_TOKEN, ProviderSettings
from reelbridge.protocol import display_amount, parse_amount_text

ENV_URL = "REELBRIDGE_PROVIDER_URL"


@click.group()
def provider() -> None:
    """The game studio's side: launch endpoints, games, outbox."""


@provider.command()
@serve_options(ProviderSettings)
def serve(config_file: Path | None, **flags: Any) -> None:
    """Run the provider (aggregator API, game API, admin API, outbox relay).

    Settings come from --config FILE, then REELBRIDGE_PROVIDER_* variables, then these
    flags (docs/configuration.md lists every one).
    """
    from reelbridge.bootstrap import build_provider
    from reelbridge.web.servers import run_server

    settings = resolve(ProviderSettings, config_file, flags)
    engine = open_engine(settings.database_url, settings.http.workers)
    host, port = settings.http.host, settings.http.port
    click.echo(
        f"provider on http://{host}:{port} ({engine.dialect}), "
        f"launch links {settings.public_url}/game/…"
    )
    run_server(
        lambda: build_provider(settings, engine=engine),
        factory_path="reelbridge.bootstrap:provider_app_from_env",
        settings=settings,
    )


provider.add_command(backup_command(ProviderSettings))


@provider.command()
@click.option("--launch-url", required=True, help="A URL returned by game-url or demo-url.")
@click.option("--spins", default=10, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option(
    "--bet-id",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Stake level (index into the game's stakes).",
)
def play(launch_url: str, spins: int, bet_id: int) -> None:
    """Play a launched game headlessly and print every round."""
    try:
        with HeadlessPlayer(launch_url) as player:
            state = player.state()
            stakes = state["game"]["stakes"]
            if bet_id >= len(stakes):
                raise click.BadParameter(
                    f"the game has {len(stakes)} stake levels (0…{len(stakes) - 1})",
                    param_hint="--bet-id",
                )
            currency = state["session"]["currency"]

            def money(text: str | None) -> str:
                return "" if text is None else display_amount(parse_amount_text(text), currency)

            console.print(
                f"{state['game']['name']} (RTP {state['game']['rtp']} %), "
                f"{'demo' if state['session']['demo'] else 'real money'}, "
                f"balance {money(state['balance']) or 'unknown'} {currency}"
            )
            table = Table("#", "round", "kind", "status", "stake", "win", "balance", "note")
            errors = 0
            for n in range(1, spins + 1):
                r = player.spin(bet_id)
                note = r["error"]["message"] if r.get("error") else ""
                if r.get("jackpot"):
                    note = f"JACKPOT {r['jackpot']['level']} {money(r['jackpot']['amount'])}"
                errors += bool(r.get("error"))
                table.add_row(
                    str(n),
                    r["round_id"],
                    r["kind"],
                    r["status"],
                    money(r["stake"]),
                    money(r["win"]),
                    money(r["balance"]) or "pending",
                    note,
                )
            console.print(table)
    except PlayerError as exc:
        raise click.ClickException(str(exc)) from None
    if errors:
        console.print(f"{errors} round(s) ended with an error")


_url = click.option(
    "--url",
    envvar=ENV_URL,
    default="http://127.0.0.1:8001",
    show_default=True,
    help=f"Provider base URL (env {ENV_URL}).",
)
_token = click.option(
    "--token",
    envvar=ENV_PROVIDER_ADMIN_TOKEN,
    required=True,
    help=f"Provider admin token (env {ENV_PROVIDER_ADMIN_TOKEN}).",
)


@provider.command("client")
@click.argument("client_id")
@click.option(
    "--client-token",
    "tokens",
    multiple=True,
    required=True,
    help="A token; repeat for a rotation (the first signs our wallet calls).",
)
@click.option("--wallet-url", required=True, help="The aggregator's wallet endpoint.")
@click.option("--reason", default="")
@_url
@_token
def client(
    client_id: str, tokens: tuple[str, ...], wallet_url: str, reason: str, url: str, token: str
) -> None:
    """Create or update an aggregator integration."""
    body = {
        "client_id": client_id,
        "tokens": list(tokens),
        "wallet_url": wallet_url,
        "reason": reason,
    }
    result = call_admin(url, token, lambda a: a.post("/admin/clients", body))
    console.print(f"client {client_id}: {'created' if result['created'] else 'updated'}")


@provider.group("clients")
def clients_group() -> None:
    """Aggregator integrations: list them, rotate their tokens."""


@clients_group.command("list")
@_url
@_token
def clients_list(url: str, token: str) -> None:
    """List the clients (tokens as fingerprints; the first signs our wallet calls)."""
    page = call_admin(url, token, lambda a: a.get("/admin/clients", limit=500))
    print_table("clients", page["items"], ["client_id", "tokens", "wallet_url", "updated_at"])


@clients_group.group("token")
def client_token() -> None:
    """Rotate a client's tokens: add the new one, make it primary, retire the old one."""


@client_token.command("add")
@click.argument("client_id")
@click.argument("new_token")
@click.option("--primary", is_flag=True, help="Move it first: it signs our wallet calls.")
@click.option("--reason", default="")
@_url
@_token
def client_token_add(
    client_id: str, new_token: str, primary: bool, reason: str, url: str, token: str
) -> None:
    """Add NEW_TOKEN to CLIENT_ID (it verifies at once; with --primary it also signs).

    A token that starts with "-" goes after "--": ``add --primary CLIENT_ID -- -tok…``.
    """
    body = {"token": new_token, "primary": primary, "reason": reason}
    result = call_admin(url, token, lambda a: a.post(f"/admin/clients/{client_id}/tokens", body))
    console.print(f"client {client_id}: tokens {', '.join(result['tokens'])}")


@client_token.command("retire")
@click.argument("client_id")
@click.argument("old_token", required=False)
@click.option("--fingerprint", default=None, help="Name the token by its fingerprint instead.")
@click.option("--reason", default="")
@_url
@_token
def client_token_retire(
    client_id: str, old_token: str | None, fingerprint: str | None, reason: str, url: str,
    token: str,
) -> None:  # fmt: skip
    """Retire OLD_TOKEN (or --fingerprint fp:…) of CLIENT_ID: it verifies nothing more.

    A token that starts with "-" goes after "--": ``retire CLIENT_ID -- -tok…``.
    """
    if (old_token is None) == (fingerprint is None):
        raise click.UsageError("give the token to retire, or --fingerprint (one of them)")
    body = {"token": old_token, "fingerprint": fingerprint, "reason": reason}
    path = f"/admin/clients/{client_id}/tokens/retire"
    result = call_admin(url, token, lambda a: a.post(path, body))
    console.print(f"client {client_id}: tokens {', '.join(result['tokens'])}")


def _listing(name: str, columns: list[str], *options: tuple[str, str]) -> click.Command:
    @_url
    @_token
    @click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
    def command(url: str, token: str, limit: int, **filters: Any) -> None:
        page = call_admin(url, token, lambda a: a.get(f"/admin/{name}", limit=limit, **filters))
        print_table(name, page["items"], columns)

    for flag, help_text in options:
        names = [f"--{flag.replace('_', '-')}"]
        if flag.endswith("_id"):  # --player-id or --player, as the README writes it
            names.append(f"--{flag.removesuffix('_id')}")
        command = click.option(*names, flag, default=None, help=help_text)(command)
    return click.command(name=name, help=f"List {name}.")(command)


provider.add_command(
    _listing(
        "rounds",
        [
            "round_id",
            "player_id",
            "game_id",
            "kind",
            "stake",
            "status",
            "win",
            "error_message",
            "balance_after",
        ],
        ("player_id", "player"),
        ("status", "status (accepted: remote rounds awaiting their engine's outcome)"),
        ("client_id", "client"),
        ("engine_id", "engine"),
    )
)
provider.add_command(
    _listing(
        "outbox",
        ["id", "kind", "transaction_id", "status", "attempts", "last_error"],
        ("status", "pending, sending, delivered, failed"),
        ("stuck_seconds", "only entries undelivered after N seconds"),
    )
)
provider.add_command(
    _listing(
        "campaigns",
        [
            "new_campaign_id",
            "campaign_id",
            "player_id",
            "game_id",
            "remaining",
            "quantity",
            "status",
        ],
        ("player_id", "player"),
    )
)
provider.add_command(
    _listing(
        "jackpots",
        ["level", "currency", "amount", "seed", "hits", "paid"],
        ("currency", "currency"),
    )
)


@provider.command("calls")
@click.option("--round", "round_id", default=None, help="Calls of this round.")
@click.option("--transaction", "transaction_id", default=None, help="Calls of this transaction.")
@click.option("--player", "player_id", default=None, help="Calls for this player.")
@click.option("--client", "client_id", default=None, help="Calls to this client's wallet.")
@click.option("--request-id", default=None, help="The call with this X-Request-Id.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
@click.option("--bodies", is_flag=True, help="Print each call's request and response bodies.")
@_url
@_token
def calls(
    round_id: str | None,
    transaction_id: str | None,
    player_id: str | None,
    client_id: str | None,
    request_id: str | None,
    limit: int,
    bodies: bool,
    url: str,
    token: str,
) -> None:
    """Search the wallet-call log (newest first): every wallet call with its bodies,
    HTTP status, outcome, latency and attempt number."""
    filters = {
        "round_id": round_id, "transaction_id": transaction_id, "player_id": player_id,
        "client_id": client_id, "request_id": request_id,
    }  # fmt: skip
    given = {k: v for k, v in filters.items() if v is not None}
    if not given:
        raise click.UsageError("give --round, --transaction, --player, --client or --request-id")
    page = call_admin(url, token, lambda a: a.get("/admin/calls", limit=limit, **given))
    rows = [
        {**r, "latency_ms": f"{r['latency_us'] / 1000:.1f}", "status": r["status"] or "-"}
        for r in page["items"]
    ]
    columns = ["id", "action", "round_id", "transaction_id", "attempt", "status", "outcome",
               "latency_ms", "request_id", "error"]  # fmt: skip
    print_table("wallet calls", rows, columns)
    if bodies:
        for r in rows:
            console.print(f"[bold]#{r['id']}[/bold] {r['action']} attempt {r['attempt']}")
            console.print(f"  sent     {r['request_body']}", markup=False)
            console.print(f"  answered {r['response_body'] or '(no answer)'}", markup=False)


@provider.command("recall")
@click.argument("round_id")
@_url
@_token
def recall(round_id: str, url: str, token: str) -> None:
    """Recall a round from storage, replaying its draw."""
    r = call_admin(url, token, lambda a: a.get(f"/admin/rounds/{round_id}"))
    console.print_json(data=r)
