"""Read-only queries behind the lobby's and back office's pages (flows, so no SQL sits
in a handler): an account's balance, a player's balance over time, gross gaming revenue
per game and day, and the wallet's side of each round for reconciliation."""

from __future__ import annotations

from dataclasses import dataclass

from reelbridge._types import Units
from reelbridge.aggregator.reconcile import WalletRound
from reelbridge.storage import Flow, Sql, every, value

DAY_US = 86_400 * 1_000_000

_BALANCE = Sql.of(
    "SELECT balance FROM accounts WHERE kind = 'player' AND owner = ? AND currency = ?"
)
_ACCOUNTS = Sql.of(
    """SELECT a.owner, a.currency, a.balance FROM accounts a
        WHERE a.kind = 'player' ORDER BY a.owner, a.currency LIMIT ?"""
)
_SERIES = Sql.of(
    """SELECT t.created_at, t.balance_after, t.action, t.amount FROM transactions t
        WHERE t.account_id = (SELECT account_id FROM accounts
                               WHERE kind = 'player' AND owner = ? AND currency = ?)
          AND t.outcome = 'ok'
        ORDER BY t.id DESC LIMIT ?"""
)
_GGR = Sql.of(
    """SELECT t.created_at / ? AS day, t.game_id,
              COALESCE(SUM(CASE WHEN t.action = 'bet' THEN t.moved ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN t.action = 'refund' THEN t.moved ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN t.action = 'win' THEN t.moved ELSE 0 END), 0),
              COUNT(DISTINCT t.round_id)
         FROM transactions t JOIN accounts a ON a.account_id = t.account_id
        WHERE a.currency = ? AND t.client_id <> '@admin' AND t.outcome = 'ok'
          AND t.created_at >= ?
        GROUP BY 1, 2 ORDER BY 1, 2"""
)
_CURRENCIES = Sql.of("SELECT DISTINCT currency FROM accounts WHERE kind = 'player' ORDER BY 1")


def balance(player_id: str, currency: str) -> Flow[Units | None]:
    """A player's balance in a currency (None: no such account)."""
    found = yield value(_BALANCE, player_id, currency)
    return None if found is None else int(found)


@dataclass(frozen=True)
class Account:
    """A player's account as the lobby lists it."""

    player_id: str
    currency: str
    balance: Units

    @property
    def key(self) -> str:
        """``CUR:player`` (a form's value naming the account)."""
        return f"{self.currency}:{self.player_id}"


def accounts(limit: int = 500) -> Flow[list[Account]]:
    """Player accounts, by player then currency."""
    rows = yield every(_ACCOUNTS, limit)
    return [Account(str(p), str(c), int(b)) for p, c, b in rows]


@dataclass(frozen=True)
class Point:
    """A player's balance after one journal row that succeeded."""

    at: int
    balance: Units
    action: str
    amount: Units


def balance_series(player_id: str, currency: str, limit: int = 400) -> Flow[list[Point]]:
    """The player's balance after each of the last ``limit`` rows, oldest first."""
    rows = yield every(_SERIES, player_id, currency, limit)
    return [Point(int(at), int(b), str(a), int(m)) for at, b, a, m in reversed(rows)]


@dataclass(frozen=True)
class GgrRow:
    """One game's play on one day (UTC) in one currency."""

    day: int  # days since the epoch
    game_id: str
    stakes: Units  # bets taken, refunds given back deducted
    wins: Units
    rounds: int

    @property
    def ggr(self) -> Units:
        """Gross gaming revenue: stakes − wins."""
        return self.stakes - self.wins


def ggr(currency: str, *, since: int) -> Flow[list[GgrRow]]:
    """GGR per game and day in ``currency`` from ``since`` (µs), player money only
    (deposits and withdrawals are not play)."""
    rows = yield every(_GGR, DAY_US, currency, since)
    return [
        GgrRow(int(day), str(game), int(bets) - int(refunds), int(wins), int(n))
        for day, game, bets, refunds, wins, n in rows
    ]


def currencies() -> Flow[list[str]]:
    """Currencies players hold accounts in."""
    rows = yield every(_CURRENCIES)
    return [str(r[0]) for r in rows]


def _in(count: int) -> str:
    return ", ".join("?" * count)


def wallet_rounds(client_id: str, round_ids: list[str]) -> Flow[dict[str, WalletRound]]:
    """What the wallet holds for each of ``round_ids`` of a client."""
    out: dict[str, WalletRound] = {}
    for start in range(0, len(round_ids), 200):  # bounded statement size
        chunk = round_ids[start : start + 200]
        query = Sql.of(
            f"""SELECT round_id,
                  COALESCE(SUM(CASE WHEN action = 'bet' AND outcome = 'ok'
                                    THEN amount ELSE 0 END), 0),
                  COALESCE(SUM(CASE WHEN action = 'refund' AND outcome = 'ok'
                                    THEN moved ELSE 0 END), 0),
                  COALESCE(SUM(CASE WHEN action = 'win' AND outcome = 'ok'
                                    THEN amount ELSE 0 END), 0),
                  COUNT(*), MIN(created_at)
                 FROM transactions WHERE client_id = ? AND round_id IN ({_in(len(chunk))})
                GROUP BY round_id"""
        )
        rows = yield every(query, client_id, *chunk)
        for rid, staked, refunded, won, count, first in rows:
            out[str(rid)] = WalletRound(
                str(rid), int(staked), int(refunded), int(won), int(count), int(first)
            )
    return out


_ROUNDS_SINCE = Sql.of(
    """SELECT round_id FROM transactions
        WHERE client_id = ? AND round_id <> '' AND created_at >= ?
        GROUP BY round_id ORDER BY MIN(created_at) DESC LIMIT ?"""
)


def rounds_since(client_id: str, since: int, limit: int = 500) -> Flow[list[str]]:
    """Round ids a client's wallet calls named since ``since`` (µs), newest first."""
    rows = yield every(_ROUNDS_SINCE, client_id, since, limit)
    return [str(r[0]) for r in rows]
