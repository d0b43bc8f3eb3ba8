"""Who may call the wallet, how often, from where, and what listings reveal of tokens:
per-client rate limits (a protocol error, nothing written), address allow-lists, client
ids starting with ``@`` reserved, token fingerprints keyed with a server secret, and the
token-rotation commands (two live tokens, add and retire)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator

import anyio
import httpx
import pytest
from click.testing import CliRunner

from reelbridge.bootstrap import build_aggregator
from reelbridge.cli import cli
from reelbridge.config import AggregatorSettings, ClientPolicy, LimitSettings
from reelbridge.protocol import SIGN_HEADER, ErrorCode, sign
from reelbridge.storage.audit import fingerprint, fingerprint_key
from reelbridge.testing import AdminClient, serve_in_thread

from .support import ADMIN_TOKEN, Aggregator, FakeClock, body, ok, refused, uid, units

pytestmark = pytest.mark.anyio
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
KEY = "fingerprint-key-of-the-limits-suite-0123"


@pytest.fixture(scope="module")
def limited(database_url: str) -> Iterator[Aggregator]:
    """An aggregator whose clients may make 2 calls at once and 4 per second, one client
    (``allowed``) only from 10.9.9.0/24, another (``generous``) 100 at once."""
    limits = LimitSettings(
        rate_per_second=4,
        burst=2,
        clients={
            "allowed": ClientPolicy(allow_ips=("10.9.9.0/24",)),
            "generous": ClientPolicy(burst=100, rate_per_second=100),
        },
    )
    settings = AggregatorSettings(
        database_url=database_url, admin_token=ADMIN_TOKEN, limits=limits, fingerprint_key=KEY
    )
    clock = FakeClock()
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgres"
    with (
        serve_in_thread(build_aggregator(settings, clock=clock)) as url,
        AdminClient(url, ADMIN_TOKEN) as admin,
    ):
        yield Aggregator(base_url=url, admin=admin, clock=clock, dialect=dialect)


async def test_a_client_over_its_rate_is_refused_and_nothing_is_written(
    limited: Aggregator,
) -> None:
    player = limited.new_player(balance="10")
    journal = limited.admin.get("/admin/transactions", player_id=player.player_id)["items"]
    async with limited.wallet(player) as wallet:
        answers = [await wallet.bet(player.session_id, 1_0000, game_id="g1") for _ in range(3)]

        ok(answers[0]), ok(answers[1])
        refused(answers[2], ErrorCode.INTERNAL_ERROR)
        assert "Too many requests" in answers[2].message  # type: ignore[union-attr]
        after = limited.admin.get("/admin/transactions", player_id=player.player_id)["items"]
        assert len(after) == len(journal) + 2  # the refused bet wrote nothing
        assert limited.balance(player) == units("8")

        deadline = time.monotonic() + 5
        while isinstance(again := await wallet.balance(player.session_id), type(answers[2])):
            assert time.monotonic() < deadline, "the bucket never refilled"
            await anyio.sleep(0.05)
        assert ok(again) == units("8")


async def test_unsigned_calls_do_not_spend_a_clients_budget(limited: Aggregator) -> None:
    player = limited.new_player(balance="10")
    raw = body(action="balance", session_id=player.session_id)
    async with httpx.AsyncClient() as http:
        for _ in range(10):
            answer = await http.post(
                f"{limited.base_url}/wallet/{player.client_id}",
                content=raw,
                headers={SIGN_HEADER: "0" * 64},
            )
            assert answer.json()["code"] == "INVALID_SIGN"
    async with limited.wallet(player) as wallet:
        assert ok(await wallet.balance(player.session_id)) == units("10")


async def test_a_client_with_an_allow_list_is_refused_from_elsewhere(limited: Aggregator) -> None:
    limited.admin.upsert_client("allowed", ["allowed-token-0123456789"])
    player = limited.new_player(client=("allowed", "allowed-token-0123456789"))
    raw = body(action="balance", session_id=player.session_id)
    signed = {SIGN_HEADER: sign(raw, player.token)}
    url = f"{limited.base_url}/wallet/allowed"
    async with httpx.AsyncClient() as http:
        direct = (await http.post(url, content=raw, headers=signed)).json()
        # the test client is on loopback, a trusted proxy: its X-Forwarded-For counts
        inside, elsewhere = (
            {**signed, "X-Forwarded-For": "10.9.9.7"},
            {**signed, "X-Forwarded-For": "10.9.8.7"},
        )
        proxied = await http.post(url, content=raw, headers=inside)
        outside = await http.post(url, content=raw, headers=elsewhere)

    assert direct["code"] == "INVALID_SIGN"
    assert "Address not allowed" in direct["message"]
    assert proxied.json() == {"status": True, "balance": 10.0}
    assert outside.json()["code"] == "INVALID_SIGN"
    metrics = limited.admin.get_text("/metrics")
    assert 'reelbridge_address_refused_total{client_id="allowed"} 2.0' in metrics


async def test_a_client_of_its_own_rate_keeps_it(limited: Aggregator) -> None:
    limited.admin.upsert_client("generous", ["generous-token-0123456789"])
    player = limited.new_player(client=("generous", "generous-token-0123456789"))
    async with limited.wallet(player) as wallet:
        for _ in range(10):
            ok(await wallet.balance(player.session_id))


@pytest.mark.parametrize("client_id", ["@admin", "@x"])
def test_a_client_id_starting_with_at_is_reserved(aggregator: Aggregator, client_id: str) -> None:
    response = httpx.post(
        f"{aggregator.base_url}/admin/clients",
        json={"client_id": client_id, "tokens": ["a-token-0123456789"]},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert response.status_code == 400
    assert "reserved" in response.json()["error"]["message"]
    assert aggregator.listing("clients", client_id=client_id) == []


def test_fingerprints_are_keyed_with_the_server_secret(limited: Aggregator) -> None:
    client_id, token = uid("client"), "token-" + uid("t")
    limited.admin.upsert_client(client_id, [token])

    (row,) = limited.listing("clients", client_id=client_id)
    (entry,) = limited.admin.get("/admin/audit", subject=client_id)["items"]

    keyed = "fp:" + hmac.new(KEY.encode(), token.encode(), hashlib.sha256).hexdigest()[:12]
    assert row["tokens"] == [keyed]
    assert keyed in entry["after"]
    assert hashlib.sha256(token.encode()).hexdigest()[:12] not in str(row) + str(entry)
    assert fingerprint(token, fingerprint_key("", ADMIN_TOKEN)) != keyed  # another server


def test_without_a_key_fingerprints_derive_from_the_admin_token() -> None:
    derived = fingerprint_key("", "admin-one-" + "x" * 20)
    assert derived != fingerprint_key("", "admin-two-" + "x" * 20)
    assert fingerprint_key("configured", "anything") == b"configured"


def rb(url: str, *args: str) -> str:
    result = CliRunner().invoke(
        cli, [*args, "--url", url], env={"REELBRIDGE_ADMIN_TOKEN": ADMIN_TOKEN}
    )
    assert result.exit_code == 0, result.output
    return result.output


async def test_token_rotation_with_two_live_tokens_never_refuses_a_call(
    aggregator: Aggregator,
) -> None:
    old, new = "old-token-" + uid("o"), "new-token-" + uid("n")
    client = aggregator.new_client(old)
    player = aggregator.new_player(client=client)
    url = aggregator.base_url

    async def balance_with(token: str) -> ErrorCode | None:
        async with aggregator.wallet(player, token=token) as wallet:
            answer = await wallet.balance(player.session_id)
        return getattr(answer, "code", None)

    assert await balance_with(new) is ErrorCode.INVALID_SIGN
    rb(url, "aggregator", "clients", "token", "add", client[0], new)
    assert (await balance_with(old), await balance_with(new)) == (None, None)  # both live
    rb(url, "aggregator", "clients", "token", "add", client[0], new, "--primary")
    (row,) = aggregator.listing("clients", client_id=client[0])
    shown = rb(url, "aggregator", "clients", "token", "retire", client[0], old)

    assert await balance_with(old) is ErrorCode.INVALID_SIGN
    assert await balance_with(new) is None
    assert f"tokens {row['tokens'][0]}" in shown  # the new one, first after --primary
    assert old not in shown and new not in shown


def test_rotation_refuses_a_fifth_token_the_last_token_and_an_unknown_one(
    aggregator: Aggregator,
) -> None:
    client_id, first = aggregator.new_client()
    url = aggregator.base_url
    for n in range(3):
        rb(url, "aggregator", "clients", "token", "add", client_id, f"extra-token-{n}-0123456789")
    env = {"REELBRIDGE_ADMIN_TOKEN": ADMIN_TOKEN}

    def refused_with(*args: str) -> str:
        result = CliRunner().invoke(cli, [*args, "--url", url], env=env)
        assert result.exit_code == 1, result.output
        return result.output

    assert "at most 4 tokens" in refused_with(
        "aggregator", "clients", "token", "add", client_id, "fifth-token-0123456789"
    )
    assert "no such token" in refused_with(
        "aggregator", "clients", "token", "retire", client_id, "--fingerprint", "fp:000000000000"
    )
    for n in range(3):
        rb(
            url,
            "aggregator",
            "clients",
            "token",
            "retire",
            client_id,
            f"extra-token-{n}-0123456789",
        )
    assert "last token" in refused_with(
        "aggregator", "clients", "token", "retire", client_id, first
    )
