"""A slot game as data: symbols, reel strips, paylines, paytable, stake levels.

Conventions every module of the package relies on:

* a reel *stop* is the index on the strip of the symbol shown in the top row; row ``r``
  of a reel stopped at ``s`` shows ``strip[(s + r) % len(strip)]``;
* a payline gives, for each reel from left to right, the row it passes through;
* line pays and wild pays are integer multiples of the bet per line; scatter pays are
  integer multiples of the total stake (bet per line × number of lines), so every win is
  an exact integer of money units;
* a line pays its symbol for the run of that symbol (or wild) starting on the leftmost
  reel; a wild pays its own run too, and a line pays only the larger of the two;
  a scatter interrupts a line and pays anywhere on the screen.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from reelbridge.games._errors import GameDefinitionError

Pays = tuple[tuple[int, int], ...]
"""``((count, multiplier), ...)``: what a run of ``count`` symbols pays."""


class SymbolKind(enum.Enum):
    """How a symbol takes part in the pay evaluation."""

    LINE = "line"
    WILD = "wild"
    SCATTER = "scatter"


@dataclass(frozen=True, slots=True)
class Symbol:
    """One symbol of a game and what it pays.

    Attributes:
        name: the symbol's id, as written on the reel strips and sent to clients.
        pays: ``(count, multiplier)`` pairs; line bets for line and wild symbols,
            total stakes for the scatter.
        kind: line symbol, wild or scatter.
    """

    name: str
    pays: Pays = ()
    kind: SymbolKind = SymbolKind.LINE

    def pay(self, count: int) -> int:
        """Return the multiplier a run (or scatter count) of ``count`` pays, 0 if none."""
        for run, multiplier in self.pays:
            if run == count:
                return multiplier
        return 0


@dataclass(frozen=True, slots=True)
class FreeGamesRule:
    """The free-games feature triggered by scatters.

    Attributes:
        awards: ``(scatter count, free games)`` pairs; the same table applies during
            free games, so the feature is retriggerable without limit.
        multiplier: every win of a free game (lines and scatter) is multiplied by it.
    """

    awards: tuple[tuple[int, int], ...]
    multiplier: int = 1

    def games_for(self, scatters: int) -> int:
        """Return the free games awarded for ``scatters`` scatter symbols on screen."""
        for count, games in self.awards:
            if count == scatters:
                return games
        return 0


@dataclass(frozen=True, slots=True)
class GameDefinition:
    """Everything that defines a game's maths; validated on construction.

    Attributes:
        game_id: the protocol's ``game_id``.
        name: display name.
        rows: visible rows per reel.
        symbols: every symbol the strips use.
        strips: one strip of symbol names per reel.
        lines: the paylines, each a row index per reel.
        stake_levels: bet-per-line values in money units; ``bet_id`` indexes them.
        free_games: the scatter feature, or ``None`` for a game without one.
    """

    game_id: str
    name: str
    rows: int
    symbols: tuple[Symbol, ...]
    strips: tuple[tuple[str, ...], ...]
    lines: tuple[tuple[int, ...], ...]
    stake_levels: tuple[int, ...]
    free_games: FreeGamesRule | None = None
    _index: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {s.name: i for i, s in enumerate(self.symbols)})
        _validate(self)

    @property
    def reel_count(self) -> int:
        """Number of reels."""
        return len(self.strips)

    def ids_of(self, kind: SymbolKind) -> tuple[int, ...]:
        """Return the positions in ``symbols`` of every symbol of ``kind``."""
        return tuple(i for i, s in enumerate(self.symbols) if s.kind is kind)

    @property
    def wild(self) -> int | None:
        """The wild's symbol id, or ``None``."""
        ids = self.ids_of(SymbolKind.WILD)
        return ids[0] if ids else None

    @property
    def scatter(self) -> int | None:
        """The scatter's symbol id, or ``None``."""
        ids = self.ids_of(SymbolKind.SCATTER)
        return ids[0] if ids else None

    def strip_ids(self) -> tuple[tuple[int, ...], ...]:
        """Return the strips as symbol ids."""
        return tuple(tuple(self._index[name] for name in strip) for strip in self.strips)


def _validate(game: GameDefinition) -> None:
    def fail(why: str) -> GameDefinitionError:
        return GameDefinitionError(f"game {game.game_id!r}: {why}")

    reels = len(game.strips)
    if reels < 1 or game.rows < 1:
        raise fail("needs at least one reel and one row")
    if len(game._index) != len(game.symbols):
        raise fail("symbol names must be unique")
    for strip in game.strips:
        if len(strip) < game.rows:
            raise fail("a strip is shorter than the window")
        unknown = set(strip) - game._index.keys()
        if unknown:
            raise fail(f"strip uses unknown symbols {sorted(unknown)}")
    if not game.lines:
        raise fail("needs at least one payline")
    for line in game.lines:
        if len(line) != reels or any(not 0 <= row < game.rows for row in line):
            raise fail(f"payline {line} does not fit {reels} reels × {game.rows} rows")
    if len(set(game.lines)) != len(game.lines):
        raise fail("paylines must be distinct")
    if not game.stake_levels or any(level <= 0 for level in game.stake_levels):
        raise fail("stake levels must be positive integers")
    if list(game.stake_levels) != sorted(set(game.stake_levels)):
        raise fail("stake levels must be strictly increasing")
    for kind in (SymbolKind.WILD, SymbolKind.SCATTER):
        if len(game.ids_of(kind)) > 1:
            raise fail(f"at most one {kind.value} symbol")
    for symbol in game.symbols:
        for count, multiplier in symbol.pays:
            if not 1 <= count <= reels * game.rows or multiplier < 0:
                raise fail(f"{symbol.name} pays {multiplier} for an impossible {count}")
    if game.free_games is not None:
        if game.scatter is None:
            raise fail("free games need a scatter symbol")
        if game.free_games.multiplier < 1:
            raise fail("the free-games multiplier must be at least 1")
        if any(games < 0 for _, games in game.free_games.awards):
            raise fail("free-game awards must not be negative")
