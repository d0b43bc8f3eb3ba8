"""Book of Reels: a 5×3 video slot with 20 lines, a wild and a retriggerable feature.

Pays (multiples of the bet per line, left to right on a line)::

    symbol    2     3     4     5
    10 J Q    -     5    25   100
    K A       -     5    40   150
    SCARAB    -    30   100   750
    ANKH      -    30   100   750
    FALCON    5    40   400  2000
    PHARAOH  10   100  1000  5000
    WILD     10   100  1000  5000   substitutes for every symbol but BOOK

BOOK is the scatter: 3, 4 or 5 anywhere pay 2, 20 or 200 times the total stake and
award 10 free games, played on the same reels with every win tripled; BOOKs in free
games award 10 more (without limit: ``E[awards] < 1`` keeps the feature finite).
Strips are stacked in places (runs of 2–3 low symbols), which brings the hit frequency
to about 37 % for the same RTP.
"""

from __future__ import annotations

from fractions import Fraction

from reelbridge.games._model import FreeGamesRule, GameDefinition, Symbol, SymbolKind

RTP = Fraction("4793809394047/4990636643256")
"""The exact RTP, ≈ 96.0561 %: by counting, confirmed by enumerating all 41 543 172
screens (``reelbridge rtp book-of-reels``)."""


def _strip(text: str) -> tuple[str, ...]:
    return tuple(text.split())


BOOK_OF_REELS = GameDefinition(
    game_id="book-of-reels",
    name="Book of Reels",
    rows=3,
    symbols=(
        Symbol("10", ((3, 5), (4, 25), (5, 100))),
        Symbol("J", ((3, 5), (4, 25), (5, 100))),
        Symbol("Q", ((3, 5), (4, 25), (5, 100))),
        Symbol("K", ((3, 5), (4, 40), (5, 150))),
        Symbol("A", ((3, 5), (4, 40), (5, 150))),
        Symbol("SCARAB", ((3, 30), (4, 100), (5, 750))),
        Symbol("ANKH", ((3, 30), (4, 100), (5, 750))),
        Symbol("FALCON", ((2, 5), (3, 40), (4, 400), (5, 2000))),
        Symbol("PHARAOH", ((2, 10), (3, 100), (4, 1000), (5, 5000))),
        Symbol("WILD", ((2, 10), (3, 100), (4, 1000), (5, 5000)), SymbolKind.WILD),
        Symbol("BOOK", ((3, 2), (4, 20), (5, 200)), SymbolKind.SCATTER),
    ),
    strips=(
        _strip(
            "10 A A K Q A FALCON SCARAB J PHARAOH ANKH Q Q K Q 10 10 10 FALCON J J J BOOK"
            " Q WILD 10 10 K K J A SCARAB ANKH"
        ),
        _strip(
            "10 10 WILD J Q FALCON SCARAB BOOK WILD FALCON 10 J J J ANKH Q A K 10 J K K"
            " Q Q Q ANKH A PHARAOH 10 SCARAB K J A A"
        ),
        _strip(
            "SCARAB ANKH A PHARAOH A A A WILD J Q Q Q K K SCARAB Q J J ANKH Q Q J FALCON"
            " BOOK FALCON J 10 10 10 WILD 10 10 K K"
        ),
        _strip(
            "Q J 10 Q 10 Q A J J PHARAOH K SCARAB J SCARAB ANKH FALCON Q Q A 10 FALCON K K"
            " WILD ANKH K BOOK A A J 10 10 10"
        ),
        _strip(
            "10 J FALCON K Q Q Q 10 SCARAB J WILD BOOK Q 10 10 10 J J J FALCON K K K ANKH"
            " SCARAB Q A ANKH J A A A PHARAOH"
        ),
    ),
    lines=(
        (1, 1, 1, 1, 1),
        (0, 0, 0, 0, 0),
        (2, 2, 2, 2, 2),
        (0, 1, 2, 1, 0),
        (2, 1, 0, 1, 2),
        (1, 0, 0, 0, 1),
        (1, 2, 2, 2, 1),
        (0, 0, 1, 2, 2),
        (2, 2, 1, 0, 0),
        (1, 2, 1, 0, 1),
        (1, 0, 1, 2, 1),
        (0, 1, 1, 1, 0),
        (2, 1, 1, 1, 2),
        (0, 1, 0, 1, 0),
        (2, 1, 2, 1, 2),
        (1, 1, 0, 1, 1),
        (1, 1, 2, 1, 1),
        (0, 0, 2, 0, 0),
        (2, 2, 0, 2, 2),
        (0, 2, 2, 2, 0),
    ),
    # Bet per line in 1/10000 units: 0.01 … 1.00, i.e. 0.20 … 20.00 total stake.
    stake_levels=(100, 200, 500, 1000, 2000, 5000, 10000),
    free_games=FreeGamesRule(awards=((3, 10), (4, 10), (5, 10)), multiplier=3),
)
