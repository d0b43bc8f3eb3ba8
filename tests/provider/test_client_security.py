"""The provider's aggregator-facing endpoints per client: a rate limit (a protocol error,
nothing written), an address allow-list, ``@`` ids reserved, and the token rotation
procedure of docs/deploy.md run on both sides while a player keeps spinning."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from click.testing import CliRunner

from provider.conftest import MakeStack
from provider.support import AGGREGATOR_ADMIN, PROVIDER_ADMIN, Stack, uid
from reelbridge.bootstrap import build_provider
from reelbridge.cli import cli
from reelbridge.config import ClientPolicy, LimitSettings, ProviderSettings
from reelbridge.protocol import SIGN_HEADER, sign
from reelbridge.testing import serve_in_thread


def jackpots(stack: Stack, *, headers: dict[str, str] | None = None) -> dict[str, object]:
    raw = json.dumps({"client_id": stack.client_id}).encode()
    response = stack.http.post(
        f"{stack.provider_url}/api/jackpots",
        content=raw,
        headers={SIGN_HEADER: sign(raw, stack.token), **(headers or {})},
    )
    data: dict[str, object] = response.json()
    return data


def test_a_client_over_its_rate_is_refused_and_no_session_is_written(
    make_stack: MakeStack,
) -> None:
    stack = make_stack(limits=LimitSettings(rate_per_second=0.5, burst=3))
    player = stack.new_player()
    stack.launch(player)  # 1
    sessions = stack.listing(stack.admin, "sessions")
    jackpots(stack)  # 2
    jackpots(stack)  # 3
    over = stack.post_signed(
        "/api/game-url",
        json.dumps({"client_id": stack.client_id, "game_id": player.game_id,
                    "currency": "EUR", "language": "en", "session_id": player.session_id,
                    "player_id": player.player_id, "return_url": "https://c.example"}).encode(),
    ).json()  # fmt: skip

    assert over["code"] == "INTERNAL_ERROR"
    assert "Too many requests" in over["message"]
    assert stack.listing(stack.admin, "sessions") == sessions
    assert 'reelbridge_rate_limited_total{client_id="' in stack.admin.get_text("/metrics")


def test_a_client_with_an_allow_list_is_refused_from_elsewhere(tmp_path: Path) -> None:
    limits = LimitSettings(clients={"fenced": ClientPolicy(allow_ips=("10.1.0.0/16",))})
    settings = ProviderSettings(
        database_url=f"sqlite:///{tmp_path / 'p.db'}",
        admin_token=PROVIDER_ADMIN,
        limits=limits,
        jackpots=None,
    )
    token = "fenced-token-0123456789"
    raw = json.dumps({"client_id": "fenced"}).encode()
    signed = {SIGN_HEADER: sign(raw, token)}
    with serve_in_thread(build_provider(settings)) as url, httpx.Client() as http:
        http.post(
            f"{url}/admin/clients",
            json={"client_id": "fenced", "tokens": [token], "wallet_url": "http://127.0.0.1:1/w"},
            headers={"Authorization": f"Bearer {PROVIDER_ADMIN}"},
        ).raise_for_status()
        direct = http.post(f"{url}/api/jackpots", content=raw, headers=signed).json()
        proxied = http.post(
            f"{url}/api/jackpots", content=raw, headers={**signed, "X-Forwarded-For": "10.1.2.3"}
        ).json()

    assert direct["code"] == "INVALID_SIGN"
    assert "Address not allowed" in direct["message"]
    assert proxied["status"] is True


def test_a_client_id_starting_with_at_is_reserved(stack: Stack) -> None:
    response = httpx.post(
        f"{stack.provider_url}/admin/clients",
        json={"client_id": "@admin", "tokens": ["a-token-0123456789"],
              "wallet_url": "http://127.0.0.1:1/wallet/x"},
        headers={"Authorization": f"Bearer {PROVIDER_ADMIN}"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "reserved" in response.json()["error"]["message"]


def run(*args: str) -> str:
    env = {
        "REELBRIDGE_ADMIN_TOKEN": AGGREGATOR_ADMIN,
        "REELBRIDGE_PROVIDER_ADMIN_TOKEN": PROVIDER_ADMIN,
    }
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_rotation_procedure_refuses_no_call_on_either_side(stack: Stack) -> None:
    """docs/deploy.md "Key rotation", step by step, a spin and a launch after each."""
    player = stack.new_player(balance="100")
    old, new = stack.token, "rotated-" + uid("t")
    casino = ("aggregator", "clients", "token")
    studio = ("provider", "clients", "token")
    wallet = ("--url", stack.aggregator_url)
    games = ("--url", stack.provider_url)

    def both_sides_work(signing_token: str) -> None:
        stack.token = signing_token  # what the aggregator signs its calls to us with
        token = stack.launch(player)
        assert stack.spin(token)["status"] == "settled"

    both_sides_work(old)
    run(*casino, "add", stack.client_id, new, *wallet)  # 1. both verify with both
    run(*studio, "add", stack.client_id, new, *games)
    both_sides_work(old)
    run(*studio, "add", stack.client_id, new, "--primary", *games)  # 2. both sign with new
    run(*casino, "add", stack.client_id, new, "--primary", *wallet)
    both_sides_work(new)
    run(*studio, "retire", stack.client_id, old, *games)  # 3. the old one goes
    run(*casino, "retire", stack.client_id, old, *wallet)
    both_sides_work(new)

    stack.token = old
    assert jackpots(stack)["code"] == "INVALID_SIGN"
    listed = run("provider", "clients", "list", *games)
    assert new not in listed and old not in listed and "fp:" in listed
    stack.assert_books_agree(player)
