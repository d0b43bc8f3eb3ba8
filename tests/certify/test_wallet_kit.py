"""The wallet kit against reelbridge's own wallet (SQLite and PostgreSQL) and against
wallets broken on purpose: ours passes every scenario, each broken one fails the
scenario that targets its defect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from integration.support import ADMIN_TOKEN, Aggregator, uid
from reelbridge.testing.certify import (
    Report,
    Status,
    WalletTarget,
    certify_wallet,
    wallet_scenarios,
)
from reelbridge.testing.certify.wallet_check import NEEDS_ADMIN

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def target(
    aggregator: Aggregator,
    *,
    url: str | None = None,
    client_id: str | None = None,
    admin: bool = True,
    **changes: Any,
) -> WalletTarget:
    """A kit target: our wallet (or ``url`` in front of it), a fresh client unless given."""
    client_id = client_id or uid("kit")
    options: dict[str, Any] = {"load_seconds": 0.5, "load_workers": 8, **changes}
    return WalletTarget(
        url=f"{url or aggregator.base_url}/wallet/{client_id}",
        client_id=client_id,
        token=f"{client_id}-token",
        admin_url=aggregator.base_url if admin else None,
        admin_token=ADMIN_TOKEN if admin else None,
        **options,
    )


def run(kit_target: WalletTarget, *only: str) -> Report:
    return asyncio.run(certify_wallet(kit_target, only=only))


def failures(report: Report) -> list[str]:
    return [f"{r.name}: {r.reason}" for r in report.results if r.status is not Status.PASS]


def test_our_wallet_passes_every_wallet_scenario(aggregator: Aggregator) -> None:
    report = run(target(aggregator))
    assert failures(report) == []
    assert [r.name for r in report.results] == [s.name for s in wallet_scenarios()]
    load = next(r for r in report.results if r.name == "B5_load_phase_keeps_balances_exact")
    assert int(load.metrics["requests"]) > 0 and float(load.metrics["p99 ms"]) > 0


@SQLITE_ONLY
def test_without_the_admin_api_premade_sessions_run_the_rest(aggregator: Aggregator) -> None:
    client_id = uid("kit")
    aggregator.admin.upsert_client(client_id, [f"{client_id}-token"])
    player = aggregator.new_player(
        balance="100", client=(client_id, f"{client_id}-token"), game_id="certify-game"
    )
    report = run(
        target(aggregator, client_id=client_id, admin=False, sessions=(player.session_id,))
    )
    not_run = {r.name: r.reason for r in report.results if r.status is Status.NOT_RUN}
    assert set(not_run) == {
        "B2_other_clients_token_is_refused",
        "B2_two_tokens_verify_during_rotation",
        "B8_closed_session_refuses_bets_but_wins_and_refunds_land",
        "B7_parallel_bets_never_overdraw",
    }
    assert all(NEEDS_ADMIN in reason for reason in not_run.values()), not_run
    assert report.count(Status.FAIL) == 0, failures(report)


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("defect", "scenario", "why"),
    [
        ("double_debit", "B9_duplicate_bet_is_idempotent", "the bet was applied twice"),
        ("reserialising", "B1_php_json_encode_body_verifies", "got INVALID_SIGN"),
        (
            "reserialising",
            "B1_signature_covers_the_exact_bytes",
            "expected INVALID_SIGN, got success",
        ),
        (
            "forgetful_refund",
            "B11_refund_before_the_bet_denies_the_late_bet",
            "expected TRANSACTION_DENIED, got success",
        ),
        (
            "refund_after_win",
            "B12_refund_after_a_win_is_transaction_denied",
            "expected TRANSACTION_DENIED, got success",
        ),
    ],
)
def test_a_broken_wallet_fails_the_scenario_that_targets_its_defect(
    aggregator: Aggregator,
    broken: Callable[[str, str, str], str],
    defect: str,
    scenario: str,
    why: str,
) -> None:
    client_id = uid("kit")
    proxy = broken(aggregator.base_url, f"{client_id}-token", defect)
    report = run(target(aggregator, url=proxy, client_id=client_id), scenario)
    (result,) = report.results
    assert result.status is Status.FAIL, result
    assert why in result.reason
    assert result.exchanges, "a failure shows the exchange that decided it"
    assert report.failed
