"""Classic 7s: a 3×3 fruit machine with 5 lines and no feature.

Pays (multiples of the bet per line, left to right on a line)::

    symbol    2     3
    CHERRY    3    20
    LEMON     -    25
    ORANGE    -    25
    PLUM      -    30
    BELL      -    60
    BAR       -   120
    SEVEN     -   500

Lines: the three rows and the two diagonals.
"""

from __future__ import annotations

from fractions import Fraction

from reelbridge.games._model import GameDefinition, Symbol

RTP = Fraction("1381/1440")
"""The exact RTP, ≈ 95.9028 %: by counting, confirmed by enumerating all 14 400 screens
(``reelbridge rtp classic-7s``)."""


def _strip(text: str) -> tuple[str, ...]:
    return tuple(text.split())


CLASSIC_7S = GameDefinition(
    game_id="classic-7s",
    name="Classic 7s",
    rows=3,
    symbols=(
        Symbol("CHERRY", ((2, 3), (3, 20))),
        Symbol("LEMON", ((3, 25),)),
        Symbol("ORANGE", ((3, 25),)),
        Symbol("PLUM", ((3, 30),)),
        Symbol("BELL", ((3, 60),)),
        Symbol("BAR", ((3, 120),)),
        Symbol("SEVEN", ((3, 500),)),
    ),
    strips=(
        _strip(
            "PLUM CHERRY LEMON PLUM BAR ORANGE LEMON BELL LEMON CHERRY LEMON BELL ORANGE"
            " CHERRY ORANGE CHERRY LEMON SEVEN BAR ORANGE PLUM ORANGE PLUM BELL"
        ),
        _strip(
            "LEMON CHERRY ORANGE BELL SEVEN ORANGE PLUM ORANGE PLUM BELL LEMON CHERRY LEMON"
            " ORANGE LEMON BAR BELL CHERRY BAR PLUM LEMON ORANGE CHERRY PLUM"
        ),
        _strip(
            "BAR ORANGE PLUM CHERRY LEMON CHERRY PLUM ORANGE CHERRY BELL CHERRY ORANGE BAR"
            " ORANGE PLUM BELL SEVEN LEMON BELL LEMON CHERRY LEMON ORANGE PLUM LEMON"
        ),
    ),
    lines=((1, 1, 1), (0, 0, 0), (2, 2, 2), (0, 1, 2), (2, 1, 0)),
    # Bet per line in 1/10000 units: 0.10 … 5.00, i.e. 0.50 … 25.00 total stake.
    stake_levels=(1000, 2000, 5000, 10000, 20000, 50000),
)
