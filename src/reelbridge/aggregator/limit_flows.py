"""Units of work behind the responsible-gambling settings (admin API, back office, CLI).

Limits belong to a player account (one player, one currency: the unit a wallet session
bets from); self-exclusion and blocking belong to the player and are written to every
account of the player, and copied to an account opened later (``inherit``). Each change
locks the accounts it touches first (as a wallet call does), so a bet decides either
before or after it, never half-way; the first change of an account creates its
``account_limits`` row with the totals of the current periods taken from the journal,
after which the journal keeps them. Every change writes one audit row with its reason;
a request that changes nothing writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reelbridge._types import Units
from reelbridge.ledger.limits import (
    LIMIT_COLUMNS,
    PERIODS,
    SETTINGS,
    LimitState,
    Totals,
    change_exclusion,
    change_limit,
    key_of,
    start_of,
)
from reelbridge.storage import Flow, Sql, every, one, run, value
from reelbridge.storage.audit import audit
from reelbridge.web.errors import BadRequest, NotFound

_COLUMNS = ", ".join(LIMIT_COLUMNS)
_SETTING_COLUMNS = LIMIT_COLUMNS[: 1 + 3 * len(SETTINGS)]  # blocked and the settings

_PLAYER = Sql.of("SELECT player_id FROM players WHERE player_id = ?")
_ACCOUNTS_SQL = """SELECT account_id, currency, balance FROM accounts
                    WHERE kind = 'player' AND owner = ? ORDER BY account_id"""
_ACCOUNTS = Sql.of(_ACCOUNTS_SQL)
_LOCK_ACCOUNTS = Sql.of(_ACCOUNTS_SQL + " {lock}")  # as a wallet call locks (in this order)
_ROW = Sql.of(f"SELECT {_COLUMNS} FROM account_limits WHERE account_id = ?")
# The current periods' totals of an account that had no row, from its journal (once).
_FROM_JOURNAL = Sql.of(
    """SELECT COALESCE(SUM(CASE WHEN created_at >= ? THEN w ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN created_at >= ? THEN l ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN created_at >= ? THEN w ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN created_at >= ? THEN l ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN created_at >= ? THEN w ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN created_at >= ? THEN l ELSE 0 END), 0)
         FROM (SELECT created_at,
                      CASE action WHEN 'bet' THEN moved WHEN 'refund' THEN -moved
                                  ELSE 0 END AS w,
                      CASE action WHEN 'bet' THEN moved ELSE -moved END AS l
                 FROM transactions
                WHERE account_id = ? AND created_at >= ? AND moved > 0
                  AND action IN ('bet', 'win', 'refund')) t"""
)
_UPSERT = Sql.of(
    f"""INSERT INTO account_limits (account_id, {_COLUMNS}, updated_at)
        VALUES (?, {", ".join("?" for _ in LIMIT_COLUMNS)}, ?)
        ON CONFLICT (account_id) DO UPDATE SET
        {", ".join(f"{c} = excluded.{c}" for c in _SETTING_COLUMNS)},
        updated_at = excluded.updated_at"""
)
# A new account of a blocked or self-excluded player starts the same way.
_INHERIT = Sql.of(
    """INSERT INTO account_limits (account_id, blocked, excluded_until, excluded_until_next,
                                   excluded_until_at, day_key, week_key, month_key, updated_at)
       SELECT CAST(? AS BIGINT), l.blocked, l.excluded_until, l.excluded_until_next,
              l.excluded_until_at, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT),
              CAST(? AS BIGINT)
         FROM account_limits l JOIN accounts a ON a.account_id = l.account_id
        WHERE a.kind = 'player' AND a.owner = ? AND a.account_id <> ?
          AND (l.blocked = 1 OR l.excluded_until IS NOT NULL OR l.excluded_until_at IS NOT NULL)
        ORDER BY l.account_id LIMIT 1
       ON CONFLICT (account_id) DO NOTHING"""
)
_LIMITED = Sql.of(
    f"""SELECT a.owner, a.account_id, a.currency, a.balance, {_COLUMNS}
          FROM account_limits l JOIN accounts a ON a.account_id = l.account_id
         ORDER BY a.owner, a.currency LIMIT ?"""
)


@dataclass(frozen=True)
class AccountLimits:
    """A player account and its responsible-gambling state (``LimitState()`` when it
    has no row: nothing set)."""

    player_id: str
    currency: str
    account_id: int
    balance: Units
    state: LimitState


def _account_limits(player_id: str, account: Any, state: LimitState | None) -> AccountLimits:
    account_id, currency, balance = account
    return AccountLimits(player_id, currency, int(account_id), int(balance), state or LimitState())


def _accounts(player_id: str, *, lock: bool = True) -> Flow[list[Any]]:
    if (yield value(_PLAYER, player_id)) is None:
        raise NotFound(f"unknown player {player_id!r}")
    accounts: list[Any] = yield every(_LOCK_ACCOUNTS if lock else _ACCOUNTS, player_id)
    if not accounts:
        raise NotFound(f"player {player_id!r} has no account")
    return accounts


def _load(account_id: int, now: int) -> Flow[LimitState]:
    """The account's state; without a row, the current totals from its journal."""
    found = LimitState.from_row((yield one(_ROW, account_id)) or (None,))
    if found is not None:
        return found
    starts = [start_of(p, now) for p in PERIODS for _ in range(2)]
    sums = yield one(_FROM_JOURNAL, *starts, account_id, min(starts))
    wd, ld, ww, lw, wm, lm = (int(v) for v in sums)
    day, week, month = (key_of(p, now) for p in PERIODS)
    return LimitState(totals=Totals(day, wd, ld, week, ww, lw, month, wm, lm))


