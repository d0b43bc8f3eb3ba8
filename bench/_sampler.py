"""A CPU sampling profiler for a server process, from the standard library alone.

    python bench/_sampler.py OUT.json -m reelbridge provider serve --port 8001 …

Runs the module like ``python -m`` would, with a ``SIGPROF`` timer that fires every
millisecond of CPU time the process uses (all threads); each tick records the Python
stack of the main thread (the event loop) at that moment. On exit (SIGINT, or the
module returning) it writes ``OUT.json``: samples by innermost function (``self``) and
by every function on the stack (``total``), with the file of each, and whole stacks
(``stacks``, outermost first, ``;``-separated: the folded format of flame graphs).
``SIGUSR1`` starts
the counts afresh and ``SIGUSR2`` stops counting, so a benchmark can keep only its
measured window.

Why not cProfile: it charges ``await`` chains to the wrong frames in asyncio code (a
connection pool's ``connect_tcp`` came out at 50 % of the provider's time while it
connected 16 times in the whole run). Sampling CPU time has no such bias; C calls
(SQLite, sockets, hashing) are charged to the Python function that made them. The
handler runs at the next bytecode, so time spent inside uvloop's C loop lands on the
first Python frame that runs after it (shown as the loop's callbacks).
"""

from __future__ import annotations

import json
import runpy
import signal
import sys
from collections import Counter
from pathlib import Path
from types import FrameType

INTERVAL = 0.001  # float ok: seconds of CPU time between samples


def _where(frame: FrameType) -> str:
    code = frame.f_code
    return f"{code.co_filename}:{code.co_name}"


def main() -> None:
    """Profile ``python -m MODULE ARGS`` into the JSON file named first."""
    out = Path(sys.argv[1])
    if sys.argv[2] != "-m":
        raise SystemExit("usage: _sampler.py OUT.json -m MODULE [ARGS…]")
    module = sys.argv[3]
    sys.argv = [module, *sys.argv[4:]]
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    stacks: Counter[str] = Counter()
    samples = 0
    counting = True

    def tick(signum: int, frame: FrameType | None) -> None:
        nonlocal samples
        if not counting:
            return
        samples += 1
        if frame is None:
            return
        own[_where(frame)] += 1
        seen = set()
        stack = []
        while frame is not None:
            where = _where(frame)
            stack.append(where.rsplit("/", 1)[-1])
            if where not in seen:
                seen.add(where)
                total[where] += 1
            frame = frame.f_back
        stacks[";".join(reversed(stack))] += 1

    def restart(signum: int, frame: FrameType | None) -> None:
        nonlocal samples, counting
        own.clear()
        total.clear()
        stacks.clear()
        samples, counting = 0, True

    def freeze(signum: int, frame: FrameType | None) -> None:
        nonlocal counting
        counting = False

    signal.signal(signal.SIGUSR1, restart)
    signal.signal(signal.SIGUSR2, freeze)
    signal.signal(signal.SIGPROF, tick)
    signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        out.write_text(
            json.dumps(
                {
                    "interval_s": INTERVAL,
                    "samples": samples,
                    "self": own.most_common(),
                    "total": total.most_common(300),
                    "stacks": stacks.most_common(2000),
                }
            )
        )


if __name__ == "__main__":
    main()
