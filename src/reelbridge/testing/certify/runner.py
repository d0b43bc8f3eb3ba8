"""Scenarios and how they run: each is an async function of a per-scenario context that
either returns (pass), raises ``Failed`` (fail) or ``NotRun`` (its set-up is missing).

A scenario is named after the rule it proves (``B9_duplicate_bet_is_idempotent``); the
context records the exchanges it checked, so the report can show the one that decided.
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, NoReturn, TypeVar

import httpx

from reelbridge.testing.certify.report import Exchange, Result, Status

_RULE = re.compile(r"[A-Z][0-9]*")


class Failed(Exception):
    """The target broke the rule the scenario proves."""

    def __init__(self, reason: str, exchanges: Sequence[Exchange] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.exchanges = tuple(exchanges)


class NotRun(Exception):
    """The scenario cannot run with what the kit was given (say why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Evidence:
    """What a scenario saw: the exchanges that decide it and any figures it reports."""

    def __init__(self) -> None:
        self.decisive: list[Exchange] = []
        self.keys: list[Exchange] = []
        self.metrics: dict[str, str] = {}

    def decided(self, *exchanges: Exchange, key: bool = False) -> None:
        """Note the exchange(s) just checked; ``key`` ones are what proves the rule (a
        pass shows those, else the last exchanges checked)."""
        self.decisive = list(exchanges)
        if key:
            self.keys.extend(exchanges)

    @property
    def evidence(self) -> tuple[Exchange, ...]:
        """What a passing scenario shows: its key exchanges, else the last checked."""
        return tuple(self.keys or self.decisive)

    def fail(self, reason: str, *exchanges: Exchange) -> NoReturn:
        """Fail with ``reason``, showing ``exchanges`` (default: the last decisive ones)."""
        raise Failed(reason, exchanges or tuple(self.decisive))

    def check(self, condition: bool, reason: str, *exchanges: Exchange) -> None:
        """Fail with ``reason`` unless ``condition``; otherwise mark ``exchanges`` decisive."""
        if not condition:
            self.fail(reason, *exchanges)
        if exchanges:
            self.decided(*exchanges)


C = TypeVar("C", bound=Evidence)


@dataclass(frozen=True)
class Scenario(Generic[C]):
    """One check of a rule: ``run`` returns what it saw when the rule held."""

    name: str
    summary: str
    run: Callable[[C], Awaitable[str]]


class ScenarioSet(Generic[C]):
    """An ordered registry of scenarios, filled by decorating functions::

    wallet = ScenarioSet[WalletCheck]()

    @wallet("B9_duplicate_bet_is_idempotent")
    async def duplicate_bet(check: WalletCheck) -> str:
        '''The same bet sent twice debits once.'''
        ...
    """

    def __init__(self) -> None:
        self._items: list[Scenario[C]] = []

    def __call__(
        self, name: str
    ) -> Callable[[Callable[[C], Awaitable[str]]], Callable[[C], Awaitable[str]]]:
        """Register the decorated function as the scenario ``name``; the first line of
        its docstring says what it checks."""
        if any(s.name == name for s in self._items):
            raise ValueError(f"scenario {name} is registered twice")

        def register(run: Callable[[C], Awaitable[str]]) -> Callable[[C], Awaitable[str]]:
            summary = (run.__doc__ or "").strip().splitlines()
            if not summary:
                raise ValueError(f"scenario {name} needs a docstring: what it checks")
            self._items.append(Scenario(name, summary[0], run))
            return run

        return register

    @property
    def all(self) -> tuple[Scenario[C], ...]:
        """Every scenario, in registration order."""
        return tuple(self._items)


def select(scenarios: Sequence[Scenario[C]], patterns: Sequence[str]) -> list[Scenario[C]]:
    """The scenarios whose name matches one of ``patterns``: a glob, a rule (``B1``
    selects ``B1_*``, not ``B10_*``) or a name prefix; all of them when ``patterns`` is
    empty.

    Raises:
        ValueError: a pattern matches no scenario.
    """
    if not patterns:
        return list(scenarios)
    chosen: list[Scenario[C]] = []
    for pattern in patterns:
        if any(c in pattern for c in "*?["):
            glob = pattern
        elif _RULE.fullmatch(pattern):
            glob = f"{pattern}_*"  # a rule: B1 is not B10
        else:
            glob = f"{pattern}*"
        matched = [s for s in scenarios if fnmatch.fnmatchcase(s.name, glob)]
        if not matched:
            raise ValueError(f"no scenario matches {pattern!r}")
        chosen.extend(s for s in matched if s not in chosen)
    return [s for s in scenarios if s in chosen]


Progress = Callable[[Scenario[C], Result | None], None]
"""Called with ``(scenario, None)`` when a scenario starts and with its result at the end."""


async def run_one(
    scenario: Scenario[C],
    context: C,
    *,
    limit: float,  # float ok: seconds
) -> Result:
    """Run one scenario in ``context``; never raises (a kit error is reported as a fail)."""
    started = time.monotonic()
    status, reason = Status.PASS, ""
    exchanges: tuple[Exchange, ...] = ()
    try:
        async with asyncio.timeout(limit):
            reason = await scenario.run(context)
        exchanges = context.evidence
    except Failed as failure:
        status, reason, exchanges = Status.FAIL, failure.reason, failure.exchanges
    except NotRun as skipped:
        status, reason = Status.NOT_RUN, skipped.reason
    except TimeoutError:
        status, exchanges = Status.FAIL, tuple(context.decisive)
        reason = f"did not finish within {limit:g} s"
    except httpx.HTTPError as exc:
        status, exchanges = Status.FAIL, tuple(context.decisive)
        reason = f"no answer: {type(exc).__name__}: {exc}".rstrip(": ")
    except Exception as exc:  # a bug of the kit must not hide the other results
        status, exchanges = Status.FAIL, tuple(context.decisive)
        reason = f"the kit failed: {type(exc).__name__}: {exc}"
    return Result(
        name=scenario.name,
        summary=scenario.summary,
        status=status,
        reason=reason,
        exchanges=exchanges,
        seconds=time.monotonic() - started,
        metrics=dict(context.metrics),
    )


async def run_all(
    scenarios: Sequence[Scenario[C]],
    make_context: Callable[[Scenario[C]], C],
    *,
    progress: Progress[C] | None = None,
    limit: float = 180.0,  # float ok: seconds per scenario
) -> list[Result]:
    """Run ``scenarios`` one after another, each in a fresh context."""
    results: list[Result] = []
    for scenario in scenarios:
        if progress is not None:
            progress(scenario, None)
        result = await run_one(scenario, make_context(scenario), limit=limit)
        results.append(result)
        if progress is not None:
            progress(scenario, result)
    return results
