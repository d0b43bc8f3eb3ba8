"""``certify_provider``: play the aggregator against any provider and report.

The kit starts its own wallet (``FaultWallet``), opens a funded player and a session
there, points the provider's client at that wallet (through the provider's admin API,
or by asking the engineer to), then runs the endpoint scenarios, the rounds under
faults, and the audits over every call received.
"""

from __future__ import annotations

import asyncio
import datetime
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence

import httpx

from reelbridge.testing import AdminClient, AdminError
from reelbridge.testing.certify import provider_audit, provider_endpoints, provider_rounds
from reelbridge.testing.certify.fault_wallet import FaultWallet
from reelbridge.testing.certify.provider_check import ProviderCheck, ProviderRun
from reelbridge.testing.certify.provider_probe import ProviderHttp, ProviderTarget
from reelbridge.testing.certify.provider_scenarios import provider
from reelbridge.testing.certify.report import Report
from reelbridge.testing.certify.runner import Progress, Scenario, run_all, select
from reelbridge.testing.certify.wallet_check import SetupError

_MODULES = (provider_endpoints, provider_rounds, provider_audit)  # each registers its own
PLAYER_FUNDS = "1000.0"


def provider_scenarios() -> tuple[Scenario[ProviderCheck], ...]:
    """Every provider scenario, in the order they run (endpoints, rounds, audits)."""
    order = [m.__name__ for m in _MODULES]
    return tuple(sorted(provider.all, key=lambda s: order.index(s.run.__module__)))


def _prepare(
    target: ProviderTarget, wallet: FaultWallet, local_url: str, wallet_url: str, run_id: str
) -> tuple[str, str]:
    """Register the client and a funded player in the kit's wallet; point the provider."""
    with AdminClient(f"{local_url}/aggregator", wallet.admin_token) as kit:
        kit.upsert_client(target.client_id, [target.token], reason="reelbridge certify")
        wallet.remember_tokens(target.client_id, [target.token])
        player = f"certify-{run_id}-player"
        kit.create_player(player, target.currency)
        kit.deposit(player, target.currency, PLAYER_FUNDS, f"certify-{run_id}-funds")
        session = kit.open_session(target.client_id, player, target.currency, target.game_id)
    if target.admin_url is not None:
        body = {
            "client_id": target.client_id,
            "tokens": [target.token],
            "wallet_url": f"{wallet_url}/wallet/{target.client_id}",
            "reason": "reelbridge certify: the kit's wallet",
        }
        try:
            with AdminClient(target.admin_url, target.admin_token or "") as admin:
                admin.post("/admin/clients", body)
        except AdminError as exc:
            raise SetupError(f"the provider's admin API refused the kit: {exc}") from None
        except httpx.HTTPError as exc:
            raise SetupError(f"the provider's admin API is unreachable: {exc}") from None
    return player, session


async def certify_provider(
    target: ProviderTarget,
    *,
    only: Sequence[str] = (),
    progress: Progress[ProviderCheck] | None = None,
    prompt: Callable[[str], None] = print,
    configure: Callable[[str], None] | None = None,
) -> Report:
    """Run the provider scenarios (all, or those matching ``only``) against ``target``.

    Args:
        target: the provider and the kit's settings.
        only: scenario patterns (see ``runner.select``).
        progress: called as scenarios start and finish.
        prompt: shows an instruction to the person playing rounds (``--manual``).
        configure: without ``target.admin_url``, called once with what the engineer
            must configure at the provider (client id, token, wallet URL) before the
            scenarios start; it may wait for them.

    Raises:
        SetupError: the kit's wallet could not be prepared, or the provider's admin API
            refused the kit.
        ValueError: a pattern of ``only`` matches no scenario.
    """
    chosen = select(provider_scenarios(), only)
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    clock = time.monotonic()
    run_id = secrets.token_hex(4)
    with tempfile.TemporaryDirectory(prefix="reelbridge-certify-") as folder:
        database = target.database_url or f"sqlite:///{folder}/kit-wallet.db"
        wallet = FaultWallet(database_url=database)
        serving = wallet.serve(host=target.wallet_host, port=target.wallet_port or None)
        with serving as local_url:
            wallet_url = (target.wallet_url or local_url).rstrip("/")
            try:
                player, session = await asyncio.to_thread(
                    _prepare, target, wallet, local_url, wallet_url, run_id
                )
            except AdminError as exc:
                raise SetupError(f"the kit's wallet refused its set-up: {exc}") from None
            if target.admin_url is None and configure is not None:
                configure(
                    f"Point the provider's client {target.client_id} (token {target.token}) "
                    f"at the kit's wallet: {wallet_url}/wallet/{target.client_id}"
                )
            async with httpx.AsyncClient(timeout=target.timeout) as http:
                run = ProviderRun(
                    target=target,
                    wallet=wallet,
                    wallet_url=wallet_url,
                    http=ProviderHttp(target, http),
                    player_id=player,
                    session_id=session,
                    run_id=run_id,
                    prompt=prompt,
                )
                limit = target.manual_timeout + 2 * target.settle_timeout + 60
                try:
                    results = await run_all(
                        chosen, lambda _: ProviderCheck(run), progress=progress, limit=limit
                    )
                finally:
                    run.close()
    return Report(
        kind="provider",
        target=target.url,
        results=tuple(results),
        started=started,
        seconds=time.monotonic() - clock,
    )
