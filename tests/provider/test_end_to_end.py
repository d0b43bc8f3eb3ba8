"""The provider end to end against the real reelbridge wallet, over HTTP (Part A; B1–B2,
B5, B16): launches, real-money rounds, recall, and the five aggregator-facing endpoints.

Every test runs on SQLite and on PostgreSQL (``database_url``).
"""

from __future__ import annotations

import json
from typing import Any

from provider.conftest import MakeStack
from provider.support import ENDPOINTS, Stack, units
from reelbridge.games import SeededRng, get_game
from reelbridge.protocol import sign
from reelbridge.provider.catalog import percent, volatility_label

BOOK = get_game("book-of-reels")


def test_demo_launch_plays_on_a_virtual_balance_and_never_calls_the_wallet(stack: Stack) -> None:
    token = stack.launch_demo(language="de")
    state = stack.game(token, "state").json()
    assert state["session"] == {
        "demo": True,
        "currency": "FUN",
        "language": "de",
        "return_url": "https://casino.example/lobby",
    }
    balance = units(state["balance"])
    assert balance == 1_000_0000
    for bet_id in (0, 3, 1, 6, 2):
        answer = stack.spin(token, bet_id)
        assert answer["kind"] == "demo" and answer["status"] == "settled"
        assert units(answer["stake"]) == BOOK.total_stake(BOOK.stake_levels[bet_id])
        balance = balance - units(answer["stake"]) + units(answer["win"])
        assert units(answer["balance"]) == balance
    assert units(stack.game(token, "state").json()["balance"]) == balance
    assert stack.proxy.requests() == []  # not even a balance call
    assert stack.transactions() == []
    assert stack.outbox() == []
    rounds = stack.rounds()
    assert len(rounds) == 5 and {r["kind"] for r in rounds} == {"demo"}


def test_real_launch_shows_the_wallet_balance_through_a_signed_balance_call(
    stack: Stack,
) -> None:
    player = stack.new_player(balance="42.5")
    token = stack.launch(player, language="es")
    state = stack.game(token, "state").json()
    assert state["session"]["demo"] is False
    assert state["session"]["currency"] == "EUR" and state["session"]["language"] == "es"
    assert units(state["balance"]) == 42_5000
    (call,) = stack.proxy.requests(action="balance")
    assert json.loads(call.body) == {"action": "balance", "session_id": player.session_id}
    assert call.signature == sign(call.body, stack.token)
    assert [s["player_id"] for s in stack.listing(stack.admin, "sessions")].count(
        player.player_id
    ) == 1


def test_b16_spins_move_the_wallet_exactly_and_every_round_replays_from_storage(
    make_stack: MakeStack,
) -> None:
    stack = make_stack(rng=SeededRng(3))  # seed 3: free games in the 11th round
    player = stack.new_player(balance="100")
    token = stack.launch(player)
    answers = [stack.spin(token, bet_id=i % 3) for i in range(20)]
    for answer in answers:
        assert answer["status"] == "settled" and answer["error"] is None
    # Each answer's balance is the wallet's, confirmed: start − Σstake + Σwin so far.
    expected = player.start
    for answer in answers:
        expected += units(answer["win"]) - units(answer["stake"])
        assert units(answer["balance"]) == expected
    assert stack.balance(player) == expected
    rounds = stack.assert_books_agree(player)
    assert len(rounds) == 20
    assert any(r["round_id"] == answers[10]["round_id"] for r in rounds)
    assert answers[10]["outcome"]["free_games_awarded"] > 0
    # Every money call was stored before it was sent, and sent as stored, signed (B14).
    stored = {(r["kind"], r["transaction_id"]): r["body"].encode() for r in stack.outbox()}
    money_calls = stack.proxy.requests(action="bet") + stack.proxy.requests(action="win")
    assert len(money_calls) == len(stored) == 40
    for sent in money_calls:
        assert sent.action is not None and sent.tx is not None
        assert stored[(sent.action, sent.tx)] == sent.body
        assert json.loads(sent.body)["session_id"] == player.session_id
        assert sent.signature == sign(sent.body, stack.token)
    # Recall (B16): every round replays from storage to the outcome that was paid.
    for answer in answers:
        recalled = stack.admin.get(f"/admin/rounds/{answer['round_id']}")
        assert recalled["replay_verified"] is True
        assert recalled["outcome"] == answer["outcome"]
        by_player = stack.game(token, f"rounds/{answer['round_id']}").json()
        assert by_player["replay_verified"] is True
    history = stack.game(token, "history?limit=200").json()["rounds"]
    assert {r["round_id"] for r in history} == {a["round_id"] for a in answers}


def test_unknown_game_or_currency_not_offered_is_wrong_input_and_launches_nothing(
    stack: Stack,
) -> None:
    player = stack.new_player()
    before = stack.counts()
    launch: dict[str, Any] = {
        "client_id": stack.client_id,
        "game_id": "book-of-reels",
        "currency": "EUR",
        "language": "en",
        "session_id": player.session_id,
        "player_id": player.player_id,
        "return_url": "https://casino.example/lobby",
    }
    demo = {k: launch[k] for k in ("client_id", "game_id", "language", "return_url")}
    campaign: dict[str, Any] = {
        "client_id": stack.client_id,
        "game_id": "book-of-reels",
        "player_id": player.player_id,
        "campaign_id": "c-1",
        "currency": "EUR",
        "quantity": 3,
        "valid_from": 0,
        "valid_until": 4_000_000_000,
        "bet_id": 0,
    }
    for path, body in [
        ("/api/game-url", {**launch, "game_id": "no-such-game"}),
        ("/api/game-url", {**launch, "currency": "XXX"}),
        ("/api/demo-url", {**demo, "game_id": "no-such-game"}),
        ("/api/freespins/create", {**campaign, "game_id": "no-such-game"}),
        ("/api/freespins/create", {**campaign, "currency": "XXX"}),
    ]:
        reply = stack.call(path, **body)
        assert reply["status"] is False and reply["code"] == "WRONG_INPUT_PARAMETERS", (path, body)
    assert stack.counts() == before


