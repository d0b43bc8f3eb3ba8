"""docs/PROTOCOL-part-b.md B19–B21: responsible gambling in the wallet, on SQLite and
PostgreSQL (the one-round-trip function), over HTTP with a fake clock.

B19: a bet that breaks a limit, a self-exclusion, a session time limit or a block is
refused as ``BET_FAILED_KNOWN_ERROR`` with a message for the player, and moves nothing;
wins and refunds always land (B8); a refused id stays refused (B9). B20: calendar
periods in UTC, net loss and stakes as the journal counts them. B21: stricter at once,
looser after the cooling-off.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from reelbridge.ledger.limits import (
    DAY_US,
    EXCLUSION_COOLING_OFF_US,
    LIMIT_COOLING_OFF_US,
    MINUTE_US,
    Period,
    start_of,
)
from reelbridge.protocol import BalanceReply, BetType, ErrorCode, ErrorReply
from reelbridge.testing import AdminError, WalletClient

from .support import Aggregator, Player, ok, refused, uid, units

pytestmark = pytest.mark.anyio

E = ErrorCode
LOSS_DAY = "This bet would exceed your daily loss limit"


def travel(aggregator: Aggregator, to: int) -> None:
    """Move the (module's) fake clock forward to ``to`` µs; it never goes back."""
    assert to >= aggregator.clock.now, "the fake clock only moves forward"
    aggregator.clock.now = to


def set_limits(aggregator: Aggregator, player: Player, **limits: Any) -> dict[str, Any]:
    reply = aggregator.admin.set_limits(
        player.player_id, player.currency, "asked by player", **limits
    )
    account: dict[str, Any] = reply["account"]
    return account


async def bet(
    wallet: WalletClient, player: Player, amount: str, *, tx: str | None = None, **kw: Any
) -> BalanceReply | ErrorReply:
    return await wallet.bet(
        kw.pop("session", player.session_id),
        units(amount),
        transaction_id=tx or uid("tx"),
        round_id=kw.pop("round_id", uid("round")),
        game_id=player.game_id,
        **kw,
    )


def known(reply: BalanceReply | ErrorReply, message: str) -> None:
    refused(reply, E.BET_FAILED_KNOWN_ERROR)
    assert isinstance(reply, ErrorReply) and reply.message == message, reply


# -- B19: refused as a known error with the player's message, nothing moves ---------------


async def test_b19_a_bet_over_the_daily_loss_limit_is_a_known_error_and_moves_nothing(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    set_limits(aggregator, player, loss_day="2")
    async with aggregator.wallet(player) as wallet:
        ok(await bet(wallet, player, "1.5"))
        ok(await bet(wallet, player, "0.5"))  # exactly at the limit: allowed
        before = aggregator.snapshot(player)
        tx = uid("tx")
        reply = await bet(wallet, player, "0.0001", tx=tx)
    known(reply, LOSS_DAY)
    balance, journal = aggregator.snapshot(player)
    assert balance == before[0] == units("8")
    (row,) = [r for r in journal if r["transaction_id"] == tx]
    assert (row["outcome"], row["moved"], row["message"]) == (
        "BET_FAILED_KNOWN_ERROR",
        "0.0",
        LOSS_DAY,
    )


async def test_b19_every_kind_of_limit_has_its_own_message(aggregator: Aggregator) -> None:
    cases = {
        "loss_week": "This bet would exceed your weekly loss limit",
        "loss_month": "This bet would exceed your monthly loss limit",
        "wager_day": "This bet would exceed your daily wager limit",
        "wager_week": "This bet would exceed your weekly wager limit",
        "wager_month": "This bet would exceed your monthly wager limit",
    }
    for name, message in cases.items():
        player = aggregator.new_player(balance="10")
        set_limits(aggregator, player, **{name: "1"})
        async with aggregator.wallet(player) as wallet:
            ok(await bet(wallet, player, "1"))
            known(await bet(wallet, player, "0.0001"), message)


async def test_b19_a_blocked_player_cannot_bet_until_unblocked(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="10")
    aggregator.admin.block(player.player_id, True, "chargeback under review")
    async with aggregator.wallet(player) as wallet:
        known(await bet(wallet, player, "1"), "Your account is blocked")
        aggregator.admin.block(player.player_id, False, "review done")  # at once (B21)
        assert ok(await bet(wallet, player, "1")) == units("9")


async def test_b19_a_self_excluded_player_cannot_bet_not_even_a_freespin(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    end = start_of(Period.DAY, aggregator.clock.now) + 3 * DAY_US  # 00:00 UTC in 3 days
    aggregator.admin.exclude(player.player_id, _date(end), "player asked for 3 days off")
    async with aggregator.wallet(player) as wallet:
        known(await bet(wallet, player, "1"), "You are self-excluded from play")
        known(
            await bet(wallet, player, "0", type=BetType.FREESPIN),
            "You are self-excluded from play",
        )
    travel(aggregator, end)  # the exclusion is over at 00:00 UTC of its last date
    again = aggregator.open_session(player)
    async with aggregator.wallet(player) as wallet:
        assert ok(await bet(wallet, player, "1", session=again)) == units("9")


async def test_b19_a_session_older_than_the_session_limit_refuses_bets(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    set_limits(aggregator, player, session_minutes=30)
    opened = aggregator.clock.now
    async with aggregator.wallet(player) as wallet:
        travel(aggregator, opened + 30 * MINUTE_US - 1)
        ok(await bet(wallet, player, "1"))
        travel(aggregator, opened + 30 * MINUTE_US)
        known(await bet(wallet, player, "1"), "Session time limit reached")
        fresh = aggregator.open_session(player)  # a new session has its own 30 minutes
        ok(await bet(wallet, player, "1", session=fresh))


async def test_b19_wins_and_refunds_land_for_a_blocked_excluded_player_over_every_limit(
    aggregator: Aggregator,
) -> None:
    """B8: money owed to the player always lands."""
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        bet_tx, round_id = uid("tx"), uid("round")
        ok(await bet(wallet, player, "2", tx=bet_tx, round_id=round_id))
        ok(await bet(wallet, player, "3", round_id="won"))
        set_limits(aggregator, player, loss_day="0.0001", wager_day="0.0001", session_minutes=1)
        aggregator.admin.exclude(player.player_id, "indefinite", "gambling problem")
        aggregator.admin.block(player.player_id, True, "fraud check")
        travel(aggregator, aggregator.clock.now + 2 * MINUTE_US)
        known(await bet(wallet, player, "1"), "Your account is blocked")
        win = await wallet.win(
            player.session_id, units("7"), round_id="won", game_id=player.game_id
        )
        assert ok(win) == units("12")
        refund = await wallet.refund(
            player.session_id, bet_tx, round_id=round_id, game_id=player.game_id
        )
        assert ok(refund) == units("14")
        jackpot = await wallet.win(
            player.session_id, units("1"), round_id=uid("round"), game_id=player.game_id
        )
        assert ok(jackpot) == units("15")
    assert aggregator.balance(player) == units("15")


async def test_b19_a_refused_bet_stays_refused_after_the_limit_is_raised(
    aggregator: Aggregator,
) -> None:
    """B9: an id's outcome never changes."""
    player = aggregator.new_player(balance="10", ttl_seconds=3 * 86_400)
    set_limits(aggregator, player, loss_day="1")
    async with aggregator.wallet(player) as wallet:
        tx, round_id = uid("tx"), uid("round")
        known(await bet(wallet, player, "2", tx=tx, round_id=round_id), LOSS_DAY)
        set_limits(aggregator, player, loss_day="5")
        travel(aggregator, aggregator.clock.now + LIMIT_COOLING_OFF_US)
        known(await bet(wallet, player, "2", tx=tx, round_id=round_id), LOSS_DAY)
        assert ok(await bet(wallet, player, "2")) == units("8")  # a new id is accepted


# -- B20: periods and totals ------------------------------------------------------------


async def test_b20_wins_lower_the_net_loss_refunds_give_back_stakes_and_loss(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="20")
    set_limits(aggregator, player, loss_day="2", wager_day="3")
    async with aggregator.wallet(player) as wallet:
        ok(await bet(wallet, player, "2", round_id="a"))  # staked 2, lost 2
        ok(await wallet.win(player.session_id, units("1"), round_id="a", game_id=player.game_id))
        tx = uid("tx")
        ok(await bet(wallet, player, "1", tx=tx, round_id="b"))  # staked 3, lost 2
        known(await bet(wallet, player, "0.0001"), LOSS_DAY)
        ok(await wallet.refund(player.session_id, tx, round_id="b", game_id=player.game_id))
        ok(await bet(wallet, player, "1"))  # the refund gave back 1 of each: 3 and 2 again
        ok(await wallet.win(player.session_id, units("5"), round_id="c", game_id=player.game_id))
        # a win lowers the net loss (now −3), never the stakes
        known(await bet(wallet, player, "0.0001"), "This bet would exceed your daily wager limit")
    limits = aggregator.admin.limits(player.player_id)["accounts"][0]["limits"]
    assert (limits["loss_day"]["used"], limits["wager_day"]["used"]) == ("-3.0", "3.0")


async def test_b20_a_limit_set_mid_day_counts_the_days_earlier_play(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    async with aggregator.wallet(player) as wallet:
        ok(await bet(wallet, player, "3", round_id="r"))
        ok(await wallet.win(player.session_id, units("0.5"), round_id="r", game_id=player.game_id))
        account = set_limits(aggregator, player, loss_day="4")
        assert account["limits"]["loss_day"]["used"] == "2.5"
        known(await bet(wallet, player, "1.5001"), LOSS_DAY)
        ok(await bet(wallet, player, "1.5"))


@pytest.mark.parametrize("period", [Period.DAY, Period.WEEK, Period.MONTH])
async def test_b20_a_period_ends_at_its_utc_boundary(
    aggregator: Aggregator, period: Period
) -> None:
    """The last microsecond of a day (Sunday for a week, the month's last day) still
    counts in the period; its first microsecond after starts from zero."""
    boundary = _next_start(period, aggregator.clock.now + DAY_US)
    travel(aggregator, boundary - 10 * MINUTE_US)
    player = aggregator.new_player(balance="10")
    set_limits(aggregator, player, **{f"loss_{period.value}": "1"})
    message = f"This bet would exceed your {period.adjective} loss limit"
    async with aggregator.wallet(player) as wallet:
        travel(aggregator, boundary - 1)
        ok(await bet(wallet, player, "1"))
        known(await bet(wallet, player, "0.0001"), message)
        travel(aggregator, boundary)
        ok(await bet(wallet, player, "1"))
        known(await bet(wallet, player, "0.0001"), message)
    if period is not Period.DAY:  # the day's totals started over, the longer period's not
        player2 = aggregator.new_player(balance="10")
        set_limits(aggregator, player2, **{f"loss_{period.value}": "2"})
        async with aggregator.wallet(player2) as wallet:
            ok(await bet(wallet, player2, "1"))
            travel(aggregator, boundary + DAY_US)
            fresh = aggregator.open_session(player2)
            ok(await bet(wallet, player2, "1", session=fresh))
            known(await bet(wallet, player2, "0.0001", session=fresh), _loss(period))


async def test_b20_a_call_recorded_after_midnight_with_an_earlier_time_counts_in_its_own_day(
    aggregator: Aggregator,
) -> None:
    """Two calls that read the clock on either side of midnight may be recorded in the
    other order: the earlier one does not count in the new day (nor reset it)."""
    midnight = _next_start(Period.DAY, aggregator.clock.now)
    travel(aggregator, midnight - MINUTE_US)
    player = aggregator.new_player(balance="10")
    set_limits(aggregator, player, loss_day="2")
    async with aggregator.wallet(player) as wallet:
        travel(aggregator, midnight)
        ok(await bet(wallet, player, "1.5"))
        aggregator.clock.now = midnight - 1  # a call that read the clock a moment before
        ok(await bet(wallet, player, "1"))
        travel(aggregator, midnight + 1)
        known(await bet(wallet, player, "0.5001"), LOSS_DAY)  # today: 1.5 lost, not 2.5
        ok(await bet(wallet, player, "0.5"))


# -- B21: cooling-off ------------------------------------------------------------------


async def test_b21_a_lower_limit_applies_at_once_a_higher_one_after_24_hours(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="100", ttl_seconds=3 * 86_400)
    set_limits(aggregator, player, wager_day="10")
    lowered = set_limits(aggregator, player, wager_day="1")["limits"]["wager_day"]
    assert (lowered["limit"], lowered["pending"]) == ("1.0", False)
    raised_at = aggregator.clock.now
    raised = set_limits(aggregator, player, wager_day="3")["limits"]["wager_day"]
    assert (raised["limit"], raised["pending_limit"], raised["applies_at"]) == (
        "1.0",
        "3.0",
        raised_at + LIMIT_COOLING_OFF_US,
    )
    wager = "This bet would exceed your daily wager limit"
    async with aggregator.wallet(player) as wallet:
        known(await bet(wallet, player, "2"), wager)
        travel(aggregator, raised_at + LIMIT_COOLING_OFF_US - 1)
        known(await bet(wallet, player, "2"), wager)
        travel(aggregator, raised_at + LIMIT_COOLING_OFF_US)  # a new day: nothing staked
        ok(await bet(wallet, player, "2"))
        ok(await bet(wallet, player, "1"))
        known(await bet(wallet, player, "0.0001"), wager)


async def test_b21_removing_a_limit_waits_24_hours_and_asking_again_cancels_it(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="100")
    set_limits(aggregator, player, loss_day="1")
    removal = set_limits(aggregator, player, loss_day=None)["limits"]["loss_day"]
    assert (removal["limit"], removal["pending"], removal["pending_limit"]) == ("1.0", True, None)
    kept = set_limits(aggregator, player, loss_day="1")["limits"]["loss_day"]
    assert (kept["limit"], kept["pending"]) == ("1.0", False)
    set_limits(aggregator, player, loss_day=None)
    travel(aggregator, aggregator.clock.now + LIMIT_COOLING_OFF_US)
    session = aggregator.open_session(player)
    async with aggregator.wallet(player) as wallet:
        assert ok(await bet(wallet, player, "50", session=session)) == units("50")


async def test_b21_ending_a_self_exclusion_takes_seven_days_extending_it_is_immediate(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    asked = aggregator.clock.now
    aggregator.admin.exclude(player.player_id, "indefinite", "player asked")
    (account,) = aggregator.admin.exclude(player.player_id, None, "player asked to come back")[
        "accounts"
    ]
    assert account["excluded_indefinitely"] and account["exclusion_applies_at"] == (
        asked + EXCLUSION_COOLING_OFF_US
    )
    travel(aggregator, asked + EXCLUSION_COOLING_OFF_US - 1)
    session = aggregator.open_session(player)
    async with aggregator.wallet(player) as wallet:
        known(await bet(wallet, player, "1", session=session), "You are self-excluded from play")
        travel(aggregator, asked + EXCLUSION_COOLING_OFF_US)
        ok(await bet(wallet, player, "1", session=session))
        aggregator.admin.exclude(player.player_id, _date(asked + 400 * DAY_US), "again")
        known(await bet(wallet, player, "1", session=session), "You are self-excluded from play")


async def test_b21_a_new_account_of_a_blocked_or_excluded_player_starts_blocked(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    aggregator.admin.block(player.player_id, True, "fraud check")
    aggregator.admin.exclude(player.player_id, "indefinite", "player asked")
    aggregator.admin.create_player(player.player_id, "USD")
    aggregator.admin.deposit(player.player_id, "USD", "5", uid("dep"))
    accounts = {a["currency"]: a for a in aggregator.admin.limits(player.player_id)["accounts"]}
    assert accounts["USD"]["blocked"] and accounts["USD"]["excluded_indefinitely"]
    usd = Player(**{**player.__dict__, "currency": "USD"})
    session = aggregator.admin.open_session(player.client_id, player.player_id, "USD", "g1")
    async with aggregator.wallet(usd) as wallet:
        known(await bet(wallet, usd, "1", session=session), "Your account is blocked")


async def test_b21_every_change_is_audited_with_its_reason_and_bad_input_changes_nothing(
    aggregator: Aggregator,
) -> None:
    player = aggregator.new_player(balance="10")
    set_limits(aggregator, player, loss_day="5")
    rows = aggregator.listing("audit", subject=player.player_id, action="limits.set")
    assert [(r["reason"], r["actor"]) for r in rows] == [("asked by player", "admin")]
    audited = len(aggregator.listing("audit", subject=player.player_id))
    before = aggregator.admin.limits(player.player_id)
    bad: list[tuple[dict[str, Any], str]] = [
        ({"currency": "EUR", "loss_day": "0", "reason": "x"}, "more than zero"),
        ({"currency": "EUR", "loss_day": "1.00001", "reason": "x"}, "4 decimals"),
        ({"currency": "EUR", "loss_day": 1.5, "session_minutes": 0, "reason": "x"}, ">= 1"),
        ({"currency": "EUR", "loss_day": "1", "reason": "  "}, "reason is required"),
        ({"currency": "EUR", "reason": "x"}, "name a limit"),
        ({"currency": "USD", "loss_day": "1", "reason": "x"}, "no USD account"),
        ({"currency": "EUR", "loss_daily": "1", "reason": "x"}, "unknown field"),
    ]
    path = f"/admin/players/{player.player_id}/limits"
    for body, message in bad:
        with pytest.raises(AdminError) as caught:
            aggregator.admin.post(path, body)
        assert caught.value.status in (400, 404) and message in caught.value.message, body
    for body, message in [
        ({"until": "2020-01-01", "reason": "x"}, "in the future"),
        ({"until": "tomorrow", "reason": "x"}, "a date like"),
    ]:
        with pytest.raises(AdminError) as caught:
            aggregator.admin.post(f"/admin/players/{player.player_id}/exclusion", body)
        assert caught.value.status == 400 and message in caught.value.message
    assert aggregator.admin.limits(player.player_id) == before
    assert len(aggregator.listing("audit", subject=player.player_id)) == audited
    unchanged = aggregator.admin.set_limits(player.player_id, "EUR", "again", loss_day="5")
    assert unchanged["changed"] is False
    assert len(aggregator.listing("audit", subject=player.player_id)) == audited


def _next_start(period: Period, after: int) -> int:
    """The first microsecond of the next ``period`` after ``after``."""
    step = {Period.DAY: DAY_US, Period.WEEK: 7 * DAY_US, Period.MONTH: 32 * DAY_US}[period]
    return start_of(period, start_of(period, after) + step)


def _loss(period: Period) -> str:
    return f"This bet would exceed your {period.adjective} loss limit"


def _date(at: int) -> str:
    return str(datetime.date(1970, 1, 1) + datetime.timedelta(days=at // DAY_US))
