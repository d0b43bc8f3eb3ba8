"""Slot-game maths: games as data, a replayable engine, exact PAR sheets, simulation.

A round is drawn from an :class:`Rng` (:class:`SecretsRng` in production) and evaluated
by :meth:`Game.replay`; storing ``SpinResult.draw`` is enough to replay it exactly.
Every win is an integer number of money units (1/10000 of the currency). The exact RTP
(:attr:`Game.rtp`, a ``Fraction``) comes from counting, the PAR sheet
(:meth:`Game.par_sheet`) from enumerating every screen, and :func:`simulate` checks both.

Progressive jackpots (PROTOCOL.md B18) are pure maths here too: a :class:`JackpotPlan`
draws a round's hit with a chance proportional to its stake, :func:`feed` and :func:`hit`
keep a :class:`PoolState` exact, :func:`rtp_by_stake` gives base + jackpot per stake
level of any :class:`SlotGame`, and :func:`simulate_jackpots` checks it by simulation.
Games are found by :func:`installed_games`: the built-in ones and every valid plug-in
of the entry-point group ``reelbridge.games`` (any :class:`SlotGame`; see ``_plugins``),
discovered on first use. :func:`get_game` and :func:`all_games` include the plug-ins;
:func:`validate_game` is the check every plug-in passes.

The ``rtp`` command lives in :mod:`reelbridge.games.cli` (``rtp_command``), so importing
this package does not import click or rich.
"""

from reelbridge.games._default_jackpots import DEFAULT_JACKPOTS
from reelbridge.games._engine import Game
from reelbridge.games._errors import (
    GameDefinitionError,
    GamesError,
    InvalidDrawError,
    InvalidStakeError,
    JackpotError,
    UnknownGameError,
)
from reelbridge.games._interface import Outcome, SlotGame
from reelbridge.games._jackpot import (
    JackpotLevel,
    JackpotPlan,
    PoolState,
    StakeRtp,
    check_fair,
    feed,
    hit,
    rtp_by_stake,
)
from reelbridge.games._jackpot_sim import JackpotSimulation, LevelSimulation, simulate_jackpots
from reelbridge.games._maths import RtpSplit
from reelbridge.games._model import FreeGamesRule, GameDefinition, Symbol, SymbolKind
from reelbridge.games._par import ParSheet
from reelbridge.games._plugins import (
    BrokenPlugin,
    GameCatalogue,
    GameSource,
    InstalledGame,
    all_games,
    get_game,
    installed_games,
)
from reelbridge.games._results import Draw, LineWin, ScatterWin, Screen, SpinResult, Stops
from reelbridge.games._rng import Rng, index_from_bytes
from reelbridge.games._rng_secrets import SecretsRng
from reelbridge.games._rng_seeded import SeededRng
from reelbridge.games._simulate import SimulationResult, evaluate_draws, simulate
from reelbridge.games._simulate_generic import GameSimulation, simulate_game
from reelbridge.games._stats import chi_square_critical, chi_square_uniform, normal_interval
from reelbridge.games._validate import validate_game

__all__ = [
    "DEFAULT_JACKPOTS",
    "BrokenPlugin",
    "Draw",
    "FreeGamesRule",
    "Game",
    "GameCatalogue",
    "GameDefinition",
    "GameDefinitionError",
    "GameSimulation",
    "GameSource",
    "GamesError",
    "InstalledGame",
    "InvalidDrawError",
    "InvalidStakeError",
    "JackpotError",
    "JackpotLevel",
    "JackpotPlan",
    "JackpotSimulation",
    "LevelSimulation",
    "LineWin",
    "Outcome",
    "ParSheet",
    "PoolState",
    "Rng",
    "RtpSplit",
    "ScatterWin",
    "Screen",
    "SecretsRng",
    "SeededRng",
    "SimulationResult",
    "SlotGame",
    "SpinResult",
    "StakeRtp",
    "Stops",
    "Symbol",
    "SymbolKind",
    "UnknownGameError",
    "all_games",
    "check_fair",
    "chi_square_critical",
    "chi_square_uniform",
    "evaluate_draws",
    "feed",
    "get_game",
    "hit",
    "index_from_bytes",
    "installed_games",
    "normal_interval",
    "rtp_by_stake",
    "simulate",
    "simulate_game",
    "simulate_jackpots",
    "validate_game",
]
