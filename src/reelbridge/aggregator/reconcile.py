"""Reconciliation of provider rounds against wallet transactions, and the screens of a
recalled round, as pure functions (the back office's round and reconciliation pages).

Theory of operation. For each round the provider reports (kind, status, stake, win,
jackpot win), the wallet should hold exactly what that status implies:

============  =======================================  ==============================
status        stake the wallet keeps                   wins the wallet paid
============  =======================================  ==============================
settled       the stake (0 for a freespin round)       win + jackpot win
rejected      0 (the bet was refused)                  0
refunded      0 (the bet refunded, or never arrived)   0
others        in flight: the outbox is still delivering (not a difference yet)
============  =======================================  ==============================

A round the wallet has but the provider does not list is a difference too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reelbridge._types import Units
from reelbridge.protocol import parse_amount_text
from reelbridge.protocol.money import AmountError

FINAL = ("settled", "rejected", "refunded")


@dataclass(frozen=True)
class WalletRound:
    """What the wallet holds for one round of one client (units)."""

    round_id: str
    staked: Units  # accepted bets
    refunded: Units  # given back by refunds
    won: Units  # accepted wins (all types)
    rows: int
    first_at: int

    @property
    def kept(self) -> Units:
        """The stake the wallet keeps."""
        return self.staked - self.refunded


@dataclass(frozen=True)
class Verdict:
    """A round's reconciliation: ``match``, ``in flight``, ``difference``,
    ``wallet only``; ``problems`` say what differs."""

    round_id: str
    kind: str
    provider: dict[str, Any] | None
    wallet: WalletRound | None
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def css(self) -> str:
        """The table row's class."""
        return {"match": "", "in flight": "flight"}.get(self.kind, "diff")


def units(text: Any) -> Units:
    """Units of a listing's decimal text (0 for None or garbage)."""
    if text is None:
        return 0
    try:
        return parse_amount_text(str(text))
    except AmountError:
        return 0


def expected(provider: dict[str, Any]) -> tuple[Units, Units] | None:
    """(stake kept, wins paid) the wallet should show; None while in flight."""
    status = provider.get("status")
    if status not in FINAL:
        return None
    if status != "settled":
        return 0, 0
    stake = 0 if provider.get("kind") == "freespin" else units(provider.get("stake"))
    return stake, units(provider.get("win")) + units(provider.get("jackpot_win"))


def verdict(
    provider: dict[str, Any] | None, wallet: WalletRound | None, round_id: str, money: Any
) -> Verdict:
    """Compare one round; ``money(units)`` formats amounts in the messages."""
    if provider is None:
        return Verdict(round_id, "wallet only", None, wallet, ("the provider has no such round",))
    wanted = expected(provider)
    if wanted is None:
        return Verdict(round_id, "in flight", provider, wallet)
    kept = 0 if wallet is None else wallet.kept
    won = 0 if wallet is None else wallet.won
    problems = []
    if kept != wanted[0]:
        problems.append(f"stake kept: wallet {money(kept)}, provider {money(wanted[0])}")
    if won != wanted[1]:
        problems.append(f"wins: wallet {money(won)}, provider {money(wanted[1])}")
    return Verdict(round_id, "difference" if problems else "match", provider, wallet,
                   tuple(problems))  # fmt: skip


def reconcile(
    provider_rounds: list[dict[str, Any]],
    wallet_rounds: dict[str, WalletRound],
    wallet_only: list[str],
    money: Any,
) -> list[Verdict]:
    """Every provider round (demo rounds never meet the wallet) and every wallet round
    the provider does not know, newest provider rounds first; ``money(units, currency)``
    formats the amounts of the messages."""
    listed = [r for r in provider_rounds if r.get("kind") != "demo"]
    known = {str(r["round_id"]) for r in provider_rounds}
    out = [
        verdict(r, wallet_rounds.get(str(r["round_id"])), str(r["round_id"]), money) for r in listed
    ]
    out += [
        verdict(None, wallet_rounds.get(rid), rid, money) for rid in wallet_only if rid not in known
    ]
    return out


@dataclass(frozen=True)
class Screen:
    """One screen of a recalled round: the symbols the player saw, the winning cells."""

    title: str
    rows: int
    reels: list[list[str]]
    winning: frozenset[tuple[int, int]]
    win: Units
    lines: tuple[str, ...]


def screens(outcome: Any) -> list[Screen]:
    """The base spin and every free game of a stored outcome (a built-in game's
    ``SpinResult.to_json()``); [] for an outcome of another shape."""
    if not isinstance(outcome, dict) or not isinstance(outcome.get("base"), dict):
        return []
    out = []
    parts = [("Base spin", outcome["base"])]
    parts += [(f"Free game {i}", g) for i, g in enumerate(outcome.get("free_games") or [], 1)]
    for title, screen in parts:
        grid = screen.get("grid")
        if not isinstance(grid, list) or not grid or not all(isinstance(r, list) for r in grid):
            continue
        cells: set[tuple[int, int]] = set()
        lines = []
        for win in screen.get("line_wins") or []:
            cells.update((int(p[0]), int(p[1])) for p in win.get("positions", []))
            lines.append(
                f"line {int(win.get('line', 0)) + 1}: {win.get('symbol')} ×{win.get('count')}"
            )
        scatter = screen.get("scatter")
        if isinstance(scatter, dict) and (
            scatter.get("amount") or screen.get("free_games_awarded")
        ):
            cells.update((int(p[0]), int(p[1])) for p in scatter.get("positions", []))
            lines.append(f"{scatter.get('symbol')} ×{scatter.get('count')}")
        out.append(
            Screen(title, max(len(r) for r in grid), [[str(s) for s in r] for r in grid],
                   frozenset(cells), int(screen.get("win") or 0), tuple(lines))
        )  # fmt: skip
    return out
