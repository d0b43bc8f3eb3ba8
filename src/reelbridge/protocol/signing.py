"""X-Sign: HMAC-SHA256 over the exact body bytes (PROTOCOL.md Part A, rules B1–B2).

Both functions work on bytes as they are on the wire: never re-serialise JSON before
signing or verifying, because PHP's ``json_encode`` escapes ``/`` and non-ASCII
characters and any re-encoding would change the bytes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

SIGN_HEADER = "X-Sign"


def sign(body: bytes, token: str) -> str:
    """Return the lowercase hex HMAC-SHA256 of ``body`` keyed with ``token``.

    Equivalent to PHP's ``hash_hmac('sha256', $body, $token)``.
    """
    return hmac.new(token.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, tokens: Iterable[str]) -> bool:
    """Check ``header`` against the signature of ``body`` under each token.

    Several tokens may be valid during a key rotation (rule B2). Every candidate is
    compared in constant time; an absent header never verifies. Hex case is ignored.
    """
    if not header:
        return False
    presented = header.strip().lower().encode("ascii", "replace")
    matched = False
    for token in tokens:
        # No early exit: the time taken does not reveal which token matched.
        matched |= hmac.compare_digest(sign(body, token).encode("ascii"), presented)
    return matched
