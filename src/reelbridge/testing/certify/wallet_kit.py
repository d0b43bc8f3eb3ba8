"""``certify_wallet``: run the wallet scenarios against any wallet and report."""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence

import httpx

from reelbridge.testing.certify import wallet_load, wallet_money, wallet_rounds, wallet_signing
from reelbridge.testing.certify.report import Report
from reelbridge.testing.certify.runner import Progress, Scenario, run_all, select
from reelbridge.testing.certify.wallet_check import WalletCheck, WalletSetup, WalletTarget
from reelbridge.testing.certify.wallet_probe import WalletHttp
from reelbridge.testing.certify.wallet_scenarios import wallet

_MODULES = (wallet_signing, wallet_money, wallet_rounds, wallet_load)  # they register scenarios


def wallet_scenarios() -> tuple[Scenario[WalletCheck], ...]:
    """Every wallet scenario, in the order they run (signing, money, rounds, load)."""
    order = [m.__name__ for m in _MODULES]
    return tuple(sorted(wallet.all, key=lambda s: order.index(s.run.__module__)))


async def certify_wallet(
    target: WalletTarget,
    *,
    only: Sequence[str] = (),
    progress: Progress[WalletCheck] | None = None,
) -> Report:
    """Run the wallet scenarios (all, or those matching ``only``) against ``target``.

    Raises:
        SetupError: the wallet does not answer, or its admin API refuses the kit.
        ValueError: a pattern of ``only`` matches no scenario.
    """
    chosen = select(wallet_scenarios(), only)
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    clock = time.monotonic()
    limits = httpx.Limits(max_connections=max(64, target.load_workers * 2))
    async with httpx.AsyncClient(timeout=target.timeout, limits=limits) as http:
        setup = WalletSetup(target, http, WalletHttp(target.url, target.token, http))
        await setup.prepare()
        results = await run_all(chosen, lambda _: WalletCheck(setup), progress=progress)
    return Report(
        kind="wallet",
        target=target.url,
        results=tuple(results),
        started=started,
        seconds=time.monotonic() - clock,
    )