def _save(account_id: int, state: LimitState, now: int) -> Flow[None]:
    yield run(_UPSERT, account_id, *state.as_row(), now)


def audited(state: LimitState, names: tuple[str, ...]) -> dict[str, Any]:
    """Settings as the audit log records them: the value in force, and a pending change
    (``<name>_pending``, ``<name>_applies_at``) when there is one."""
    out: dict[str, Any] = {}
    for name in names:
        setting = state.setting(name)
        out[name] = setting.value
        if setting.next_at is not None:
            out[f"{name}_pending"] = setting.next
            out[f"{name}_applies_at"] = setting.next_at
    return out


def _audit(
    actor: str, action: str, subject: str, before: Any, after: Any, reason: str, now: int
) -> Flow[None]:
    yield from audit(
        "audit_log", actor=actor, action=action, subject=subject, before=before, after=after,
        reason=reason, now=now,
    )  # fmt: skip


def player_limits(player_id: str) -> Flow[list[AccountLimits]]:
    """Every account of the player with its state (a read: nothing is locked)."""
    out = []
    for account in (yield from _accounts(player_id, lock=False)):
        row = yield one(_ROW, account[0])
        out.append(_account_limits(player_id, account, LimitState.from_row(row or (None,))))
    return out


def limited_accounts(limit: int = 200) -> Flow[list[AccountLimits]]:
    """Accounts that have a row (something is or was set), by player and currency."""
    rows = yield every(_LIMITED, limit)
    return [_account_limits(r[0], r[1:4], LimitState.from_row(r[4:])) for r in rows]


def set_limits(
    player_id: str,
    currency: str,
    changes: Mapping[str, int | None],
    *,
    actor: str,
    reason: str,
    now: int,
) -> Flow[tuple[AccountLimits, bool]]:
    """Change some money and session limits of one account (``change_limit``: lower at
    once, higher or removed after the cooling-off). Answers the account and whether
    anything changed."""
    unknown = set(changes) - set(SETTINGS[:7])
    if unknown:
        raise BadRequest(f"not a limit: {sorted(unknown)}")
    accounts = yield from _accounts(player_id)
    account = next((a for a in accounts if a[1] == currency), None)
    if account is None:
        raise NotFound(f"player {player_id!r} has no {currency} account")
    before = yield from _load(int(account[0]), now)
    after = before
    for name, new in changes.items():
        after = after.replace(name, change_limit(after.setting(name), new, now=now))
    changed = after.settings != before.settings
    if changed:
        yield from _save(int(account[0]), after, now)
        names = tuple(n for n in SETTINGS if after.setting(n) != before.setting(n))
        yield from _audit(
            actor, "limits.set", player_id,
            {"currency": currency, **audited(before, names)},
            {"currency": currency, **audited(after, names)},
            reason, now,
        )  # fmt: skip
    return _account_limits(player_id, account, after), changed


def set_exclusion(
    player_id: str, until: int | None, *, actor: str, reason: str, now: int
) -> Flow[tuple[list[AccountLimits], bool]]:
    """Self-exclude the player until ``until`` (µs; ``INDEFINITE``; None ends it) on
    every account (``change_exclusion``: longer at once, shorter or ended after the
    cooling-off). Answers the accounts and whether anything changed."""
    if until is not None and until <= now:
        raise BadRequest("a self-exclusion must end in the future")
    return (
        yield from _for_player(
            player_id,
            lambda s: s.replace(
                "excluded_until", change_exclusion(s.setting("excluded_until"), until, now=now)
            ),
            "limits.exclusion",
            lambda s: audited(s, ("excluded_until",)),
            actor=actor,
            reason=reason,
            now=now,
        )
    )


def set_blocked(
    player_id: str, blocked: bool, *, actor: str, reason: str, now: int
) -> Flow[tuple[list[AccountLimits], bool]]:
    """Block (or unblock) the player's bets on every account, at once."""
    return (
        yield from _for_player(
            player_id,
            lambda s: LimitState(blocked, s.settings, s.totals),
            "limits.block" if blocked else "limits.unblock",
            lambda s: {"blocked": s.blocked},
            actor=actor,
            reason=reason,
            now=now,
        )
    )


def _for_player(
    player_id: str,
    change: Callable[[LimitState], LimitState],
    action: str,
    shown: Callable[[LimitState], dict[str, Any]],
    *,
    actor: str,
    reason: str,
    now: int,
) -> Flow[tuple[list[AccountLimits], bool]]:
    out: list[AccountLimits] = []
    first: tuple[LimitState, LimitState] | None = None
    for account in (yield from _accounts(player_id)):
        before = yield from _load(int(account[0]), now)
        after = change(before)
        if (after.blocked, after.settings) != (before.blocked, before.settings):
            yield from _save(int(account[0]), after, now)
            first = first or (before, after)
        out.append(_account_limits(player_id, account, after))
    if first is not None:
        yield from _audit(actor, action, player_id, shown(first[0]), shown(first[1]), reason, now)
    return out, first is not None


def inherit(account_id: int, player_id: str, now: int) -> Flow[None]:
    """Give a new account of a blocked or self-excluded player the same block and
    exclusion (nothing happens for an account that has a row, or a player without)."""
    keys = (key_of(p, now) for p in PERIODS)
    yield run(_INHERIT, account_id, *keys, now, player_id, account_id)
