"""The reference pay evaluation of one screen, in plain Python.

This is the evaluation a player's round is paid by. The vectorised kernel
(``_kernel.py``) used for exact enumeration and simulation is written independently and
must agree with this one spin by spin (a unit test holds them together).
"""

from __future__ import annotations

from reelbridge.games._model import GameDefinition
from reelbridge.games._results import LineWin, ScatterWin, Screen, Stops


class ScreenEvaluator:
    """Evaluates screens of one game; holds the definition in lookup-friendly form."""

    __slots__ = (
        "_awards",
        "_lines",
        "_names",
        "_pays",
        "_scatter",
        "_scatter_rows",
        "_wild",
        "_window_names",
        "_windows",
    )

    def __init__(self, game: GameDefinition) -> None:
        """Prepare the lookups for ``game``."""
        rows = range(game.rows)
        # What each reel shows at each stop: symbol ids, names, rows holding a scatter.
        self._windows = tuple(
            tuple(
                tuple(strip[(stop + row) % len(strip)] for row in rows)
                for stop in range(len(strip))
            )
            for strip in game.strip_ids()
        )
        self._names = tuple(s.name for s in game.symbols)
        self._window_names = tuple(
            tuple(tuple(self._names[s] for s in window) for window in reel)
            for reel in self._windows
        )
        self._scatter = game.scatter
        self._scatter_rows = tuple(
            tuple(tuple(row for row in rows if window[row] == game.scatter) for window in reel)
            for reel in self._windows
        )
        self._lines = game.lines
        most = game.reel_count * game.rows
        self._pays = tuple(tuple(s.pay(n) for n in range(most + 1)) for s in game.symbols)
        self._wild = game.wild
        rule = game.free_games
        self._awards = tuple(0 if rule is None else rule.games_for(n) for n in range(most + 1))

    def awards(self, stops: Stops) -> int:
        """Return the free games the screen at ``stops`` awards."""
        shown = sum(len(reel[stop]) for reel, stop in zip(self._scatter_rows, stops, strict=True))
        return self._awards[shown]

    def evaluate(self, stops: Stops, *, bet_per_line: int, multiplier: int) -> Screen:
        """Evaluate the screen shown at ``stops``.

        Args:
            stops: a valid stop index per reel (the caller checks the range).
            bet_per_line: the line bet in money units.
            multiplier: applied to every win (1 in the base game).

        Returns:
            The screen with its grid, line wins, scatter result, awards and win.
        """
        grid = tuple(reel[stop] for reel, stop in zip(self._windows, stops, strict=True))
        unit = bet_per_line * multiplier
        line_wins = []
        for index, line in enumerate(self._lines):
            won = self._line_win([column[row] for column, row in zip(grid, line, strict=True)])
            if won is not None:
                symbol, count, pay = won
                cells = tuple((reel, line[reel]) for reel in range(count))
                line_wins.append(LineWin(index, self._names[symbol], count, cells, pay * unit))
        scatter = None
        awarded = 0
        if self._scatter is not None:
            cells = tuple(
                (reel, row)
                for reel, stop in enumerate(stops)
                for row in self._scatter_rows[reel][stop]
            )
            # Scatter pays are multiples of the total stake (see _model).
            amount = self._pays[self._scatter][len(cells)] * len(self._lines) * unit
            scatter = ScatterWin(self._names[self._scatter], len(cells), cells, amount)
            awarded = self._awards[len(cells)]
        win = sum(w.amount for w in line_wins) + (0 if scatter is None else scatter.amount)
        return Screen(
            stops=tuple(stops),
            grid=tuple(reel[stop] for reel, stop in zip(self._window_names, stops, strict=True)),
            line_wins=tuple(line_wins),
            scatter=scatter,
            multiplier=multiplier,
            free_games_awarded=awarded,
            win=win,
        )

    def _line_win(self, symbols: list[int]) -> tuple[int, int, int] | None:
        """Return ``(symbol, count, multiplier)`` a line showing ``symbols`` pays, or None."""
        wild = self._wild
        wild_run = 0
        while wild_run < len(symbols) and symbols[wild_run] == wild:
            wild_run += 1
        wild_pay = 0 if wild is None else self._pays[wild][wild_run]
        symbol_pay = count = 0
        first = -1
        if wild_run < len(symbols) and symbols[wild_run] != self._scatter:
            first = symbols[wild_run]
            count = wild_run + 1
            while count < len(symbols) and symbols[count] in (first, wild):
                count += 1
            symbol_pay = self._pays[first][count]
        # The line pays the better of the symbol run and the leading wild run; on a tie
        # the symbol is named, since its run is the longer one.
        if symbol_pay > 0 and symbol_pay >= wild_pay:
            return first, count, symbol_pay
        if wild is not None and wild_pay > 0:
            return wild, wild_run, wild_pay
        return None
