"""How the wallet kit talks to a wallet: exact signed bytes out, answers read strictly.

Every answer is checked against Part B 4–5 on the way in (HTTP 200, a JSON object,
a known error code, a balance that is a JSON number with at most four decimals), so a
scenario only states the rule it proves.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from reelbridge.protocol import SIGN_HEADER, ErrorCode, format_amount, parse_amount_text, sign
from reelbridge.protocol.money import AmountError
from reelbridge.testing.certify.report import Exchange, clip

FIELD_ORDER = ("action", "type", "session_id", "amount", "transaction_id", "round_id", "game_id")
SIGNED = object()
"""``signature=SIGNED`` (the default): sign the body with the client's token."""


class Number(str):
    """The exact text of a JSON number, as it was on the wire."""

    __slots__ = ()


def wallet_body(action: str, *, amount: str | None = None, quoted: bool = False,
                **fields: str) -> bytes:  # fmt: skip
    """A compact wallet request in the protocol's field order.

    Args:
        action: ``bet``, ``win``, ``refund``, ``balance`` (or anything, to probe).
        amount: the amount's decimal text, written verbatim as a JSON number, or as a
            JSON string when ``quoted``.
        fields: the other fields (``type``, ``session_id`` …), written as JSON strings.
    """
    values: dict[str, str] = {"action": json.dumps(action, ensure_ascii=False)}
    if amount is not None:
        values["amount"] = json.dumps(amount) if quoted else amount
    values.update({k: json.dumps(v, ensure_ascii=False) for k, v in fields.items()})
    order = [k for k in FIELD_ORDER if k in values] + [k for k in values if k not in FIELD_ORDER]
    return ("{" + ",".join(f'"{k}":{values[k]}' for k in order) + "}").encode()


@dataclass(frozen=True)
class Answer:
    """A wallet's answer, read strictly.

    Attributes:
        exchange: the request and the raw answer (for the report).
        balance: the balance in units, for a success.
        code: the error code, for a refusal.
        message: the refusal's message.
        problem: why the answer is not a valid protocol answer (None when it is).
    """

    exchange: Exchange
    balance: int | None = None
    code: str | None = None
    message: str = ""
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """A valid success answer."""
        return self.problem is None and self.balance is not None

    def describe(self) -> str:
        """What the answer said, in a few words."""
        if self.problem is not None:
            return self.problem
        if self.balance is not None:
            return f"success, balance {format_amount(self.balance)}"
        return f"{self.code}: {self.message}"


def read_answer(
    status: int | None, content: bytes
) -> tuple[int | None, str | None, str, str | None]:
    """``(balance, code, message, problem)`` of a raw answer (Part A; B4, B5, B7)."""
    if status is None:
        return None, None, "", "no answer"
    if status != 200:
        return None, None, "", f"HTTP {status}: every protocol answer is HTTP 200 (B4)"
    try:
        data: Any = json.loads(content, parse_float=Number, parse_int=Number)
    except (ValueError, RecursionError):
        return None, None, "", "the answer is not JSON (B4)"
    if not isinstance(data, dict) or not isinstance(data.get("status"), bool):
        return None, None, "", 'the answer is not an object with a boolean "status" (Part A)'
    if data["status"]:
        raw = data.get("balance")
        if not isinstance(raw, Number):
            return None, None, "", f"balance {raw!r} is not a JSON number (B5)"
        try:
            balance = parse_amount_text(raw)
        except AmountError as exc:
            return None, None, "", f"balance {raw} is not exact to 4 decimals (B5): {exc}"
        if balance < 0:
            return None, None, "", f"negative balance {raw} (B7)"
        return balance, None, "", None
    code, message = data.get("code"), data.get("message")
    if code not in set(ErrorCode):
        return None, None, "", f"error code {code!r} is not one of the protocol's twelve"
    if not isinstance(message, str):
        return None, str(code), "", "an error answer without a message (Part A)"
    return None, str(code), message, None


class WalletHttp:
    """Signed POSTs of exact bytes to one wallet URL."""

    def __init__(self, url: str, token: str, http: httpx.AsyncClient) -> None:
        self.url = url
        self.token = token
        self._http = http

    async def post(
        self,
        body: bytes,
        *,
        signature: object = SIGNED,
        header: str = SIGN_HEADER,
        note: str = "",
    ) -> Answer:
        """POST ``body``; ``signature`` is SIGNED, a header value, or None (no header)."""
        headers = {"Content-Type": "application/json"}
        if signature is SIGNED:
            headers[header] = sign(body, self.token)
        elif isinstance(signature, str):
            headers[header] = signature
        shown = {k: v for k, v in headers.items() if k != "Content-Type"}
        started = time.perf_counter()
        status: int | None = None
        try:
            response = await self._http.post(self.url, content=body, headers=headers)
            status, content = response.status_code, response.content
            text = clip(content)
        except httpx.HTTPError as exc:
            content, text = b"", f"{type(exc).__name__}: {exc}"
        exchange = Exchange(
            method="POST",
            url=self.url,
            request=clip(body),
            headers=shown,
            status=status,
            response=text,
            latency_ms=(time.perf_counter() - started) * 1000,
            note=note,
        )
        balance, code, message, problem = read_answer(status, content)
        if status is None:
            problem = f"no answer: {text}"
        return Answer(exchange, balance, code, message, problem)
