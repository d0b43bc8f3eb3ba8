"""Remote games in the catalogue: what a registered engine offers, kept live.

``RemoteGames`` loads the engines and their games (``engines.py``) into the provider's
``Catalog`` beside the built-in and plug-in games, so that the aggregator launches them,
creates freespin campaigns for them and reads their jackpots like any game; only the
launch URL differs (``launch_url``: the engine's template with the launch token).

How a registration becomes live: through this process's admin API, at once
(``register`` reloads); in every other provider process on the same database within
``ttl_seconds`` (each launch, freespin creation and engine call first runs ``sync``,
which reloads when the copy is older than that). A restart is never needed.

A remote game may not take the id of a built-in or plug-in game (``reserved``: the ids
in the catalogue when the registry was built) nor another engine's; its stakes must
suit the jackpot plan, because its real rounds take part in the jackpots like any
other (B18); a declared RTP plus the jackpot's must stay below 100 %.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from reelbridge.games import GamesError, InvalidStakeError, JackpotError, JackpotPlan, Rng
from reelbridge.protocol import format_amount
from reelbridge.provider import engines
from reelbridge.provider.catalog import Catalog, percent
from reelbridge.provider.engines import EngineGameRow, EngineRow, EngineSpec
from reelbridge.provider.errors import BadEngine, GameIdTaken
from reelbridge.storage import Engine
from reelbridge.storage.audit import fingerprint

log = logging.getLogger("reelbridge.provider.engines")
_RTP = re.compile(r"[0-9]{1,18}/[1-9][0-9]{0,17}|[0-9]{1,18}(?:\.[0-9]{1,18})?|\.[0-9]{1,18}")
TOKEN_MARK = "{token}"  # noqa: S105 (the placeholder of a launch URL, not a secret)


class PlayedByEngine(GamesError):
    """A remote game's maths runs in its engine, never here."""


@dataclass(frozen=True)
class RemoteGame:
    """A game a remote engine plays (the ``SlotGame`` the catalogue holds for it)."""

    game_id: str
    name: str
    stake_levels: tuple[int, ...]
    lines: int
    engine_id: str
    launch_url: str
    rtp: Fraction | None = None

    def total_stake(self, bet_per_line: int) -> int:
        """Bet per line × lines.

        Raises:
            InvalidStakeError: not one of the stake levels.
        """
        if bet_per_line not in self.stake_levels:
            raise InvalidStakeError(f"{self.game_id}: {bet_per_line} is not a stake level")
        return bet_per_line * self.lines

    def draw(self, rng: Rng) -> Any:
        """Never: the engine draws its own outcomes."""
        raise PlayedByEngine(f"{self.game_id} is played by engine {self.engine_id}")

    def replay(self, bet_per_line: int, draw: Any) -> Any:
        """Never: the engine's maths is its own."""
        raise PlayedByEngine(f"{self.game_id} is played by engine {self.engine_id}")

    def exact_rtp(self, bet_per_line: int) -> Fraction | None:
        """The RTP the engine declares (the same at every stake), or None."""
        return self.rtp

    def client(self) -> dict[str, Any]:
        """The engine has its own client; nothing for the built-in one."""
        return {"remote": True, "engine_id": self.engine_id}


def parse_rtp(text: str) -> Fraction:
    """A declared RTP: an exact fraction ``"p/q"`` or a decimal (``"0.9612"``) of the
    stake, above 0 and at most 1.

    Raises:
        BadEngine: any other text.
    """
    if _RTP.fullmatch(text) is None:
        raise BadEngine(f"rtp {text[:40]!r}: give a fraction 'p/q' or a decimal like '0.96'")
    rtp = Fraction(text)
    if not 0 < rtp <= 1:
        raise BadEngine(f"rtp {text[:40]!r} must be above 0 and at most 1")
    return rtp


def check_spec(spec: EngineSpec, *, reserved: Iterable[str], plan: JackpotPlan | None) -> None:
    """Refuse a registration that can't be served (before anything is written).

    Raises:
        GameIdTaken: a game id of a built-in or plug-in game.
        BadEngine: no ``{token}`` in the launch URL, two games with one id, stake levels
            not strictly increasing, a stake the jackpot plan can't serve, or a
            declared RTP that reaches 100 % with the jackpot's.
    """
    if TOKEN_MARK not in spec.launch_url:
        raise BadEngine("launch_url must contain {token} (replaced by the launch token)")
    taken = sorted({g.game_id for g in spec.games} & set(reserved))
    if taken:
        raise GameIdTaken(f"game_id {taken[0]!r} is a built-in or plug-in game's id")
    ids = [g.game_id for g in spec.games]
    if len(set(ids)) != len(ids):
        raise BadEngine("two games share one game_id")
    for g in spec.games:
        levels = g.stake_levels
        if any(b <= 0 for b in levels) or list(levels) != sorted(set(levels)):
            raise BadEngine(f"{g.game_id}: stake levels must be positive and increasing")
        if plan is not None:
            try:
                plan.validate_for(b * g.lines for b in levels)
            except JackpotError as exc:
                raise BadEngine(f"{g.game_id}: the jackpot plan can't serve it: {exc}") from None
        if g.rtp is not None and plan is not None and parse_rtp(g.rtp) + plan.rtp() >= 1:
            raise BadEngine(f"{g.game_id}: the declared RTP plus the jackpot's reaches 100 %")


