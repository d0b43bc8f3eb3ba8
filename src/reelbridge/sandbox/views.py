"""What the page and the export show of each wallet call."""

from __future__ import annotations

import datetime
import json
from typing import Any

from reelbridge.testing.certify.fault_wallet import Call
from reelbridge.testing.certify.report import clip


def _pretty(data: bytes) -> str:
    try:
        return json.dumps(json.loads(data), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        return clip(data)


def _time(at: float) -> str:  # float ok: wall-clock seconds
    return datetime.datetime.fromtimestamp(at, datetime.UTC).strftime("%H:%M:%S.%f")[:-3]


def call_view(call: Call) -> dict[str, Any]:
    """A call as the page's table row shows it."""
    fields = call.fields
    answer: Any = None
    if call.done:
        try:
            answer = json.loads(call.answer)
        except ValueError:
            answer = None
    outcome = "pending"
    if call.done:
        if isinstance(answer, dict) and answer.get("status") is True:
            outcome = f"ok {answer.get('balance')}"
        elif isinstance(answer, dict) and answer.get("status") is False:
            outcome = str(answer.get("code"))
        else:
            outcome = f"HTTP {call.status}, not a protocol answer"
    return {
        "seq": call.seq,
        "time": _time(call.at),
        "client_id": call.client_id,
        "action": call.action or "?",
        "type": fields.get("type", ""),
        "amount": fields.get("amount", ""),
        "transaction_id": fields.get("transaction_id", ""),
        "round_id": fields.get("round_id", ""),
        "session_id": fields.get("session_id", ""),
        "sign_ok": call.sign_ok,
        "sign_reason": call.sign_reason,
        "signature": call.signature or "",
        "fault": call.fault or "",
        "status": call.status,
        "outcome": outcome,
        "ok": call.accepted,
        "latency": f"{call.latency_ms:.1f}" if call.done else "…",
        "request": _pretty(call.body),
        "answer": _pretty(call.answer) if call.done else "",
    }


def export(calls: list[Call]) -> list[dict[str, Any]]:
    """Every call for the JSON export: bytes as text, times in ISO 8601."""
    return [
        {
            "seq": c.seq,
            "at": datetime.datetime.fromtimestamp(c.at, datetime.UTC).isoformat(),
            "client_id": c.client_id,
            "action": c.action,
            "request": c.body.decode("utf-8", "replace"),
            "signature": c.signature,
            "signature_ok": c.sign_ok,
            "signature_check": c.sign_reason,
            "fault": c.fault,
            "status": c.status,
            "answer": c.answer.decode("utf-8", "replace"),
            "latency_ms": round(c.latency_ms, 2),
            "answered": c.done,
        }
        for c in calls
    ]
