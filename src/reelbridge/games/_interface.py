"""The game interface: what a provider needs of a game, built-in or plug-in.

A provider plays a round of any game the same way (PROTOCOL.md B16):

1. ``total_stake(bet_per_line)`` is what the wallet is asked for (``bet_id`` indexes
   ``stake_levels``);
2. only once the wallet accepted the bet, ``draw(rng)`` takes *all* of the round's
   randomness from the injected :class:`Rng` (a CSPRNG in production) and returns it as
   plain JSON (lists, ints, strings), which the provider stores;
3. ``replay(bet_per_line, draw)`` evaluates that draw, purely: the same draw always gives
   the same :class:`Outcome`, so a stored round can be paid, resent and recalled without
   re-rolling anything.

Every amount is an integer of money units (1/10000 of the currency). ``exact_rtp``
gives the return to player as an exact fraction per stake level when the game's maths
allows (``None`` when only a simulation can tell); ``client`` describes the game to the
built-in HTML5 reel client. The built-in :class:`~reelbridge.games.Game` implements this
interface; a studio's game does too, and is found through the entry-point group
``reelbridge.games`` (see ``README.md``, "Add your own game").
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Protocol, runtime_checkable

from reelbridge.games._rng import Rng


@runtime_checkable
class Outcome(Protocol):
    """The evaluated result of a round."""

    @property
    def total_win(self) -> int:
        """What the round pays, in money units (0 for a losing round)."""
        ...

    def to_json(self) -> dict[str, Any]:
        """The outcome as plain JSON types, stored with the round and sent to the client.

        For the built-in reel client: ``{"base": screen, "free_games": [screen, …],
        "total_win": units, …}`` where a screen is ``{"grid": [[symbol, …] per reel],
        "line_wins": [{"line", "symbol", "count", "positions", "amount"}],
        "scatter": {…} | None, "multiplier", "free_games_awarded", "win"}``.
        """
        ...


@runtime_checkable
class SlotGame(Protocol):
    """A game the provider can offer: stakes, draw, evaluation, maths, presentation."""

    @property
    def game_id(self) -> str:
        """The protocol's ``game_id`` (unique among the installed games)."""
        ...

    @property
    def name(self) -> str:
        """Display name."""
        ...

    @property
    def stake_levels(self) -> tuple[int, ...]:
        """Bets per line in money units, strictly increasing; ``bet_id`` indexes them."""
        ...

    def total_stake(self, bet_per_line: int) -> int:
        """What a round at ``bet_per_line`` costs, in money units.

        Raises:
            InvalidStakeError: ``bet_per_line`` is not one of ``stake_levels``.
        """
        ...

    def draw(self, rng: Rng) -> Any:
        """Take all of a round's randomness from ``rng``; plain JSON, stored as is."""
        ...

    def replay(self, bet_per_line: int, draw: Any) -> Outcome:
        """Evaluate a stored draw (pure: equal draws give equal outcomes).

        Raises:
            InvalidStakeError: ``bet_per_line`` is not one of ``stake_levels``.
            InvalidDrawError: the draw does not fit the game.
        """
        ...

    def exact_rtp(self, bet_per_line: int) -> Fraction | None:
        """The exact return to player of a round at ``bet_per_line`` (a fraction of its
        total stake), or ``None`` when the game's maths is known only by simulation."""
        ...

    def client(self) -> dict[str, Any]:
        """How the built-in reel client draws the game: ``{"rows", "reels", "lines",
        "symbols": [{"name", "kind", "pays"}], "free_games"}`` (see ``Game.client``)."""
        ...
