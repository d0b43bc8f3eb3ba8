"""The provider kit against reelbridge's provider (short wallet budget) and against
providers broken on purpose: ours passes every scenario, each broken one fails the
scenario that targets its defect. Rounds are driven by the headless player, or by a
stand-in for a person in ``--manual`` mode."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest

from certify.support import PROVIDER_ADMIN, provider_target
from integration.support import uid
from reelbridge.testing import AdminClient, HeadlessPlayer, free_port
from reelbridge.testing.certify import Report, Status
from reelbridge.testing.certify.provider_kit import certify_provider, provider_scenarios
from reelbridge.testing.certify.provider_probe import ENDPOINTS


def run(target: Any, *only: str, **options: Any) -> Report:
    return asyncio.run(certify_provider(target, only=only, **options))


def test_our_provider_passes_every_provider_scenario(our_provider: str) -> None:
    target = provider_target(
        our_provider, uid("kit"), admin_url=our_provider, admin_token=PROVIDER_ADMIN
    )
    report = run(target)
    problems = [f"{r.name}: {r.reason}" for r in report.results if r.status is not Status.PASS]
    assert problems == []
    assert [r.name for r in report.results] == [s.name for s in provider_scenarios()]
    assert all(r.exchanges for r in report.results), "every pass shows what decided it"


@pytest.mark.parametrize(
    ("defect", "scenario", "why"),
    [
        ("never_refunds", "B15_bet_timeout_is_refunded", "no refund of bet"),
        ("rerolls", "B16_resent_win_keeps_its_outcome", "the outcome was drawn again"),
        (
            "changes_body",
            "B14_failed_win_is_resent_with_identical_bytes",
            "resent with other bytes",
        ),
    ],
)
def test_a_broken_provider_fails_the_scenario_that_targets_its_defect(
    our_provider: str, broken: Callable[[str, str, str], str], defect: str, scenario: str, why: str
) -> None:
    client_id, port = uid("kit"), free_port()
    target = provider_target(
        our_provider, client_id, wallet_port=port, failures=1, settle_timeout=3.0
    )
    proxy = broken(f"http://127.0.0.1:{port}", target.token, defect)  # provider → defect → kit
    with AdminClient(our_provider, PROVIDER_ADMIN) as admin:
        admin.post(
            "/admin/clients",
            {
                "client_id": client_id,
                "tokens": [target.token],
                "wallet_url": f"{proxy}/wallet/{client_id}",
            },
        )
    told: list[str] = []
    report = run(target, scenario, configure=told.append)
    (result,) = report.results
    assert result.status is Status.FAIL, result
    assert why in result.reason
    assert told and f"127.0.0.1:{port}/wallet/{client_id}" in told[0]


def test_endpoints_the_provider_does_not_offer_are_not_run(our_provider: str) -> None:
    offered = {k: v for k, v in ENDPOINTS.items() if k in ("demo-url", "game-url")}
    target = provider_target(
        our_provider,
        uid("kit"),
        admin_url=our_provider,
        admin_token=PROVIDER_ADMIN,
        endpoints=offered,
    )
    report = run(target, "B17", "B18", "A_demo")
    status = {r.name: (r.status, r.reason) for r in report.results}
    assert status.pop("A_demo_url_answers_a_launch_url")[0] is Status.PASS
    assert {s for s, _ in status.values()} == {Status.NOT_RUN}
    assert all("does not offer" in why for _, why in status.values()), status


def play_once(url: str) -> None:
    with HeadlessPlayer(url) as player:
        player.spin(0)


def test_manual_mode_asks_a_person_to_play_in_the_launch_url(our_provider: str) -> None:
    target = provider_target(
        our_provider,
        uid("kit"),
        admin_url=our_provider,
        admin_token=PROVIDER_ADMIN,
        manual=True,
        manual_timeout=20.0,
    )
    asked: list[str] = []
    players: list[threading.Thread] = []

    def person(message: str) -> None:  # reads the URL from the message and plays a round
        asked.append(message)
        (url,) = re.findall(r"https?://\S+", message)
        thread = threading.Thread(target=play_once, args=(url,))
        thread.start()
        players.append(thread)

    report = run(target, "A_accepted_bet_is_closed_by_a_win", prompt=person)
    for thread in players:
        thread.join(timeout=20)
    (result,) = report.results
    assert result.status is Status.PASS, result
    assert len(asked) == 1 and "Play one round now" in asked[0]


def test_manual_mode_without_a_round_played_is_not_run(our_provider: str) -> None:
    target = provider_target(
        our_provider,
        uid("kit"),
        admin_url=our_provider,
        admin_token=PROVIDER_ADMIN,
        manual=True,
        manual_timeout=0.3,
    )
    report = run(target, "B15_bet_unknown", prompt=lambda message: None)
    (result,) = report.results
    assert result.status is Status.NOT_RUN and "no round was played within 0.3 s" in result.reason
