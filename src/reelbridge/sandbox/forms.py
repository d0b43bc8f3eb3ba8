"""The sandbox's forms: parsing and validation, sans-IO (a bad field is a ``FormError``
with a message for the page, never an exception that reaches the server).

Every form carries the page's CSRF token (``check_csrf``): only a page served by this
sandbox can read it, so a form posted from another site is refused.
(``Form`` and its errors are the pages' shared ones, ``reelbridge.pages.forms``.)
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from reelbridge.pages.forms import CsrfError, Form, FormError, foreign_origin
from reelbridge.protocol import ErrorCode, parse_amount_text
from reelbridge.protocol.money import AmountError
from reelbridge.testing.certify.fault_wallet import garbage
from reelbridge.testing.faults import Fault, delay, forward_then_fail, http_status, not_json, reply

__all__ = [
    "ACTIONS",
    "FAULT_KINDS",
    "CsrfError",
    "Form",
    "FormError",
    "check_csrf",
    "fault_order",
    "launch_order",
    "session_order",
]

ACTIONS = ("any", "bet", "win", "refund", "balance")
FAULT_KINDS = {
    "late": "answer after N s (the wallet applies it at once)",
    "slow": "apply and answer after N s",
    "drop": "never apply; HTTP 504 after N s",
    "error": "answer a protocol error (not applied)",
    "http": "answer an HTTP status (not applied)",
    "not_json": "answer an HTML page (not applied)",
    "garbage": "answer broken JSON (not applied)",
    "lost": "apply, then answer HTTP 502 (a lost answer)",
}
_CURRENCY = re.compile(r"[A-Z]{3}")
_LANGUAGE = re.compile(r"[a-z]{2}")


def check_csrf(form: Form, expected: str, origin: str | None, host: str | None) -> None:
    """Refuse a form without this page's token, or sent from another origin (an opaque
    ``Origin: null`` proves nothing either way: the token decides)."""
    if not hmac.compare_digest(form.get("csrf").encode(), expected.encode()):
        raise CsrfError("this form expired or came from another site: reload the page and retry")
    if foreign_origin(origin, host):
        assert origin is not None
        raise CsrfError(f"a form from {origin[:100]} is not accepted here")


@dataclass(frozen=True)
class FaultOrder:
    """A fault to queue: what, on which action (None: any), how many times (None: until removed)."""

    fault: Fault
    action: str | None
    times: int | None


def fault_order(form: Form) -> FaultOrder:
    """Read the fault form."""
    kind = form.get("kind")
    if kind not in FAULT_KINDS:
        raise FormError(f"choose what the fault does (one of {', '.join(FAULT_KINDS)})")
    action = form.get("action", "any")
    if action not in ACTIONS:
        raise FormError(f"the action must be one of {', '.join(ACTIONS)}")
    times = form.integer("times", "Times", 0, 1000, 1)
    if kind == "late":
        fault = delay(form.seconds("seconds", "Seconds"), forward="before")
    elif kind == "slow":
        fault = delay(form.seconds("seconds", "Seconds"), forward="after")
    elif kind == "drop":
        fault = delay(form.seconds("seconds", "Seconds"), forward="never")
    elif kind == "error":
        code = form.get("code")
        if code not in set(ErrorCode):
            raise FormError("choose one of the protocol's twelve error codes")
        message = form.get("message")
        if len(message) > 500 or not message.isprintable():
            raise FormError("the message must be at most 500 printable characters")
        fault = reply(code, message)
    elif kind == "http":
        fault = http_status(form.integer("status", "HTTP status", 300, 599, 500))
    else:
        fault = {"not_json": not_json, "garbage": garbage, "lost": forward_then_fail}[kind]()
    return FaultOrder(fault, None if action == "any" else action, times or None)


@dataclass(frozen=True)
class SessionOrder:
    """A player to create (idempotent), fund and open a wallet session for."""

    player_id: str
    currency: str
    game_id: str
    deposit: str  # decimal text, "0" for none


def session_order(form: Form) -> SessionOrder:
    """Read the session form."""
    player = form.required("player_id", "Player id")
    currency = form.get("currency", "EUR").upper()
    if not _CURRENCY.fullmatch(currency):
        raise FormError("the currency must be three letters (ISO 4217), e.g. EUR")
    game = form.required("game_id", "Game id")
    deposit = form.get("deposit") or "0"
    try:
        units = parse_amount_text(deposit)
    except AmountError:
        raise FormError(
            f"the deposit {deposit[:30]!r} is not an amount with at most 4 decimals"
        ) from None
    if units < 0:
        raise FormError("the deposit cannot be negative")
    return SessionOrder(player, currency, game, deposit)


@dataclass(frozen=True)
class LaunchOrder:
    """A signed game-url (``session_id`` set) or demo-url call to a provider."""

    provider_url: str
    path: str
    session_id: str | None
    game_id: str
    language: str


def launch_order(form: Form) -> LaunchOrder:
    """Read the launch form."""
    provider = form.url("provider_url", "The provider's URL")
    demo = form.get("mode") == "demo"
    path = form.get("path") or ("/api/demo-url" if demo else "/api/game-url")
    if not path.startswith("/") or any(c.isspace() for c in path):
        raise FormError("the endpoint path must start with / and contain no spaces")
    language = form.get("language") or "en"
    if not _LANGUAGE.fullmatch(language):
        raise FormError("the language must be two lower-case letters (ISO 639-1)")
    session = None if demo else form.required("session_id", "A session (open one first)")
    game = form.get("game_id") if demo else ""
    if demo and not game:
        raise FormError("a demo launch needs a game id")
    return LaunchOrder(provider, path, session, game, language)
