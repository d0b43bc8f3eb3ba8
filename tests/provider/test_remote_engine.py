"""A remote game engine end to end, on SQLite and PostgreSQL: the stand-in engine
(``examples/remote-engine/engine.py``, its own process, HTTP only) plays through the
provider's engine API against the real wallet behind a fault proxy. Whatever happens
(timeouts, a provider killed between bet and settle), the wallet and the rounds agree
to the last 0.0001 (PROTOCOL.md B14–B18)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from provider.conftest import BUDGET, MakeStack
from provider.processes import EngineProcess, ProviderProcess
from provider.remote import Remote, register_engine
from provider.support import (
    AGGREGATOR_ADMIN,
    PROVIDER_ADMIN,
    JackpotDraws,
    Stack,
    eventually,
    uid,
    units,
)
from reelbridge.bootstrap import build_aggregator
from reelbridge.config import AggregatorSettings
from reelbridge.games import JackpotLevel, JackpotPlan, SecretsRng
from reelbridge.testing import AdminClient, free_port, serve_in_thread
from reelbridge.testing.faults import FaultProxy, delay


@pytest.fixture
def make_remote(make_stack: MakeStack, tmp_path: Path) -> Iterator[Any]:
    """``make_remote(**stack settings)``: a stack with a registered engine and its
    stand-in process (stopped at the end of the test)."""
    engines: list[EngineProcess] = []

    def make(**settings: Any) -> Remote:
        stack = make_stack(**settings)
        engine = _engine(stack.provider_url, tmp_path)
        engines.append(engine)
        game_id = uid("dice")
        register_engine(stack, engine.engine_id, engine.token, game_id, engine.start())
        return Remote(stack, engine, engine.engine_id, engine.token, game_id)

    try:
        yield make
    finally:
        for engine in engines:
            engine.stop()


def _engine(provider_url: str, tmp_path: Path) -> EngineProcess:
    engine_id = uid("studio")
    return EngineProcess(
        tmp_path / f"{engine_id}.log",
        engine_id=engine_id,
        token=f"engine-token-{uid('t')}",
        provider_url=provider_url,
    )


def test_real_money_rounds_of_a_remote_engine_reconcile_with_the_wallet(make_remote: Any) -> None:
    remote: Remote = make_remote()
    player = remote.new_player(balance="20")
    token = remote.launch(player)
    played = [remote.engine.play(token, bet_id) for bet_id in (0, 1, 2, 2, 1, 0, 2, 2)]
    for r in played:
        assert r["state"] == "settled", r
        assert r["open"]["status"] == "accepted" and r["settle"]["status"] == "settled"
        assert units(r["settle"]["win"]) == r["win"]
    rounds = remote.stack.assert_books_agree(player)
    assert {x["engine_round_id"] for x in rounds} == {r["engine_round_id"] for r in played}
    assert all(x["engine_id"] == remote.engine_id for x in rounds)
    wins = sum(r["win"] for r in played)
    stakes = sum(units(r["open"]["stake"]) for r in played)
    assert remote.stack.balance(player) == player.start - stakes + wins
    # The engine's session view: what it draws with.
    shown = remote.api("GET", f"/engine/v1/sessions/{token}").json()
    assert shown["balance"] is not None and units(shown["balance"]) == player.start - stakes + wins
    assert [s["stake"] for s in shown["game"]["stakes"]] == ["0.1", "0.5", "1.0"]


def test_b15_a_bet_timeout_is_refunded_the_engine_told_refunded_and_nothing_paid(
    make_remote: Any,
) -> None:
    remote: Remote = make_remote()
    player = remote.new_player(balance="10")
    token = remote.launch(player)
    # The wallet applies the bet, its answer comes after the provider's budget.
    remote.stack.proxy.add(action="bet", kind=delay(BUDGET + 1, forward="before"))
    r = remote.engine.play(token, 2)
    assert r["open"]["status"] in ("refunded", "refunding"), r
    assert r["open"]["error"] == {"code": "UNKNOWN_ERROR", "message": "Unknown error"}
    assert r["state"] == r["open"]["status"] and "settle" not in r  # nothing to settle
    (round_,) = remote.stack.assert_books_agree(player)
    assert round_["status"] == "refunded" and round_["win"] is None
    assert remote.stack.proxy.requests("win") == []
    assert remote.stack.balance(player) == player.start


def test_the_engine_api_is_idempotent_on_the_engines_round_id(make_remote: Any) -> None:
    remote: Remote = make_remote()
    player = remote.new_player(balance="10")
    token = remote.launch(player)
    opening = {"engine_round_id": "e-1", "launch_token": token, "bet_id": 1}
    first = remote.api("POST", "/engine/v1/rounds", opening)
    assert first.status_code == 200 and first.json()["status"] == "accepted", first.text
    again = remote.api("POST", "/engine/v1/rounds", opening)
    assert again.status_code == 200 and again.json() == first.json()
    other = remote.api("POST", "/engine/v1/rounds", {**opening, "bet_id": 2})
    assert other.status_code == 409 and other.json()["error"]["code"] == "round_conflict"
    assert len(remote.stack.proxy.requests("bet")) == 1

    settle = {"engine_round_id": "e-1", "outcome": {"u": 3, "multiplier": 5}, "win": "2.50"}
    settled = remote.api("POST", "/engine/v1/rounds/e-1/settle", settle)
    assert settled.status_code == 200 and settled.json()["status"] == "settled", settled.text
    assert remote.api("POST", "/engine/v1/rounds/e-1/settle", settle).json() == settled.json()
    changed = remote.api("POST", "/engine/v1/rounds/e-1/settle", {**settle, "win": "2.51"})
    assert changed.status_code == 409
    cancel_settled = remote.api("POST", "/engine/v1/rounds/e-1/cancel", {"engine_round_id": "e-1"})
    assert cancel_settled.status_code == 409
    assert len(remote.stack.proxy.requests("win")) == 1

    remote.api("POST", "/engine/v1/rounds", {**opening, "engine_round_id": "e-2"})
    cancel = {"engine_round_id": "e-2", "reason": "engine restarted"}
    voided = remote.api("POST", "/engine/v1/rounds/e-2/cancel", cancel)
    assert voided.status_code == 200 and voided.json()["status"] == "refunded", voided.text
    assert remote.api("POST", "/engine/v1/rounds/e-2/cancel", cancel).json() == voided.json()
    late = {"engine_round_id": "e-2", "outcome": {}, "win": "0"}
    assert remote.api("POST", "/engine/v1/rounds/e-2/settle", late).status_code == 409
    unknown = {"engine_round_id": "e-9", "outcome": {}, "win": "0"}
    assert remote.api("POST", "/engine/v1/rounds/e-9/settle", unknown).status_code == 404
    assert len(remote.stack.proxy.requests("refund")) == 1
    rounds = remote.stack.assert_books_agree(player)
    assert sorted(r["status"] for r in rounds) == ["refunded", "settled"]
    assert remote.stack.balance(player) == player.start - 5000 + 25000


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"signature": "0" * 64}, 401, "unauthorized"),
        ({"token": "not-the-engines-token"}, 401, "unauthorized"),
        ({"engine_id": "no-such-engine"}, 401, "unauthorized"),
        ({"data": {"engine_round_id": "x", "launch_token": "nope", "bet_id": 0}}, 404, None),
        ({"data": {"engine_round_id": "x", "bet_id": 0}}, 400, "bad_request"),
        ({"data": {"engine_round_id": "x", "launch_token": "{token}", "bet_id": 99}}, 400, None),
        ({"data": ["not", "an", "object"]}, 400, "bad_request"),
    ],
    ids=[
        "wrong-sign",
        "other-token",
        "unknown-engine",
        "unknown-token",
        "missing-field",
        "bet-id-out-of-range",
        "not-an-object",
    ],
)
def test_bad_engine_requests_get_a_json_4xx_and_write_nothing(
    make_remote: Any, change: dict[str, Any], status: int, code: str | None
) -> None:
    remote: Remote = make_remote()
    player = remote.new_player(balance="10")
    token = remote.launch(player)
    before = remote.stack.counts()
    change = dict(change)  # the parameters are shared by both backends' runs
    data = change.pop("data", {"engine_round_id": "x", "launch_token": token, "bet_id": 0})
    if isinstance(data, dict) and data.get("launch_token") == "{token}":
        data = {**data, "launch_token": token}
    answer = remote.api("POST", "/engine/v1/rounds", data, **change)
    assert answer.status_code == status, answer.text
    assert set(answer.json()) == {"error"} and (
        code is None or answer.json()["error"]["code"] == code
    )
    assert remote.stack.counts() == before


def test_a_launch_token_of_another_engines_game_is_not_found(
    make_remote: Any, tmp_path: Path
) -> None:
    remote: Remote = make_remote()
    other = _engine(remote.stack.provider_url, tmp_path)
    register_engine(remote.stack, other.engine_id, other.token, uid("other"), "http://other")
    token = remote.launch(remote.new_player())
    before = remote.stack.counts()
    as_other = remote.api(
        "POST",
        "/engine/v1/rounds",
        {"engine_round_id": "x", "launch_token": token, "bet_id": 0},
        engine_id=other.engine_id,
        token=other.token,
    )
    assert as_other.status_code == 404 and as_other.json()["error"]["code"] == "session_not_found"
    assert (
        remote.api(
            "GET", f"/engine/v1/sessions/{token}", engine_id=other.engine_id, token=other.token
        ).status_code
        == 404
    )
    assert remote.stack.counts() == before


def test_b18_a_jackpot_hit_on_a_remote_round_is_paid_as_its_own_win(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    tag = secrets.token_hex(4)  # PostgreSQL tests share pools: a level of this test only
    level = JackpotLevel(f"Tiny-{tag}", seed=1000, contribution_ppm=1000, stake_per_hit=50_0000)
    plan = JackpotPlan((level,))
    stack = make_stack(jackpots=plan, rng=JackpotDraws(SecretsRng(), plan.modulus, [0]))
    engine = _engine(stack.provider_url, tmp_path)
    try:
        game_id = uid("dice")
        register_engine(stack, engine.engine_id, engine.token, game_id, engine.start())
        remote = Remote(stack, engine, engine.engine_id, engine.token, game_id)
        player = remote.new_player(balance="10")
        r = engine.play(remote.launch(player), 2)
        assert r["state"] == "settled", r
        jackpot = r["settle"]["jackpot"]
        assert jackpot is not None and jackpot["level"] == level.name
        assert units(jackpot["amount"]) == 1000 + 10  # the seed + 0.1 % of 1.00
        (round_,) = stack.assert_books_agree(player)
        paid = [t for t in stack.transactions() if t["action"] == "win"]
        assert sorted(t["type"] for t in paid) == ["jackpot", "win"]
        recalled = stack.admin.get(f"/admin/rounds/{round_['round_id']}")
        assert recalled["replay_verified"] is None and recalled["jackpot_verified"] is True
        assert recalled["outcome"] == r["outcome"]
    finally:
        engine.stop()


def test_demo_rounds_play_through_the_engine_against_the_virtual_balance(make_remote: Any) -> None:
    remote: Remote = make_remote()
    token = remote.launch_demo()
    r = remote.engine.play(token, 2)
    assert r["state"] == "settled" and r["open"]["kind"] == "demo", r
    assert units(r["open"]["balance"]) == 1000_0000 - 1_0000
    assert units(r["settle"]["balance"]) == 1000_0000 - 1_0000 + r["win"]
    assert remote.stack.proxy.requests() == []


def test_the_catalogue_offers_the_remote_game_and_refuses_a_taken_game_id(make_remote: Any) -> None:
    remote: Remote = make_remote()
    games = {g["game_id"]: g for g in remote.stack.admin.get("/admin/games")["games"]}
    assert games[remote.game_id]["source"] == f"engine {remote.engine_id}"
    engines = {e["engine_id"]: e for e in remote.stack.admin.get("/admin/engines")["items"]}
    listed = engines[remote.engine_id]
    assert listed["tokens"][0].startswith("fp:") and remote.token not in str(listed)
    assert listed["games"][0]["rtp_declared"] == "19/20"
    for game_id in ("book-of-reels", remote.game_id):  # a built-in game's, another engine's
        taken = register_engine_raw(remote, game_id)
        assert taken.status_code == 409 and taken.json()["error"]["code"] == "game_id_taken"
    assert games == {
        g["game_id"]: g for g in remote.stack.admin.get("/admin/games")["games"]
    }  # nothing changed
    spin = remote.stack.http.post(
        f"{remote.stack.provider_url}/game/api/{remote.launch(remote.new_player())}/spin",
        json={"bet_id": 0},
    )
    assert spin.status_code == 400  # the built-in client does not play a remote game


def register_engine_raw(remote: Remote, game_id: str) -> httpx.Response:
    body = {
        "engine_id": uid("studio"),
        "tokens": ["a-token-of-16-chars"],
        "launch_url": "https://x.example/{token}",
        "games": [{"game_id": game_id, "name": "X", "lines": 1, "stake_levels": ["1"]}],
    }
    return remote.stack.http.post(
        f"{remote.stack.provider_url}/admin/engines",
        json=body,
        headers={"Authorization": f"Bearer {PROVIDER_ADMIN}"},
    )


# -- a provider process killed between the bet and the settle ------------------------


@pytest.fixture
def crashing(database_url: str, tmp_path: Path) -> Iterator[tuple[Stack, ProviderProcess, int]]:
    """The real wallet behind a fault proxy (in this process) and a provider process
    that can be killed and restarted on the same port (the engine keeps its URL)."""
    provider_db = database_url
    if database_url.startswith("sqlite"):
        provider_db = f"sqlite:///{tmp_path / 'provider.db'}"
    aggregator = build_aggregator(
        AggregatorSettings(database_url=database_url, admin_token=AGGREGATOR_ADMIN)
    )
    process = ProviderProcess(provider_db, tmp_path / "provider.log")
    port = free_port()
    with (
        serve_in_thread(aggregator) as aggregator_url,
        serve_in_thread((proxy := FaultProxy(aggregator_url)).app) as proxy_url,
    ):
        try:
            provider_url = process.start(port)
            wallet = AdminClient(aggregator_url, AGGREGATOR_ADMIN)
            admin = AdminClient(provider_url, PROVIDER_ADMIN)
            client_id, token = uid("casino"), f"token-{uid('t')}"
            wallet.upsert_client(client_id, [token])
            wallet_url = f"{proxy_url}/wallet/{client_id}"
            admin.post(
                "/admin/clients",
                {"client_id": client_id, "tokens": [token], "wallet_url": wallet_url},
            )
            http = httpx.Client(timeout=30.0)
            stack = Stack(
                aggregator_url, provider_url, proxy, wallet, admin, client_id, token, http
            )
            yield stack, process, port
            for client in (stack.admin, wallet, http):
                client.close()
        finally:
            proxy.release()
            process.stop()


def test_b14_a_provider_killed_between_bet_and_settle_takes_the_engines_settle_after_restart(
    crashing: tuple[Stack, ProviderProcess, int], tmp_path: Path
) -> None:
    stack, process, port = crashing
    engine = _engine(stack.provider_url, tmp_path)
    try:
        game_id = uid("dice")
        register_engine(
            stack,
            engine.engine_id,
            engine.token,
            game_id,
            engine.start(journal=tmp_path / "engine.jsonl"),
        )
        remote = Remote(stack, engine, engine.engine_id, engine.token, game_id)
        player = remote.new_player(balance="10")
        held = engine.play(remote.launch(player), 2, hold=True)
        assert held["state"] == "drawn" and held["open"]["status"] == "accepted", held
        rid = held["engine_round_id"]
        process.kill()  # the bet is held by the wallet; the outcome is only the engine's
        engine.release(rid)
        eventually(lambda: engine.round(rid)["state"] == "settling", what="the engine to retry")
        assert stack.proxy.requests("win") == []
        stack.admin.close()
        stack.provider_url = process.start(port)  # the engine's settle lands now
        stack.admin = AdminClient(stack.provider_url, PROVIDER_ADMIN)
        done = eventually(
            lambda: (r := engine.round(rid))["state"] == "settled" and r, what="the settle"
        )
        assert done["settle"]["status"] in ("settled", "settling")
        (round_,) = stack.assert_books_agree(player)
        assert units(round_["win"]) == held["win"]
        wins = [t for t in stack.transactions() if t["action"] == "win"]
        assert len(wins) == 1 and units(wins[0]["amount"]) == held["win"]
        assert stack.balance(player) == player.start - 1_0000 + held["win"]
    finally:
        engine.stop()
