"""Measure the slot simulator's speed (rounds per second) for every game.

Usage::

    python bench/bench_rtp.py [--spins N] [--workers W] [--repeat R]

Each game is warmed up (its lookup tables built) before timing; the best of ``R`` runs
is reported, with its ratio to the target of 10 million spins per second (set for the
5×3 game on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

try:
    from reelbridge.games import Game, all_games, simulate
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from reelbridge.games import Game, all_games, simulate

TARGET = 10_000_000
"""Spins per second the 5×3 game should reach on 2 cores."""


def main() -> None:
    """Run the benchmark and print one line per game."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spins", type=int, default=20_000_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    workers = args.workers or os.cpu_count() or 1
    print(f"simulation speed, {args.spins:,} spins, {workers} thread(s), best of {args.repeat}")
    print(f"{'game':<16}{'spins/s':>16}{'vs 10M/s target':>18}{'RTP':>12}")
    for game in all_games():
        if not isinstance(game, Game):
            continue  # a plug-in game: the vectorised simulator needs the built-in engine
        simulate(game, 100_000, seed=0, workers=workers)  # warm-up: builds the tables
        best = float("inf")
        rtp = 0.0
        for run in range(args.repeat):
            started = time.perf_counter()
            result = simulate(game, args.spins, seed=run, workers=workers)
            best = min(best, time.perf_counter() - started)
            rtp = result.rtp
        rate = args.spins / best
        print(f"{game.game_id:<16}{rate:>16,.0f}{rate / TARGET:>17.2f}x{rtp:>12.4%}")


if __name__ == "__main__":
    main()
