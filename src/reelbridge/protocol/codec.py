"""Raw bytes ⇄ messages, for both directions of the protocol.

Decoding is strict (rule B3): a body that is not a JSON object, a missing or mistyped
field, an unknown ``type``, a bad amount or a body over 64 KiB raises ``WrongInput``;
an unknown wallet ``action`` raises ``UnknownAction``. Unknown extra fields are
ignored, so a peer may add fields without breaking us.

Encoding returns the exact bytes to send *and* to sign (rule B1): sign what this
module returns, then send those same bytes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from reelbridge._types import Units
from reelbridge.protocol.errors import ErrorCode, ProtocolError, UnknownAction, WrongInput
from reelbridge.protocol.messages import (
    Action,
    BalanceReply,
    Bet,
    BetType,
    CatalogueGame,
    ErrorReply,
    FreespinsCreated,
    GamesReply,
    GetBalance,
    Id,
    Jackpot,
    JackpotsReply,
    OkReply,
    ProviderRequest,
    Refund,
    Reply,
    UrlReply,
    WalletRequest,
    Win,
    WinType,
)
from reelbridge.protocol.money import AmountError, format_amount, parse_amount_text

MAX_BODY_BYTES = 64 * 1024
"""Bodies larger than this are refused unread (rule B3)."""

_encoder = msgspec.json.Encoder(decimal_format="number")


# -- wire shapes: like the messages, but the amount kept as raw JSON text -----------


class _Envelope(msgspec.Struct):
    action: str


class _BetWire(msgspec.Struct, kw_only=True):
    type: BetType
    session_id: Id
    amount: msgspec.Raw
    transaction_id: Id
    round_id: Id
    game_id: Id


class _WinWire(msgspec.Struct, kw_only=True):
    type: WinType
    session_id: Id
    amount: msgspec.Raw
    transaction_id: Id
    round_id: Id
    game_id: Id


class _StatusWire(msgspec.Struct):
    status: bool
    balance: msgspec.Raw = msgspec.Raw()  # empty when absent (Raw can't be in a union)
    code: str | None = None
    message: str | None = None


class _StatusProbe(msgspec.Struct):
    status: bool | None = None


class _JackpotWire(msgspec.Struct):
    name: str
    amount: msgspec.Raw
    currency: str


class _JackpotsWire(msgspec.Struct):
    status: bool
    jackpots: list[_JackpotWire]


class _GamesWire(msgspec.Struct):
    status: bool
    games: list[CatalogueGame]

    def to_reply(self) -> GamesReply:
        return GamesReply(games=tuple(self.games))


_T = TypeVar("_T")
_P = TypeVar("_P", bound=ProviderRequest)


def _decode(body: bytes, kind: type[_T]) -> _T:
    if len(body) > MAX_BODY_BYTES:
        raise WrongInput(message=f"Body larger than {MAX_BODY_BYTES} bytes")
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        # Invalid UTF-8 inside a string and absurd nesting surface as the latter two.
        raise WrongInput(message=f"Wrong input parameters: {exc}"[:300]) from None


def amount_from_raw(raw: msgspec.Raw, field: str = "amount") -> Units:
    """Parse the raw JSON of an amount (a number or a decimal string) into units.

    Raises:
        WrongInput: not an exact amount (rule B3).
    """
    text = bytes(raw)
    try:
        if text.startswith(b'"'):
            return parse_amount_text(msgspec.json.decode(text, type=str))
        return parse_amount_text(text.decode("ascii"))
    except (AmountError, UnicodeDecodeError, msgspec.DecodeError) as exc:
        raise WrongInput(message=f"Wrong input parameters: {field}: {exc}") from None


# -- wallet requests (provider → aggregator) ----------------------------------------


def decode_wallet_request(body: bytes) -> WalletRequest:
    """Decode a wallet request body.

    Raises:
        WrongInput: not a JSON object, a missing or mistyped field, a bad amount.
        UnknownAction: ``action`` names no wallet action.
    """
    envelope = _decode(body, _Envelope)
    try:
        action = Action(envelope.action)
    except ValueError:
        raise UnknownAction(message=f"Action {envelope.action[:40]!r} does not exist") from None
    if action is Action.BET:
        bet = _decode(body, _BetWire)
        return Bet(
            type=bet.type,
            session_id=bet.session_id,
            amount=amount_from_raw(bet.amount),
            transaction_id=bet.transaction_id,
            round_id=bet.round_id,
            game_id=bet.game_id,
        )
    if action is Action.WIN:
        win = _decode(body, _WinWire)
        return Win(
            type=win.type,
            session_id=win.session_id,
            amount=amount_from_raw(win.amount),
            transaction_id=win.transaction_id,
            round_id=win.round_id,
            game_id=win.game_id,
        )
    if action is Action.REFUND:
        return _decode(body, Refund)
    return _decode(body, GetBalance)


def encode_wallet_request(request: WalletRequest) -> bytes:
    """Encode a wallet request; sign and send exactly the returned bytes."""
    fields: dict[str, Any] = {"action": str(request.action)}
    fields.update(msgspec.structs.asdict(request))
    if "amount" in fields:
        fields["amount"] = Decimal(format_amount(fields["amount"]))
    return _encoder.encode(fields)


def decode_wallet_reply(body: bytes) -> BalanceReply | ErrorReply:
    """Decode the wallet's answer.

    Raises:
        WrongInput: the body is not a well-formed reply (the caller treats that as an
            unknown error, rule B4), including an error code the protocol doesn't know.
    """
    reply = _decode(body, _StatusWire)
    if reply.status:
        if not bytes(reply.balance):
            raise WrongInput(message="Reply has status true but no balance")
        return BalanceReply(balance=amount_from_raw(reply.balance, "balance"))
    try:
        code = ErrorCode(reply.code or "")
    except ValueError:
        raise WrongInput(message=f"Unknown error code {reply.code!r}") from None
    return ErrorReply(code=code, message=reply.message or code.default_message)


# -- provider requests (aggregator → provider) --------------------------------------


def decode_provider_request(body: bytes, kind: type[_P]) -> _P:
    """Decode one of the five aggregator → provider requests as ``kind``."""
    return _decode(body, kind)


def encode_provider_request(request: ProviderRequest) -> bytes:
    """Encode an aggregator → provider request; sign and send exactly these bytes."""
    return _encoder.encode(request)


def decode_provider_reply(body: bytes, kind: type[_T]) -> _T | ErrorReply:
    """Decode a provider's answer as ``kind`` (or the error it sent instead).

    Raises:
        WrongInput: the body is neither a well-formed ``kind`` nor an error reply.
    """
    if _decode(body, _StatusProbe).status is False:
        error = decode_wallet_reply(body)
        assert isinstance(error, ErrorReply)
        return error
    if kind is GamesReply:
        return _decode(body, _GamesWire).to_reply()  # type: ignore[return-value]
    if kind is JackpotsReply:
        wire = _decode(body, _JackpotsWire)
        jackpots = tuple(
            Jackpot(name=j.name, amount=amount_from_raw(j.amount), currency=j.currency)
            for j in wire.jackpots
        )
        return JackpotsReply(jackpots=jackpots)  # type: ignore[return-value]
    return _decode(body, kind)


# -- replies --------------------------------------------------------------------------


def encode_reply(reply: Reply) -> bytes:
    """Encode any reply as the JSON body to send (status is implied by the type)."""
    if isinstance(reply, BalanceReply):
        # The hot path: built by hand, exact by construction.
        return b'{"status":true,"balance":%s}' % format_amount(reply.balance).encode()
    if isinstance(reply, ErrorReply):
        return _encoder.encode({"status": False, "code": str(reply.code), "message": reply.message})
    if isinstance(reply, JackpotsReply):
        return _encoder.encode(
            {
                "status": True,
                "jackpots": [
                    {
                        "name": j.name,
                        "amount": Decimal(format_amount(j.amount)),
                        "currency": j.currency,
                    }
                    for j in reply.jackpots
                ],
            }
        )
    if isinstance(reply, UrlReply):
        return _encoder.encode({"url": reply.url})
    if isinstance(reply, FreespinsCreated):
        return _encoder.encode({"status": True, "new_campaign_id": reply.new_campaign_id})
    if isinstance(reply, GamesReply):
        return _encoder.encode({"status": True, "games": reply.games})
    assert isinstance(reply, OkReply)
    return b'{"status":true}'


def encode_error(error: ProtocolError) -> bytes:
    """The wire body of a protocol error: the one translation point (STYLE.md 3)."""
    return encode_reply(ErrorReply(code=error.code, message=error.message))
