"""Client ids and the rotation of their tokens: the rules both sides apply (pure).

A client has one to ``MAX_TOKENS`` tokens: the first signs what we send it, every one
verifies what it sends us (B2). Rotating a token without refusing a single call takes
three steps on *each* side, in this order (``docs/deploy.md``, "Key rotation"):

1. ``add`` the new token (appended: the old one still signs; both verify);
2. once both sides verify with it, ``add`` it again with ``primary`` (it moves first:
   it signs from now on; the old one still verifies);
3. once both sides sign with the new one, ``retire`` the old one.

Client ids starting with ``@`` are reserved (``@admin`` is the actor of admin deposits
in the journal's client column); no integration may take one.
"""

from __future__ import annotations

from reelbridge.storage.audit import fingerprint

MAX_TOKENS = 4
RESERVED_PREFIX = "@"


class TokenRefused(ValueError):
    """A client or token change that cannot be made; ``kind`` says how it is answered:
    ``bad_request``, ``conflict`` or ``not_found``."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        self.message = message
        super().__init__(message)


def check_client_id(client_id: str) -> None:
    """Refuse a reserved client id.

    Raises:
        TokenRefused: the id starts with ``@``.
    """
    if client_id.startswith(RESERVED_PREFIX):
        raise TokenRefused(
            "bad_request", f"client ids starting with {RESERVED_PREFIX!r} are reserved"
        )


def with_token(tokens: tuple[str, ...], new: str, *, primary: bool) -> tuple[str, ...]:
    """The tokens once ``new`` is added (last), or moved first with ``primary``.

    Raises:
        TokenRefused: the client would have more than ``MAX_TOKENS`` tokens.
    """
    if new in tokens:
        rest = tuple(t for t in tokens if t != new)
        return (new, *rest) if primary else tokens
    if len(tokens) >= MAX_TOKENS:
        raise TokenRefused(
            "conflict", f"a client has at most {MAX_TOKENS} tokens: retire one first"
        )
    return (new, *tokens) if primary else (*tokens, new)


def without_token(
    tokens: tuple[str, ...], *, token: str | None = None, fp: str | None = None, key: bytes
) -> tuple[str, ...]:
    """The tokens once the one given (by value, or by its fingerprint under ``key``) is
    retired.

    Raises:
        TokenRefused: no such token, or it is the client's last one.
    """
    if (token is None) == (fp is None):
        raise TokenRefused("bad_request", "name the token to retire by value or fingerprint")
    kept = tuple(
        t for t in tokens if not (t == token if token is not None else fingerprint(t, key) == fp)
    )
    if len(kept) == len(tokens):
        raise TokenRefused("not_found", "the client has no such token")
    if not kept:
        raise TokenRefused("conflict", "that is the client's last token: add another first")
    return kept
