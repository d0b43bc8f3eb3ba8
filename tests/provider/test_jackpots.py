"""Progressive jackpots end to end (PROTOCOL.md B18), on SQLite and PostgreSQL.

Pools are per level and currency, fed by ``stake * share_ppm // 1_000_000`` of each real
stake (exact integers); a hit is paid as a ``win`` of type ``jackpot`` with its own
transaction id, and the pool starts again from its seed.
"""

from __future__ import annotations

import secrets
import time

from provider.conftest import MakeStack
from provider.support import Stack, units
from reelbridge.config import JackpotLevel
from reelbridge.games import get_game

BOOK = get_game("book-of-reels")


def pools(stack: Stack, *names: str) -> dict[str, int]:
    """The live amount of each named level in EUR, from the ``jackpots`` endpoint."""
    reply = stack.call("/api/jackpots", client_id=stack.client_id)
    assert reply["status"] is True, reply
    return {
        j["name"]: units(str(j["amount"]))
        for j in reply["jackpots"]
        if j["name"] in names and j["currency"] == "EUR"
    }


def test_b18_a_hit_is_paid_as_its_own_jackpot_win_and_the_pool_restarts_from_its_seed(
    make_stack: MakeStack,
) -> None:
    tag = secrets.token_hex(4)  # PostgreSQL tests share pools: levels of this test only
    mini = JackpotLevel(f"Mini-{tag}", seed=10_0000, share_ppm=3_333, odds=1)  # always hits
    grand = JackpotLevel(f"Grand-{tag}", seed=1_000_0000, share_ppm=1_234, odds=10**15)
    stack = make_stack(jackpots=(mini, grand))
    player = stack.new_player(balance="500")
    token = stack.launch(player)
    # Every configured pool exists from the start, at its seed.
    assert pools(stack, mini.name, grand.name) == {mini.name: mini.seed, grand.name: grand.seed}
    fed = 0
    for bet_id in (0, 3, 5, 1):
        stake = BOOK.total_stake(BOOK.stake_levels[bet_id])
        answer = stack.spin(token, bet_id)
        assert answer["status"] == "settled", answer
        # The pool paid out includes this spin's own share; then it restarts from seed.
        expected_win = mini.seed + stake * mini.share_ppm // 1_000_000
        assert answer["jackpot"] == {"level": mini.name, "amount": answer["jackpot"]["amount"]}
        assert units(answer["jackpot"]["amount"]) == expected_win
        fed += stake * grand.share_ppm // 1_000_000
        assert pools(stack, mini.name, grand.name) == {
            mini.name: mini.seed,
            grand.name: grand.seed + fed,
        }
        journal = [t for t in stack.transactions() if t["round_id"] == answer["round_id"]]
        wins = {t["type"]: t for t in journal if t["action"] == "win"}
        assert set(wins) == {"win", "jackpot"}, journal
        assert units(wins["jackpot"]["amount"]) == expected_win
        assert units(wins["win"]["amount"]) == units(answer["win"])
        assert wins["jackpot"]["transaction_id"] != wins["win"]["transaction_id"]
        recalled = stack.admin.get(f"/admin/rounds/{answer['round_id']}")
        assert (recalled["jackpot_level"], units(recalled["jackpot_win"])) == (
            mini.name,
            expected_win,
        )
    listed = {r["level"]: r for r in stack.listing(stack.admin, "jackpots", currency="EUR")}
    assert listed[mini.name]["hits"] == 4 and listed[grand.name]["hits"] == 0
    assert units(listed[grand.name]["contributed"]) == fed
    state = stack.game(token, "state").json()
    shown = {j["name"]: units(j["amount"]) for j in state["jackpots"]}
    assert shown[grand.name] == grand.seed + fed
    stack.assert_books_agree(player)


def test_freespin_rounds_neither_feed_the_pools_nor_draw_a_jackpot(make_stack: MakeStack) -> None:
    tag = secrets.token_hex(4)
    mini = JackpotLevel(f"Mini-{tag}", seed=10_0000, share_ppm=10_000, odds=1)
    grand = JackpotLevel(f"Grand-{tag}", seed=1_000_0000, share_ppm=10_000, odds=10**15)
    stack = make_stack(jackpots=(mini, grand))
    player = stack.new_player()
    token = stack.launch(player)
    stake = BOOK.total_stake(BOOK.stake_levels[0])
    assert stack.spin(token, 0)["jackpot"] is not None  # creates the pools
    before = pools(stack, mini.name, grand.name)
    assert before == {mini.name: mini.seed, grand.name: grand.seed + stake // 100}
    now = int(time.time())
    created = stack.call(
        "/api/freespins/create",
        client_id=stack.client_id,
        game_id="book-of-reels",
        player_id=player.player_id,
        campaign_id="jp-free",
        currency="EUR",
        quantity=2,
        valid_from=now - 10,
        valid_until=now + 3600,
        bet_id=4,
    )
    assert created["status"] is True
    for _ in range(2):
        answer = stack.spin(token, 0)
        assert answer["kind"] == "freespin" and answer["jackpot"] is None
    assert pools(stack, mini.name, grand.name) == before
    assert [t["type"] for t in stack.transactions()].count("jackpot") == 1  # the real spin's
    stack.assert_books_agree(player)