@dataclass(frozen=True)
class EngineRecord:
    """An engine as the engine API sees it."""

    engine_id: str
    tokens: tuple[str, ...]
    launch_url: str


class RemoteGames:
    """The registered engines and their games, installed into the catalogue."""

    def __init__(
        self,
        *,
        engine: Engine,
        catalog: Catalog,
        ttl_seconds: float,  # float ok: seconds
        fingerprint_key: bytes = b"",
    ) -> None:
        self._key = fingerprint_key
        self._db = engine
        self._catalog = catalog
        self._ttl = ttl_seconds
        self.reserved = frozenset(catalog.games)  # built-in and plug-in ids
        self._engines: dict[str, EngineRecord] = {}
        self._games: dict[str, RemoteGame] = {}
        self._loaded_at: float | None = None  # float ok: monotonic seconds
        self._left_out: set[str] = set()  # logged once, not at every reload
        self._lock = asyncio.Lock()

    @property
    def jackpot_plan(self) -> JackpotPlan | None:
        """The jackpot plan every real round takes part in."""
        return self._catalog.jackpots

    def engine(self, engine_id: str) -> EngineRecord | None:
        """A registered engine, or None."""
        return self._engines.get(engine_id)

    def game(self, game_id: str) -> RemoteGame | None:
        """A remote game, or None."""
        return self._games.get(game_id)

    def launch_url(self, game_id: str, token: str) -> str | None:
        """Where a launched remote game sends the browser (None: not a remote game)."""
        game = self._games.get(game_id)
        return None if game is None else game.launch_url.replace(TOKEN_MARK, token)

    async def sync(self, *, force: bool = False) -> None:
        """Reload the engines if this copy is older than the ttl (or ``force``)."""
        fresh = self._loaded_at is not None and time.monotonic() - self._loaded_at < self._ttl
        if force or not fresh:
            await self._reload()

    async def _reload(self) -> tuple[list[EngineRow], list[EngineGameRow]]:
        async with self._lock:
            rows, games = await self._db.run(engines.load)
            self._install(rows, games)
            self._loaded_at = time.monotonic()
            return rows, games

    def _install(self, rows: list[EngineRow], games: list[EngineGameRow]) -> None:
        by_id = {r.engine_id: r for r in rows}
        plan = self._catalog.jackpots
        installed: dict[str, RemoteGame] = {}
        left_out: dict[str, str] = {}
        for g in games:
            if g.game_id in self.reserved:
                left_out[g.game_id] = "its id is a built-in or plug-in game's"
                continue
            game = RemoteGame(
                g.game_id,
                g.name,
                g.levels(),
                g.lines,
                g.engine_id,
                by_id[g.engine_id].launch_url,
                None if g.rtp is None else Fraction(g.rtp),
            )
            try:
                if plan is not None:
                    plan.validate_for(game.total_stake(b) for b in game.stake_levels)
            except JackpotError as exc:
                left_out[g.game_id] = f"the jackpot plan can't serve it: {exc}"
                continue
            installed[g.game_id] = game
        for game_id in sorted(set(left_out) - self._left_out):
            log.error("remote game %s is not offered: %s", game_id, left_out[game_id])
        self._left_out = set(left_out)
        for gone in set(self._games) - set(installed):
            self._catalog.games.pop(gone, None)
            self._catalog.sources.pop(gone, None)
        for game_id, game in installed.items():
            self._catalog.games[game_id] = game
            self._catalog.sources[game_id] = f"engine {game.engine_id}"
        self._games = installed
        self._engines = {
            r.engine_id: EngineRecord(r.engine_id, r.token_list(), r.launch_url) for r in rows
        }

    async def register(self, spec: EngineSpec, *, actor: str, reason: str, now: int) -> Any:
        """Check, store and install a registration (live in this process at once).

        Raises:
            BadEngine, GameIdTaken: as ``check_spec``, or a game id of another engine.
        """
        check_spec(spec, reserved=self.reserved, plan=self._catalog.jackpots)
        result = await self._db.run(
            lambda: engines.register(spec, actor=actor, reason=reason, now=now, key=self._key)
        )
        await self.sync(force=True)
        return result

    async def listing(self) -> list[dict[str, Any]]:
        """Every engine with its games, from storage (tokens as fingerprints only)."""
        rows, games = await self._reload()
        return [
            {
                "engine_id": r.engine_id,
                "tokens": [fingerprint(t, self._key) for t in r.token_list()],
                "launch_url": r.launch_url,
                "games": [
                    _game_json(g, self._games.get(g.game_id))
                    for g in games
                    if g.engine_id == r.engine_id
                ],
                "created_at": r.created_at,
                "updated_at": r.updated_at,
            }
            for r in rows
        ]


def _game_json(g: EngineGameRow, live: RemoteGame | None) -> dict[str, Any]:
    return {
        "game_id": g.game_id,
        "name": g.name,
        "lines": g.lines,
        "stake_levels": [format_amount(b) for b in g.levels()],
        "rtp_declared": g.rtp,
        "rtp_percent": None if g.rtp is None else percent(Fraction(g.rtp)),
        "offered": live is not None,
    }
