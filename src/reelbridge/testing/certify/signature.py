"""Why a signature fails: the diagnosis the kit's wallet and the sandbox show per call.

Sans-IO (STYLE.md 2): bytes and tokens in, a verdict out. Beyond "valid" or "invalid"
it recognises the usual integration mistakes: no header, a value that is not a hex
HMAC, a signature of re-serialised JSON instead of the bytes sent (PROTOCOL.md B1),
of the body with surrounding whitespace trimmed, or made with another client's token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reelbridge.protocol import verify

_HEX = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on one request's ``X-Sign``: ``ok`` and a reason a person can act on."""

    ok: bool
    reason: str


def _variants(body: bytes) -> list[tuple[str, Callable[[], bytes]]]:
    def load() -> object:
        return json.loads(body)

    return [
        ("compact re-serialised JSON", lambda: json.dumps(load(), separators=(",", ":")).encode()),
        ("re-serialised JSON with spaces", lambda: json.dumps(load()).encode()),
        ("re-serialised JSON, unescaped", lambda: json.dumps(load(), ensure_ascii=False).encode()),
        (
            "re-serialised JSON with sorted keys",
            lambda: json.dumps(load(), sort_keys=True).encode(),
        ),
        ("the body without surrounding whitespace", body.strip),
        ("the body with a trailing newline", lambda: body + b"\n"),
    ]


def diagnose(
    body: bytes,
    header: str | None,
    tokens: Sequence[str],
    *,
    others: Mapping[str, Sequence[str]] | None = None,
) -> SignatureCheck:
    """Check ``header`` against ``body`` under the client's ``tokens`` and explain.

    Args:
        body: the exact bytes received.
        header: the ``X-Sign`` value (None when absent).
        tokens: the client's valid tokens (empty: the client is unknown).
        others: other clients' tokens by client id, to recognise a mix-up.
    """
    if not tokens:
        return SignatureCheck(False, "unknown client id: no token to check against")
    if header is None or not header.strip():
        return SignatureCheck(False, "no X-Sign header")
    value = header.strip()
    if verify(body, value, tokens):
        if value != value.lower():
            return SignatureCheck(True, "valid (upper-case hex; the protocol writes lower-case)")
        return SignatureCheck(True, "valid")
    if not _HEX.fullmatch(value):
        return SignatureCheck(False, f"X-Sign is not 64 hex digits (HMAC-SHA256): {value[:80]!r}")
    for what, make in _variants(body):
        try:
            other = make()
        except (ValueError, RecursionError):
            continue  # not JSON: no re-serialisation to compare with
        if other != body and verify(other, value, tokens):
            return SignatureCheck(False, f"signed over {what}, not over the bytes sent (B1)")
    for client_id, their in (others or {}).items():
        if verify(body, value, their):
            return SignatureCheck(False, f"signed with the token of client {client_id}")
    return SignatureCheck(False, "does not match the bytes under any token of this client")
