"""The playable game: draw a round from an ``Rng``, replay a stored draw, know its maths.

A round is ``draw`` then ``replay``: :meth:`Game.draw` asks the RNG for the reel stops
of the base spin and of every free game the round earns, and :meth:`Game.replay` turns
those stops into the paid outcome. Only the draw is random, so a provider stores the
draw and can replay the round exactly, for a resend or a game recall (PROTOCOL.md B16).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, Any

from reelbridge.games._errors import InvalidDrawError, InvalidStakeError
from reelbridge.games._evaluate import ScreenEvaluator
from reelbridge.games._kernel import LineKernel, build_kernel
from reelbridge.games._maths import RtpSplit, rtp_split
from reelbridge.games._model import GameDefinition
from reelbridge.games._results import Draw, Screen, SpinResult, Stops
from reelbridge.games._rng import Rng

if TYPE_CHECKING:
    from reelbridge.games._par import ParSheet


class Game:
    """One slot game: its definition, its play and its (lazily computed, cached) maths.

    Implements :class:`~reelbridge.games.SlotGame`, the interface every game offers.
    """

    def __init__(self, definition: GameDefinition) -> None:
        """Wrap ``definition``; building is cheap, the maths is computed on first use."""
        self.definition = definition
        self._evaluator = ScreenEvaluator(definition)
        self._lengths = tuple(len(strip) for strip in definition.strips)
        self._par: ParSheet | None = None

    def __repr__(self) -> str:
        return f"Game({self.game_id!r})"

    @property
    def game_id(self) -> str:
        """The protocol's ``game_id``."""
        return self.definition.game_id

    @property
    def name(self) -> str:
        """Display name."""
        return self.definition.name

    @property
    def rows(self) -> int:
        """Visible rows per reel."""
        return self.definition.rows

    @property
    def reels(self) -> tuple[tuple[str, ...], ...]:
        """The reel strips, as symbol names."""
        return self.definition.strips

    @property
    def lines(self) -> tuple[tuple[int, ...], ...]:
        """The paylines, each a row index per reel."""
        return self.definition.lines

    @property
    def stake_levels(self) -> tuple[int, ...]:
        """Allowed bets per line in money units; the protocol's ``bet_id`` indexes them."""
        return self.definition.stake_levels

    @cached_property
    def rtp_split(self) -> RtpSplit:
        """The exact RTP and its split into lines, scatter, feature and symbols."""
        return rtp_split(self.definition, self.kernel)

    @property
    def rtp(self) -> Fraction:
        """The exact return to player, as a fraction of the total stake."""
        return self.rtp_split.total

    def exact_rtp(self, bet_per_line: int) -> Fraction:
        """The exact RTP of a round at ``bet_per_line``: every pay is a multiple of the
        line bet (or of the total stake), so it is :attr:`rtp` at every stake level.

        Raises:
            InvalidStakeError: if ``bet_per_line`` is not one of the stake levels.
        """
        self.total_stake(bet_per_line)
        return self.rtp

    def client(self) -> dict[str, Any]:
        """The game as the built-in reel client draws it.

        ``symbols[i].pays`` is ``[[count, multiplier], ...]``: multiples of the bet per
        line for ``line`` and ``wild`` symbols, of the total stake for the ``scatter``.
        ``free_games`` is ``{"awards": [[scatters, games], ...], "multiplier": m}`` or
        ``None``.
        """
        definition = self.definition
        feature = definition.free_games
        return {
            "rows": definition.rows,
            "reels": definition.reel_count,
            "lines": [list(line) for line in definition.lines],
            "symbols": [
                {"name": s.name, "kind": s.kind.value, "pays": [list(p) for p in s.pays]}
                for s in definition.symbols
            ],
            "free_games": None
            if feature is None
            else {
                "awards": [list(award) for award in feature.awards],
                "multiplier": feature.multiplier,
            },
        }

    @cached_property
    def kernel(self) -> LineKernel:
        """The vectorised lookup tables used by the exact maths and the simulator."""
        return build_kernel(self.definition)

    def par_sheet(self, *, workers: int | None = None) -> ParSheet:
        """Return the PAR sheet, enumerating every screen on first call (then cached).

        Args:
            workers: threads for the enumeration; ``None`` uses every CPU.
        """
        if self._par is None:
            from reelbridge.games._par import compute_par_sheet

            self._par = compute_par_sheet(self, workers=workers)
        return self._par

    def bet_per_line(self, bet_id: int) -> int:
        """Return the bet per line that the protocol's ``bet_id`` selects.

        Raises:
            InvalidStakeError: if ``bet_id`` indexes no stake level.
        """
        if not 0 <= bet_id < len(self.stake_levels):
            raise InvalidStakeError(f"{self.game_id}: no stake level with bet_id {bet_id}")
        return self.stake_levels[bet_id]

    def total_stake(self, bet_per_line: int) -> int:
        """Return what a spin at ``bet_per_line`` costs: the line bet × the lines.

        Raises:
            InvalidStakeError: if ``bet_per_line`` is not one of the stake levels.
        """
        if bet_per_line not in self.stake_levels:
            raise InvalidStakeError(
                f"{self.game_id}: bet per line {bet_per_line} is not one of {self.stake_levels}"
            )
        return bet_per_line * len(self.lines)

    def draw(self, rng: Rng) -> Draw:
        """Draw the reel stops of a whole round: the base spin and every free game.

        Args:
            rng: the randomness source (``SecretsRng`` in production).

        Returns:
            ``draw[0]`` the base spin's stops, then one entry per free game, in order.
        """
        screens: list[Stops] = []
        pending = 1
        while pending:
            stops = tuple(rng.randbelow(length) for length in self._lengths)
            screens.append(stops)
            pending += self._evaluator.awards(stops) - 1
        return tuple(screens)

    def spin(self, bet_per_line: int, rng: Rng) -> SpinResult:
        """Play a round: draw it from ``rng``, then evaluate it.

        Raises:
            InvalidStakeError: if ``bet_per_line`` is not one of the stake levels.
        """
        self.total_stake(bet_per_line)
        return self.replay(bet_per_line, self.draw(rng))

    def replay(self, bet_per_line: int, draw: Sequence[Sequence[int]]) -> SpinResult:
        """Evaluate a stored draw; the same draw always gives the same result.

        Args:
            bet_per_line: the line bet in money units.
            draw: as returned by :meth:`draw` (lists from JSON are accepted).

        Raises:
            InvalidStakeError: if ``bet_per_line`` is not one of the stake levels.
            InvalidDrawError: if the draw has the wrong shape, a stop outside its strip,
                or not exactly as many free games as the round awards.
        """
        stake = self.total_stake(bet_per_line)
        screens = [self._checked_stops(index, stops) for index, stops in enumerate(draw)]
        if not screens:
            raise InvalidDrawError(f"{self.game_id}: an empty draw has no base spin")
        base = self._evaluator.evaluate(screens[0], bet_per_line=bet_per_line, multiplier=1)
        multiplier = (
            1 if self.definition.free_games is None else self.definition.free_games.multiplier
        )
        pending = base.free_games_awarded
        free_games: list[Screen] = []
        for stops in screens[1:]:
            if pending == 0:
                raise InvalidDrawError(f"{self.game_id}: the draw has more screens than awarded")
            game = self._evaluator.evaluate(stops, bet_per_line=bet_per_line, multiplier=multiplier)
            free_games.append(game)
            pending += game.free_games_awarded - 1
        if pending:
            raise InvalidDrawError(f"{self.game_id}: the draw lacks {pending} awarded free games")
        total = base.win + sum(game.win for game in free_games)
        return SpinResult(
            game_id=self.game_id,
            bet_per_line=bet_per_line,
            total_stake=stake,
            draw=tuple(screens),
            base=base,
            free_games=tuple(free_games),
            total_win=total,
        )

    def _checked_stops(self, index: int, stops: Sequence[int]) -> Stops:
        if len(stops) != len(self._lengths):
            raise InvalidDrawError(
                f"{self.game_id}: screen {index} needs {len(self._lengths)} stops"
            )
        for stop, length in zip(stops, self._lengths, strict=True):
            if type(stop) is not int or not 0 <= stop < length:
                raise InvalidDrawError(f"{self.game_id}: screen {index} has bad stop {stop!r}")
        return tuple(stops)
