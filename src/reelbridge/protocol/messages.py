"""Typed, immutable messages for the nine calls of the protocol (PROTOCOL.md Part A).

Provider → aggregator (the wallet, dispatched on ``action``): ``Bet``, ``Win``,
``Refund``, ``GetBalance``; answered by ``BalanceReply`` or ``ErrorReply``.

Aggregator → provider: ``DemoUrlRequest``, ``GameUrlRequest``, ``JackpotsRequest``,
``CreateFreespins``, ``CancelFreespins``; answered by ``UrlReply``, ``JackpotsReply``,
``FreespinsCreated``, ``OkReply`` or ``ErrorReply``.

Amounts are integer units of 1/10000 (``reelbridge._types.Units``); the codec converts
them to and from exact JSON numbers.
"""

from __future__ import annotations

import enum
from typing import Annotated, ClassVar, TypeAlias

import msgspec

from reelbridge._types import Units
from reelbridge.protocol.errors import ErrorCode

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern="^[^\\x00-\\x1f\\x7f]+\\Z")]
"""An identifier chosen by a peer: 1–255 characters, no control characters."""
MAX_UNIX_SECONDS = 253_402_300_799
"""9999-12-31T23:59:59Z: later times are refused (they would not fit in storage)."""
Text = Annotated[str, msgspec.Meta(max_length=2048, pattern="^[^\\x00]*\\Z")]


class BetType(enum.StrEnum):
    """``type`` of a bet (Part A)."""

    BET = "bet"
    FREESPIN = "freespin"
    TIP = "tip"


class WinType(enum.StrEnum):
    """``type`` of a win (Part A)."""

    WIN = "win"
    FREESPIN = "freespin"
    JACKPOT = "jackpot"


class Action(enum.StrEnum):
    """The wallet actions."""

    BET = "bet"
    WIN = "win"
    REFUND = "refund"
    BALANCE = "balance"


class _Message(msgspec.Struct, frozen=True, kw_only=True):
    pass


# -- provider → aggregator (wallet) ------------------------------------------------


class Bet(_Message, frozen=True, kw_only=True):
    """Debit a stake (``action: bet``)."""

    action: ClassVar[Action] = Action.BET
    type: BetType
    session_id: Id
    amount: Units
    transaction_id: Id
    round_id: Id
    game_id: Id


class Win(_Message, frozen=True, kw_only=True):
    """Credit a payout (``action: win``); an amount of 0 closes a losing round."""

    action: ClassVar[Action] = Action.WIN
    type: WinType
    session_id: Id
    amount: Units
    transaction_id: Id
    round_id: Id
    game_id: Id


class Refund(_Message, frozen=True, kw_only=True):
    """Give back the stake of the bet named by ``transaction_id`` (``action: refund``)."""

    action: ClassVar[Action] = Action.REFUND
    session_id: Id
    transaction_id: Id
    round_id: Id
    game_id: Id


class GetBalance(_Message, frozen=True, kw_only=True):
    """Ask for the balance of the session's account (``action: balance``)."""

    action: ClassVar[Action] = Action.BALANCE
    session_id: Id


WalletRequest: TypeAlias = Bet | Win | Refund | GetBalance


class BalanceReply(_Message, frozen=True, kw_only=True):
    """``{"status": true, "balance": …}``: the answer to every successful wallet call."""

    balance: Units


class ErrorReply(_Message, frozen=True, kw_only=True):
    """``{"status": false, "code": …, "message": …}``."""

    code: ErrorCode
    message: str


# -- aggregator → provider ----------------------------------------------------------


class DemoUrlRequest(_Message, frozen=True, kw_only=True):
    """Ask for the URL of a game in demo mode."""

    client_id: Id
    game_id: Id
    language: Id
    return_url: Text


class GameUrlRequest(_Message, frozen=True, kw_only=True):
    """Ask for the URL of a real-money game bound to an aggregator session."""

    client_id: Id
    game_id: Id
    currency: Id
    language: Id
    session_id: Id
    player_id: Id
    return_url: Text


class JackpotsRequest(_Message, frozen=True, kw_only=True):
    """Ask for the live jackpot amounts."""

    client_id: Id


class CreateFreespins(_Message, frozen=True, kw_only=True):
    """Create a freespin campaign for one player, game and currency."""

    client_id: Id
    game_id: Id
    player_id: Id
    campaign_id: Id
    currency: Id
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
    valid_from: Annotated[int, msgspec.Meta(ge=0, le=MAX_UNIX_SECONDS)]
    valid_until: Annotated[int, msgspec.Meta(ge=0, le=MAX_UNIX_SECONDS)]
    bet_id: Annotated[int, msgspec.Meta(ge=0)]


class CancelFreespins(_Message, frozen=True, kw_only=True):
    """Cancel a campaign: its unplayed spins are voided."""

    client_id: Id
    campaign_id: Id


class GamesRequest(_Message, frozen=True, kw_only=True):
    """Ask for the provider's game catalogue (a reelbridge extension of Part A, optional
    like the jackpots call: the lobby lists what the provider offers, never typed in)."""

    client_id: Id


ProviderRequest: TypeAlias = (
    DemoUrlRequest
    | GameUrlRequest
    | JackpotsRequest
    | CreateFreespins
    | CancelFreespins
    | GamesRequest
)


class UrlReply(_Message, frozen=True, kw_only=True):
    """``{"url": …}``."""

    url: str


class Jackpot(_Message, frozen=True, kw_only=True):
    """One jackpot level in one currency."""

    name: str
    amount: Units
    currency: str


class JackpotsReply(_Message, frozen=True, kw_only=True):
    """``{"status": true, "jackpots": [...]}``."""

    jackpots: tuple[Jackpot, ...]


class CatalogueGame(_Message, frozen=True, kw_only=True):
    """One game of a provider's catalogue, as a lobby shows it.

    Percentages are decimal strings with two places (``"97.23"``); ``rtp`` is the whole
    real-money return (base game + jackpots), ``None`` when only a simulation knows it.
    ``stakes`` are the total stakes per ``bet_id`` as decimal strings; ``volatility`` is
    ``low``, ``medium``, ``high``, ``very high`` or ``unknown``.
    """

    game_id: str
    name: str
    rtp: str | None
    rtp_base: str | None
    rtp_jackpot: str
    volatility: str
    stakes: tuple[str, ...]
    thumbnail: str
    demo: bool = True


class GamesReply(_Message, frozen=True, kw_only=True):
    """``{"status": true, "games": [...]}``."""

    games: tuple[CatalogueGame, ...]


class FreespinsCreated(_Message, frozen=True, kw_only=True):
    """``{"status": true, "new_campaign_id": …}``."""

    new_campaign_id: str


class OkReply(_Message, frozen=True, kw_only=True):
    """``{"status": true}``."""


Reply: TypeAlias = (
    BalanceReply | ErrorReply | UrlReply | JackpotsReply | FreespinsCreated | OkReply | GamesReply
)
