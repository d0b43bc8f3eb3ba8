"""``reelbridge aggregator …``: run the wallet, and drive its admin API."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from reelbridge.aggregator.launches import Launch, LaunchError, launch_game
from reelbridge.cli._backup import backup_command
from reelbridge.cli._common import (
    call_admin,
    console,
    open_engine,
    print_table,
)
from reelbridge.cli._serve import resolve, serve_options
from reelbridge.client import AdminClient
from reelbridge.config import ENV_ADMIN_TOKEN, AggregatorSettings
from reelbridge.protocol import display_amount, parse_amount_text

ENV_URL = "REELBRIDGE_AGGREGATOR_URL"
ENV_CLIENT_TOKEN = "REELBRIDGE_CLIENT_TOKEN"  # noqa: S105 (a variable's name)


@click.group()
def aggregator() -> None:
    """The casino side: seamless wallet and its admin API."""


@aggregator.command()
@serve_options(AggregatorSettings)
def serve(config_file: Path | None, **flags: Any) -> None:
    """Run the aggregator (wallet endpoint, admin API, lobby at /, back office).

    Settings come from --config FILE, then REELBRIDGE_* variables, then these flags
    (docs/configuration.md lists every one).
    """
    from reelbridge.bootstrap import build_aggregator, freeze_startup
    from reelbridge.web.servers import run_server

    settings = resolve(AggregatorSettings, config_file, flags)
    engine = open_engine(settings.database_url, settings.http.workers, settings.read_database_url)
    host, port = settings.http.host, settings.http.port
    click.echo(
        f"aggregator on http://{host}:{port} ({engine.dialect}), wallet at "
        f"http://{host}:{port}/wallet/<client_id>, back office at /backoffice"
    )
    run_server(
        lambda: freeze_startup(build_aggregator(settings, engine=engine)),
        factory_path="reelbridge.bootstrap:aggregator_app_from_env",
        settings=settings,
    )


aggregator.add_command(backup_command(AggregatorSettings))


# -- admin commands ---------------------------------------------------------------------

_url = click.option(
    "--url",
    envvar=ENV_URL,
    default="http://127.0.0.1:8000",
    show_default=True,
    help=f"Aggregator base URL (env {ENV_URL}).",
)
_token = click.option(
    "--token", envvar=ENV_ADMIN_TOKEN, required=True, help=f"Admin token (env {ENV_ADMIN_TOKEN})."
)
_reason = click.option("--reason", default="", help="Why (written to the audit log).")


@aggregator.group()
def clients() -> None:
    """Provider integrations (client id + tokens)."""


@clients.command("set")
@click.argument("client_id")
@click.option(
    "--token",
    "tokens",
    multiple=True,
    required=True,
    help="A token; repeat for a rotation (the first signs outgoing calls).",
)
@_url
@click.option("--admin-token", "token", envvar=ENV_ADMIN_TOKEN, required=True)
@_reason
def clients_set(client_id: str, tokens: tuple[str, ...], url: str, token: str, reason: str) -> None:
    """Create a client or replace its tokens."""
    result = call_admin(url, token, lambda a: a.upsert_client(client_id, list(tokens), reason))
    console.print(
        f"client {client_id}: {'created' if result['created'] else 'updated'}, "
        f"{result['tokens']} token(s)"
    )


@clients.group("token")
def client_token() -> None:
    """Rotate a client's tokens: add the new one, make it primary, retire the old one."""


