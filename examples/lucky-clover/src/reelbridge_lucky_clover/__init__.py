"""Lucky Clover, an example game plug-in for reelbridge.

reelbridge finds it through the entry point this distribution declares::

    [project.entry-points."reelbridge.games"]
    lucky-clover = "reelbridge_lucky_clover:GAME"
"""

from reelbridge_lucky_clover.game import RTP, CloverOutcome, LineWin, LuckyClover, enumerate_rtp

GAME = LuckyClover()
"""The game instance the entry point loads."""

__all__ = ["GAME", "RTP", "CloverOutcome", "LineWin", "LuckyClover", "enumerate_rtp"]
