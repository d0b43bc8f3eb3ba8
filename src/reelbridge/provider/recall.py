"""Game recall (PROTOCOL.md B16): a stored round, shown and replayed from its draw.

A round stores the draw its outcome came from (``{"game": <the game's draw>,
"jackpot": {"u": [...], "level": name}}``). Recall replays the game's draw with the game's
own ``replay`` and the jackpot draw with the plan, and says whether both reproduce what
was stored and paid. A remote engine's round has no replay here (the engine owns its
maths): its stored outcome is shown as the engine reported it.
"""

from __future__ import annotations

from typing import Any

from reelbridge.games import GamesError, JackpotPlan, SlotGame
from reelbridge.protocol import format_amount
from reelbridge.provider.rounds import Round

_MONEY = ("bet_per_line", "stake", "win", "jackpot_win", "balance_after")
_HIDDEN = ("launch_token", "client_id", "session_id", "engine_id")


def round_json(r: Round) -> dict[str, Any]:
    """A stored round for a player or an operator (money as exact decimal strings;
    the launch token and the aggregator's session are never shown)."""
    item: dict[str, Any] = {
        name: getattr(r, name) for name in r.__struct_fields__ if name not in _HIDDEN
    }
    for key in _MONEY:
        if item[key] is not None:
            item[key] = format_amount(item[key])
    item["kind"], item["status"] = r.kind.value, r.status.value
    item["draw"], item["outcome"] = r.decoded_draw(), r.decoded_outcome()
    return item


def game_draw(stored: Any) -> Any:
    """The game's part of a stored draw (rounds stored before the jackpot draw was kept
    hold ``{"reels": …}`` or the bare list)."""
    if isinstance(stored, dict):
        return stored.get("game", stored.get("reels"))
    return stored


class _Scripted:
    """Answers a replayed jackpot draw from the stored numbers."""

    def __init__(self, values: list[int]) -> None:
        self._values = iter(values)

    def randbelow(self, n: int, /) -> int:
        value = next(self._values)
        if not 0 <= value < n:
            raise ValueError(f"stored draw {value} outside range({n})")
        return value


def recall(game: SlotGame | None, plan: JackpotPlan | None, r: Round) -> dict[str, Any]:
    """The round with ``replay_verified`` (the game's outcome reproduced from its draw:
    True/False, None when there is nothing to replay) and ``jackpot_verified``."""
    item = round_json(r)
    draw, outcome = item["draw"], item["outcome"]
    verified: bool | None = None
    if r.engine_id is None and game is not None and draw is not None and outcome is not None:
        try:
            verified = game.replay(r.bet_per_line, game_draw(draw)).to_json() == outcome
        except (GamesError, TypeError, ValueError):
            verified = False
    jackpot_verified: bool | None = None
    stored_jackpot = draw.get("jackpot") if isinstance(draw, dict) else None
    if plan is not None and isinstance(stored_jackpot, dict):
        try:
            level = plan.draw(r.stake, _Scripted(list(stored_jackpot.get("u", []))))
            jackpot_verified = (None if level is None else level.name) == stored_jackpot.get(
                "level"
            ) and (level is None) == (r.jackpot_level is None)
        except (StopIteration, ValueError, TypeError):
            jackpot_verified = False
    return {**item, "replay_verified": verified, "jackpot_verified": jackpot_verified}
