"""In-memory fakes of the provider's ports: clock, ids and the wallet transport.

With them (and the storage engine on ``sqlite:///:memory:``) the provider's rules run
in a unit test without a socket: ``FakeWallet`` is a ``WalletTransport`` that keeps
balances per session, applies the wallet rules a provider relies on (B7, B9, B11–B13
in their simplest form) and misbehaves on cue::

    wallet = FakeWallet({"session-1": 100_0000})
    wallet.fail("win", Fault.refuse("INTERNAL_ERROR", "down"), times=2)
    wallet.fail("bet", Fault.no_answer(applied=True))    # the bet lands, the answer is lost
    ... wallet.calls("win")                               # every attempt, bytes and signature
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reelbridge.protocol import format_amount, parse_amount_text
from reelbridge.provider.wallet_client import RawReply, TransportError

US = 1_000_000


class FakeClock:
    """Microseconds since the epoch that move only when told to."""

    def __init__(self, start: int = 1_700_000_000 * US) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:  # float ok: seconds of test time
        """Move forward by ``seconds``."""
        self.now += int(seconds * US)


class SequentialIds:
    """Round ids ``{prefix}-1``, ``{prefix}-2``, … (the ``RoundIds`` port)."""

    def __init__(self, prefix: str = "round") -> None:
        self._prefix = prefix
        self._next = 0

    def __call__(self) -> str:
        self._next += 1
        return f"{self._prefix}-{self._next}"


@dataclass(frozen=True)
class Fault:
    """What the fake wallet does instead of answering normally."""

    kind: str  # "refuse" | "no_answer" | "status" | "garbage"
    code: str = ""
    message: str = ""
    status: int = 200
    applied: bool = False  # no_answer: whether the wallet applied the call first

    @classmethod
    def refuse(cls, code: str, message: str = "refused") -> Fault:
        """A protocol error answer (nothing applied)."""
        return cls("refuse", code=code, message=message)

    @classmethod
    def no_answer(cls, *, applied: bool = False) -> Fault:
        """A timeout or lost connection, after applying the call or not."""
        return cls("no_answer", applied=applied)

    @classmethod
    def http(cls, status: int) -> Fault:
        """A non-2xx answer (nothing applied)."""
        return cls("status", status=status)

    @classmethod
    def garbage(cls) -> Fault:
        """A body that is not the protocol's (nothing applied)."""
        return cls("garbage")


@dataclass(frozen=True)
class Call:
    """One request the fake wallet received."""

    url: str
    body: bytes
    signature: str
    action: str
    transaction_id: str | None
    data: dict[str, Any]


@dataclass
class _Faults:
    fault: Fault
    times: int | None


@dataclass
class FakeWallet:
    """A wallet behind a fake transport (implements ``WalletTransport``)."""

    balances: dict[str, int] = field(default_factory=dict)
    received: list[Call] = field(default_factory=list)
    _faults: dict[str, list[_Faults]] = field(default_factory=dict)
    _seen: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _refunded: set[str] = field(default_factory=set)

    def fail(self, action: str, fault: Fault, *, times: int | None = 1) -> None:
        """Answer the next ``times`` calls of ``action`` with ``fault`` (None: always)."""
        self._faults.setdefault(action, []).append(_Faults(fault, times))

    def clear(self) -> None:
        """Forget every queued fault."""
        self._faults.clear()

    def calls(self, action: str | None = None) -> list[Call]:
        """Every request received (of ``action``), in order."""
        return [c for c in self.received if action is None or c.action == action]

    async def post(
        self, url: str, body: bytes, signature: str, *, request_id: str = ""
    ) -> RawReply:
        """Receive a signed request (the ``WalletTransport`` port)."""
        data = json.loads(body)
        action = str(data.get("action"))
        self.received.append(Call(url, body, signature, action, data.get("transaction_id"), data))
        fault = self._next_fault(action)
        if fault is not None and fault.kind == "no_answer":
            if fault.applied:
                self._apply(data)
            raise TransportError("ReadTimeout (fake)")
        if fault is not None and fault.kind == "status":
            return RawReply(fault.status, b"<html>bad gateway</html>")
        if fault is not None and fault.kind == "garbage":
            return RawReply(200, b"not json")
        if fault is not None:
            return _error(fault.code, fault.message)
        return self._apply(data)

    def _next_fault(self, action: str) -> Fault | None:
        queue = self._faults.get(action, [])
        if not queue:
            return None
        head = queue[0]
        if head.times is not None:
            head.times -= 1
            if head.times <= 0:
                queue.pop(0)
        return head.fault

    def _apply(self, data: dict[str, Any]) -> RawReply:
        session = str(data.get("session_id"))
        if session not in self.balances:
            return _error("SESSION_NOT_FOUND", "Session not found")
        action, tx = str(data["action"]), str(data.get("transaction_id", ""))
        if action == "balance":
            return _ok(self.balances[session])
        key = (action, tx)
        if key in self._seen:  # B9: a repeat changes nothing
            return _ok(self.balances[session])
        amount = parse_amount_text(str(data.get("amount", "0")))
        if action == "bet":
            if tx in self._refunded:  # B11: a refund came first
                return _error("TRANSACTION_DENIED", "Refunded before")
            if amount > self.balances[session]:
                return _error("INSUFFICIENT_BALANCE", "Insufficient balance")
            self.balances[session] -= amount
        elif action == "win":
            self.balances[session] += amount
        elif action == "refund":
            bet = self._seen.get(("bet", tx))
            if bet is not None:
                self.balances[session] += parse_amount_text(str(bet["amount"]))
            self._refunded.add(tx)
        self._seen[key] = data
        return _ok(self.balances[session])


def _ok(balance: int) -> RawReply:
    return RawReply(200, f'{{"status":true,"balance":{format_amount(balance)}}}'.encode())


def _error(code: str, message: str) -> RawReply:
    body = json.dumps({"status": False, "code": code, "message": message})
    return RawReply(200, body.encode())


__all__ = ["Call", "FakeClock", "FakeWallet", "Fault", "SequentialIds"]
