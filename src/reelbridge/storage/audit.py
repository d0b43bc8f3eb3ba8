"""The audit log of admin changes (who, what, before, after, why), shared by both sides.

Secrets never reach it: tokens are recorded as fingerprints, keyed with a server secret
(HMAC-SHA256 under ``fingerprint_key``), so a listing or an audit row can't be tested
offline against guessed tokens. Fingerprints are computed when a row is read or written,
never stored for lookup: changing the key changes every fingerprint shown from then on
(audit rows written before keep theirs).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from typing import Any

from reelbridge.storage.sql import Flow, Sql, run

AUDIT_TABLES = frozenset({"audit_log", "provider_audit_log"})


def fingerprint(token: str, key: bytes) -> str:
    """A short, non-reversible label for a token, safe to show, log and audit: the first
    12 hex digits of HMAC-SHA256(key, token)."""
    return "fp:" + hmac.new(key, token.encode(), hashlib.sha256).hexdigest()[:12]


def fingerprint_key(configured: str, admin_token: str) -> bytes:
    """The key of fingerprints: the ``fingerprint_key`` setting, or one derived from the
    admin token when it is empty (rotating that token then changes the fingerprints)."""
    if configured:
        return configured.encode()
    return hmac.new(admin_token.encode(), b"reelbridge token fingerprints", hashlib.sha256).digest()


@functools.cache
def _insert(table: str) -> Sql:
    if table not in AUDIT_TABLES:
        raise ValueError(f"not an audit table: {table}")
    return Sql.of(
        f"""INSERT INTO {table} (actor, action, subject, before, after, reason, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)"""
    )


def _dump(data: Any) -> str | None:
    return None if data is None else json.dumps(data, sort_keys=True)


def audit(
    table: str,
    *,
    actor: str,
    action: str,
    subject: str,
    before: Any,
    after: Any,
    reason: str,
    now: int,
) -> Flow[None]:
    """Write one audit row in the same unit of work as the change it describes."""
    yield run(_insert(table), actor, action, subject, _dump(before), _dump(after), reason, now)