def test_a_language_not_offered_falls_back_to_english(stack: Stack) -> None:
    player = stack.new_player()
    cases = {"de": "de", "DE": "de", "pt-BR": "pt", "xx": "en", "1a": "en", "zh": "en"}
    for sent, shown in cases.items():
        token = stack.launch(player, language=sent)
        assert stack.game(token, "state").json()["session"]["language"] == shown, sent
        demo = stack.launch_demo(language=sent)
        assert stack.game(demo, "state").json()["session"]["language"] == shown, sent


def test_every_endpoint_answers_invalid_sign_for_a_wrong_signature_or_an_unknown_client(
    stack: Stack,
) -> None:
    player = stack.new_player()
    bodies: dict[str, dict[str, Any]] = {
        "/api/demo-url": {"game_id": "book-of-reels", "language": "en", "return_url": "x"},
        "/api/game-url": {
            "game_id": "book-of-reels",
            "currency": "EUR",
            "language": "en",
            "session_id": player.session_id,
            "player_id": player.player_id,
            "return_url": "x",
        },
        "/api/jackpots": {},
        "/api/freespins/create": {
            "game_id": "book-of-reels",
            "player_id": player.player_id,
            "campaign_id": "c-sign",
            "currency": "EUR",
            "quantity": 1,
            "valid_from": 0,
            "valid_until": 4_000_000_000,
            "bet_id": 0,
        },
        "/api/freespins/cancel": {"campaign_id": "c-sign"},
        "/api/games": {},
    }
    assert set(bodies) == set(ENDPOINTS)
    before = stack.counts()
    for path, fields in bodies.items():
        body = json.dumps({"client_id": stack.client_id, **fields}).encode()
        stranger = json.dumps({"client_id": "nobody-we-know", **fields}).encode()
        spaced = json.dumps({"client_id": stack.client_id, **fields}, indent=1).encode()
        attempts = {
            "another token": stack.post_signed(path, body, token="not-the-token-at-all"),
            "no signature": stack.http.post(stack.provider_url + path, content=body),
            "empty signature": stack.post_signed(path, body, signature=""),
            "other bytes": stack.post_signed(path, body, signature=sign(spaced, stack.token)),
            "unknown client": stack.post_signed(path, stranger),
        }
        for name, response in attempts.items():
            assert response.status_code == 200, (path, name)
            assert response.json() == {
                "status": False,
                "code": "INVALID_SIGN",
                "message": "Invalid sign",
            }, (path, name)
    assert stack.counts() == before
    # The same bodies, rightly signed (header name in any case), are not INVALID_SIGN.
    for path, fields in bodies.items():
        body = json.dumps({"client_id": stack.client_id, **fields}).encode()
        response = stack.http.post(
            stack.provider_url + path, content=body, headers={"x-SIGN": sign(body, stack.token)}
        )
        assert response.json().get("code") != "INVALID_SIGN", (path, response.text)


def test_during_a_key_rotation_both_tokens_verify_and_the_first_signs_wallet_calls(
    stack: Stack,
) -> None:
    old, new = stack.token, "token-rotated-in-0123456789"
    stack.wallet.upsert_client(stack.client_id, [old, new])
    stack.admin.post(
        "/admin/clients",
        {
            "client_id": stack.client_id,
            "tokens": [new, old],
            "wallet_url": stack.proxy_wallet_url,
        },
    )
    player = stack.new_player()
    body = json.dumps({"client_id": stack.client_id}).encode()
    for token in (old, new):
        assert stack.post_signed("/api/jackpots", body, token=token).json()["status"] is True
    assert stack.spin(stack.launch(player))["status"] == "settled"
    for sent in stack.proxy.requests():
        assert sent.signature == sign(sent.body, new)
    stack.assert_books_agree(player)


def test_the_catalogue_lists_every_game_with_its_disclosed_rtp_volatility_and_card(
    stack: Stack,
) -> None:
    reply = stack.call("/api/games", client_id=stack.client_id)
    assert reply["status"] is True
    games = {g["game_id"]: g for g in reply["games"]}
    assert set(games) >= {"book-of-reels", "classic-7s"}
    for game_id, entry in games.items():
        game = get_game(game_id)
        base = game.exact_rtp(game.stake_levels[0])
        assert base is not None
        # FAST stacks have no jackpots: the whole return is the base game's
        assert entry["rtp_base"] == entry["rtp"] == percent(base)
        assert entry["rtp_jackpot"] == "0.0000"
        assert [units(s) for s in entry["stakes"]] == [
            game.total_stake(b) for b in game.stake_levels
        ]
        assert entry["volatility"] == volatility_label(game.par_sheet().std_dev)
        card = stack.http.get(
            entry["thumbnail"].replace("https://games.example", stack.provider_url)
        )
        assert card.status_code == 200 and card.headers["content-type"] == "image/svg+xml"
        assert game.name in card.text
    assert stack.http.get(f"{stack.provider_url}/game/thumbnail/nope.svg").status_code == 404
