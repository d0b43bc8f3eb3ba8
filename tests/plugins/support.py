"""Game plug-ins for tests: the Lucky Clover example, installed for real, and fake ones.

The fixtures (in ``tests/conftest.py``, so every test folder has them):

* ``lucky_clover_install`` (session): ``examples/lucky-clover`` built with the venv's own
  setuptools and installed with pip into a temporary directory, once per session
  (offline: ``--no-build-isolation --no-deps --no-index``). It does not touch
  ``sys.path``: ``.path`` is that directory, ``.env`` an environment whose
  ``PYTHONPATH`` starts with it, for processes started by the test (a provider server,
  ``reelbridge games``) — e.g. ``subprocess.Popen([...], env=lucky_clover_install.env)``.
* ``lucky_clover`` (function): the same, also active in the test process for the test —
  on ``sys.path`` with the discovery cache refreshed, so ``get_game("lucky-clover")``
  works — and gone afterwards, so tests that do not ask for it never see the plug-in.

A fixture of a wider scope that needs the plug-in in-process (a module-scoped server
running in a thread) depends on ``lucky_clover_install`` and wraps its body in
``with plugins_on_path(lucky_clover_install.path): ...``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reelbridge.games import GameCatalogue, installed_games

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "lucky-clover"


@dataclass(frozen=True)
class PluginInstall:
    """A directory holding installed distributions, and an environment that sees it."""

    path: Path
    env: dict[str, str]


def environment_with(path: Path) -> dict[str, str]:
    """This process's environment with ``path`` first on ``PYTHONPATH``."""
    existing = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(path), existing) if p)}


def install_example(example: Path, target: Path) -> PluginInstall:
    """Build and install the project ``example`` into ``target`` with pip, offline.

    The project is copied first, so that the build (in-tree since pip 21.3) leaves no
    ``build/`` or ``*.egg-info`` behind in the checkout.
    """
    source = target.parent / f"{example.name}-source"
    shutil.copytree(
        example, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    )
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-build-isolation",
        "--no-deps",
        "--no-index",
        "--target",
        str(target),
        str(source),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=180)
    if result.returncode != 0:
        raise RuntimeError(f"pip could not install {example}:\n{result.stdout}{result.stderr}")
    return PluginInstall(path=target, env=environment_with(target))


@contextmanager
def plugins_on_path(*paths: Path) -> Iterator[GameCatalogue]:
    """Put ``paths`` first on ``sys.path`` and rediscover the games; undo it on exit.

    Modules of the packages in ``paths`` are dropped from ``sys.modules`` on entry and
    on exit, so that the copies in ``paths`` are the ones imported inside (even when the
    same package is also installed in the environment, e.g. ``pip install -e``), and
    none of them survives outside.

    Yields:
        The catalogue as discovered with ``paths`` on ``sys.path``.
    """
    entries = [str(path) for path in paths]
    packages = {
        child.name.removesuffix(".py")
        for path in paths
        for child in path.iterdir()
        if child.suffix == ".py" or (child / "__init__.py").is_file()
    }
    _forget(packages)
    sys.path[:0] = entries
    try:
        yield installed_games(refresh=True)
    finally:
        for entry in entries:
            sys.path.remove(entry)
        _forget(packages)
        installed_games(refresh=True)


def _forget(packages: set[str]) -> None:
    for name in list(sys.modules):
        if name.partition(".")[0] in packages:
            del sys.modules[name]


def write_distribution(
    root: Path,
    name: str,
    *,
    entry_points: Mapping[str, str],
    modules: Mapping[str, str],
    version: str = "1.0",
) -> None:
    """Write a minimal installed distribution into ``root``: what importlib.metadata reads.

    Args:
        root: a directory that will be put on ``sys.path``.
        name: the distribution name.
        entry_points: ``{entry point name: "module:attribute"}`` in ``reelbridge.games``.
        modules: ``{module name: source}``, written as ``root/<module>.py``.
        version: the distribution's version.
    """
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[reelbridge.games]\n{lines}")
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))


TINY_GAME = '''
from fractions import Fraction

class TinyGame:
    """A valid one-reel SlotGame; the keyword arguments break it on purpose."""

    def __init__(self, game_id="tiny", stake_levels=(10, 20), rtp=Fraction(9, 10),
                 layout=None):
        self._id, self._levels, self._rtp = game_id, stake_levels, rtp
        self._layout = layout or {
            "rows": 1, "reels": 1, "lines": [[0]],
            "symbols": [{"name": "SEVEN", "kind": "line", "pays": [[1, 2]]}],
            "free_games": None,
        }

    game_id = property(lambda self: self._id)
    name = property(lambda self: "Tiny " + str(self._id))
    stake_levels = property(lambda self: self._levels)

    def total_stake(self, bet_per_line):
        if bet_per_line not in self._levels:
            raise ValueError("not a stake level")
        return bet_per_line

    def draw(self, rng):
        return [rng.randbelow(2)]

    def replay(self, bet_per_line, draw):
        return TinyOutcome(bet_per_line * 2 * draw[0])

    def exact_rtp(self, bet_per_line):
        if callable(self._rtp):
            return self._rtp(bet_per_line)
        return self._rtp

    def client(self):
        return self._layout


class TinyOutcome:
    def __init__(self, win):
        self.total_win = win

    def to_json(self):
        grid = [["SEVEN"]]
        return {"base": {"grid": grid, "line_wins": [], "win": self.total_win},
                "free_games": [], "total_win": self.total_win}
'''
"""A module defining ``TinyGame``, a minimal valid game that fake plug-ins build on."""