@client_token.command("add")
@click.argument("client_id")
@click.argument("new_token")
@click.option("--primary", is_flag=True, help="Move it first: it signs our calls from now on.")
@_url
@_token
@_reason
def client_token_add(
    client_id: str, new_token: str, primary: bool, url: str, token: str, reason: str
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
@_url
@_token
@_reason
def client_token_retire(
    client_id: str, old_token: str | None, fingerprint: str | None, url: str, token: str,
    reason: str,
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


def _list_options(name: str, filters: list[str], columns: list[str]) -> Any:
    @_url
    @_token
    @click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
    @click.option("--offset", default=0, type=click.IntRange(0))
    def command(url: str, token: str, limit: int, offset: int, **kw: str | None) -> None:
        page = call_admin(
            url, token, lambda a: a.get(f"/admin/{name}", limit=limit, offset=offset, **kw)
        )
        print_table(name, page["items"], columns)

    for f in filters:
        command = click.option(f"--{f.replace('_', '-')}", f, default=None)(command)
    return command


def _lister(name: str, filters: list[str], columns: list[str]) -> click.Command:
    return click.command(name="list", help=f"List {name}.")(_list_options(name, filters, columns))


def _listing_group(name: str, filters: list[str], columns: list[str]) -> click.Group:
    """``NAME list [filters]``, and ``NAME [filters]`` as a shortcut for it."""
    listing = _list_options(name, filters, columns)

    @click.pass_context
    def group(ctx: click.Context, /, **kw: Any) -> None:
        if ctx.invoked_subcommand is not None:
            return
        if not kw.get("token"):
            raise click.UsageError(f"Missing option '--token' (or {ENV_ADMIN_TOKEN}).")
        listing(**kw)

    # the group's own options are optional: `NAME list --token …` gives them to `list`
    function: Any = _url(group)
    function = click.option("--token", envvar=ENV_ADMIN_TOKEN, default=None,
                            help=f"Admin token (env {ENV_ADMIN_TOKEN}).")(function)  # fmt: skip
    function = click.option("--limit", default=50, show_default=True,
                            type=click.IntRange(1, 500))(function)  # fmt: skip
    function = click.option("--offset", default=0, type=click.IntRange(0))(function)
    for f in filters:
        function = click.option(f"--{f.replace('_', '-')}", f, default=None)(function)
    made = click.group(name=name, invoke_without_command=True, help=f"List {name}.")(function)
    made.add_command(_lister(name, filters, columns))
    return made


clients.add_command(_lister("clients", ["client_id"], ["client_id", "tokens", "updated_at"]))


@aggregator.group()
def players() -> None:
    """Players and their balances."""


@players.command("add")
@click.argument("player_id")
@click.option("--currency", required=True, help="ISO 4217 code, e.g. EUR")
@_url
@_token
@_reason
def players_add(player_id: str, currency: str, url: str, token: str, reason: str) -> None:
    """Create a player with an account in a currency."""
    r = call_admin(url, token, lambda a: a.create_player(player_id, currency.upper(), reason))
    shown = display_amount(parse_amount_text(r["balance"]), currency)
    console.print(f"player {player_id} {currency.upper()}: balance {shown}")


players.add_command(
    _lister("players", ["player_id", "currency"], ["player_id", "currency", "balance"])
)


def _money(kind: str) -> click.Command:
    @click.argument("player_id")
    @click.argument("amount")
    @click.option("--currency", required=True)
    @click.option("--reference", required=True, help="Idempotency key of this operation.")
    @_url
    @_token
    @_reason
    def command(
        player_id: str,
        amount: str,
        currency: str,
        reference: str,
        url: str,
        token: str,
        reason: str,
    ) -> None:
        def act(a: AdminClient) -> Any:
            if kind == "deposit":
                return a.deposit(player_id, currency.upper(), amount, reference, reason)
            return a.withdraw(player_id, currency.upper(), amount, reference, reason)

        r = call_admin(url, token, act)
        note = " (already done: nothing changed)" if r["replayed"] else ""
        shown = display_amount(parse_amount_text(r["balance"]), r["currency"])
        console.print(f"{kind} {reference}: {player_id} balance {shown} {r['currency']}{note}")

    return click.command(name=kind, help=f"A {kind} (amount like 100.50).")(command)


aggregator.add_command(_money("deposit"))
aggregator.add_command(_money("withdraw"))


@aggregator.group()
def sessions() -> None:
    """Wallet sessions."""


@sessions.command("open")
@click.option("--client", "client_id", required=True)
@click.option("--player", "player_id", required=True)
@click.option("--currency", required=True)
@click.option("--game", "game_id", required=True)
@click.option("--ttl", "ttl_seconds", type=click.IntRange(1), default=None)
@_url
@_token
def sessions_open(
    client_id: str,
    player_id: str,
    currency: str,
    game_id: str,
    ttl_seconds: int | None,
    url: str,
    token: str,
) -> None:
    """Open a session; prints its id."""
    sid = call_admin(
        url,
        token,
        lambda a: a.open_session(client_id, player_id, currency.upper(), game_id, ttl_seconds),
    )
    click.echo(sid)


@sessions.command("close")
@click.argument("session_id")
@_url
@_token
@_reason
def sessions_close(session_id: str, url: str, token: str, reason: str) -> None:
    """Close a session (no more bets; wins and refunds still land)."""
    call_admin(url, token, lambda a: a.close_session(session_id, reason))
    console.print(f"session {session_id}: closed")


sessions.add_command(
    _lister(
        "sessions",
        ["client_id", "player_id", "status"],
        ["session_id", "client_id", "player_id", "currency", "game_id", "status"],
    )
)
aggregator.add_command(
    _listing_group(
        "transactions",
        ["client_id", "player_id", "session_id", "round_id", "action", "type", "outcome"],
        [
            "id",
            "client_id",
            "transaction_id",
            "action",
            "type",
            "round_id",
            "amount",
            "player_id",
            "outcome",
            "balance_after",
        ],
    )
)
aggregator.add_command(
    _listing_group(
        "audit",
        ["action", "subject"],
        ["id", "actor", "action", "subject", "before", "after", "reason"],
    )
)


@aggregator.command("ledger")
@_url
@_token
def ledger(url: str, token: str) -> None:
    """Reconcile the ledger: journal sums, stored vs journal balances."""
    report = call_admin(url, token, lambda a: a.get("/admin/ledger"))
    rows = [{"currency": c, **v} for c, v in report["currencies"].items()]
    print_table("ledger", rows)
    for m in report["mismatches"]:
        console.print(f"[red]mismatch[/red] {m}")
    console.print("balanced" if report["balanced"] else "[red]NOT balanced[/red]")
    if not report["balanced"]:
        raise SystemExit(1)


@aggregator.command("launch")
@click.argument("player_id", required=False)
@click.option("--game", "game_id", required=True, help="The provider's game id.")
@click.option("--currency", default=None, help="The player's account currency (real money).")
@click.option("--demo", is_flag=True, help="Demo play: a demo-url call, no player, no wallet.")
@click.option("--session", "session_id", default=None,
              help="Launch in this open wallet session instead of opening one.")  # fmt: skip
@click.option("--language", default="en", show_default=True)
@click.option("--return-url", default=None,
              help="Where the game's exit leads (default: the aggregator's lobby).")  # fmt: skip
@click.option("--client", "client_id", required=True,
              help="Our client id, the same at the wallet and at the provider.")  # fmt: skip
@click.option("--client-token", envvar=ENV_CLIENT_TOKEN, required=True,
              help=f"That client's token: it signs the call (env {ENV_CLIENT_TOKEN}).")  # fmt: skip
@click.option("--provider-url", envvar="REELBRIDGE_PROVIDER_URL", default="http://127.0.0.1:8001",
              show_default=True,
              help="The provider's base URL (env REELBRIDGE_PROVIDER_URL).")  # fmt: skip
@_url
@click.option("--token", envvar=ENV_ADMIN_TOKEN, default=None,
              help=f"Admin token, to open the session (env {ENV_ADMIN_TOKEN}).")  # fmt: skip
def launch(
    player_id: str | None, game_id: str, currency: str | None, demo: bool,
    session_id: str | None, language: str, return_url: str | None, client_id: str,
    client_token: str, provider_url: str, url: str, token: str | None,
) -> None:  # fmt: skip
    """Launch GAME for PLAYER_ID (or --demo) at the provider; print the launch URL.

    Real money opens a wallet session through the admin API (or takes --session), then
    makes the signed game-url call, as the lobby's "Play for real" does; --demo makes the
    signed demo-url call. Only the URL goes to standard output: URL=$(… launch …) works.
    """
    request = Launch(
        client_id=client_id, game_id=game_id, language=language,
        return_url=return_url or url.rstrip("/") + "/", player_id=player_id,
        currency=currency.upper() if currency else None, session_id=session_id, demo=demo,
    )  # fmt: skip
    problem = request.problem()
    if problem is not None:
        raise click.UsageError(problem)
    for value, flag in (
        (provider_url, "--provider-url"),
        (url, "--url"),
        (return_url, "--return-url"),
    ):
        if value is not None and not value.startswith(("http://", "https://")):
            raise click.BadParameter("must be an http:// or https:// URL", param_hint=flag)
    needs_admin = not demo and session_id is None
    if needs_admin and not token:
        raise click.UsageError(
            f"Missing option '--token' (or {ENV_ADMIN_TOKEN}) to open a session."
        )
    admin = AdminClient(url, token) if needs_admin and token else None
    try:
        launched = asyncio.run(
            launch_game(request, provider_url=provider_url, client_token=client_token, admin=admin)
        )
    except LaunchError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        if admin is not None:
            admin.close()
    if launched.opened_session:
        click.echo(f"wallet session {launched.session_id} opened", err=True)
    click.echo(launched.url)
