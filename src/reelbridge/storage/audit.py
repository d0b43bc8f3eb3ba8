"""The audit log of admin changes (who, what, before, after, why), shared by both sides.

Secrets never reach it: tokens are recorded as fingerprints.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from reelbridge.storage.sql import Flow, Sql, run

AUDIT_TABLES = frozenset({"audit_log", "provider_audit_log"})


def fingerprint(token: str) -> str:
    """A short, non-reversible label for a token, safe to log and audit."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:12]


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
