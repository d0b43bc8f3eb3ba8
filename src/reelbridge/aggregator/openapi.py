"""The admin API described as OpenAPI 3.1, generated from its own parts: request bodies
are the msgspec Structs the handlers decode (``msgspec.json.schema_components``), query
parameters are the listings' filters. ``GET /admin/openapi.json`` serves it (admin
token); the fuzz test (tests/integration/test_admin_fuzz.py) sends what it describes,
and worse, and expects no 500. A test checks that every admin route is described."""

from __future__ import annotations

from typing import Any

import msgspec

from reelbridge.aggregator.admin_api import (
    ClientIn,
    CloseIn,
    MoneyIn,
    PlayerIn,
    RetireIn,
    SessionIn,
    TokenIn,
)
from reelbridge.aggregator.limits_api import BlockIn, ExclusionIn, LimitsIn
from reelbridge.aggregator.listings import LISTINGS

BODIES: dict[str, tuple[type[msgspec.Struct], str]] = {
    "/admin/clients": (ClientIn, "Create a client or replace its tokens."),
    "/admin/clients/{client_id}/tokens": (TokenIn, "Add a token (primary: it signs)."),
    "/admin/clients/{client_id}/tokens/retire": (RetireIn, "Retire a token."),
    "/admin/players": (PlayerIn, "Create a player with an account in a currency."),
    "/admin/deposits": (MoneyIn, "Credit a player (idempotent on reference)."),
    "/admin/withdrawals": (MoneyIn, "Debit a player (idempotent on reference)."),
    "/admin/sessions": (SessionIn, "Open a wallet session."),
    "/admin/sessions/{session_id}/close": (CloseIn, "Close a session."),
    "/admin/players/{player_id}/limits": (
        LimitsIn,
        "Set, lower, raise (after cooling-off) or remove a player's limits (B19).",
    ),
    "/admin/players/{player_id}/exclusion": (ExclusionIn, "Self-exclude a player (B20)."),
    "/admin/players/{player_id}/block": (BlockIn, "Block or unblock a player (B20)."),
}
OTHER_GETS = {
    "/admin/ledger": "Reconcile stored balances with the journal.",
    "/admin/players/{player_id}/limits": "A player's limits, totals and waiting changes.",
    "/metrics": "Prometheus metrics (text).",
    "/admin/openapi.json": "This document.",
}
_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}


def _parameters(path: str, query: list[str]) -> list[dict[str, Any]]:
    names = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
    found: list[dict[str, Any]] = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
    ]
    found += [{"name": n, "in": "query", "schema": {"type": "string"}} for n in query]
    return found


def _responses(ok: str) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "200": {"description": ok},
        **{code: {"description": why, **error} for code, why in (
            ("400", "invalid input; nothing changed"), ("401", "missing or wrong token"),
            ("404", "unknown client, player or session"), ("409", "contradicts what is stored"),
        )},
    }  # fmt: skip


def admin_openapi() -> dict[str, Any]:
    """The OpenAPI document of the aggregator's admin API."""
    kinds = sorted({kind for kind, _ in BODIES.values()}, key=lambda k: k.__name__)
    refs, components = msgspec.json.schema_components(
        kinds, ref_template="#/components/schemas/{name}"
    )
    paths: dict[str, Any] = {}
    for path, (kind, summary) in BODIES.items():
        paths[path] = {"post": {
            "summary": summary,
            "parameters": _parameters(path, []),
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": refs[kinds.index(kind)]}}},
            "responses": _responses("done"),
        }}  # fmt: skip
    for name, spec in LISTINGS.items():
        query = [*sorted(spec.filters), "limit", "offset"]
        paths.setdefault(f"/admin/{name}", {})["get"] = {
            "summary": f"List {name} (newest first where it matters).",
            "parameters": _parameters(f"/admin/{name}", query),
            "responses": _responses("a page: items, limit, offset, next_offset"),
        }  # fmt: skip
    for path, summary in OTHER_GETS.items():
        paths.setdefault(path, {})["get"] = {
            "summary": summary,
            "parameters": _parameters(path, []),
            "responses": _responses("the answer"),
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "reelbridge aggregator admin API", "version": "1"},
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": {**components, "Error": _ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
