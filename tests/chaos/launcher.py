"""``reelbridge …`` as the chaos suite starts it, with a deliberately injected bug when
``CHAOS_BUG`` names one. Only this launcher reads that variable: the product has no such
switch. Usage: ``python tests/chaos/launcher.py provider serve --port …``.

The bugs (each must make the chaos suite fail):

- ``skip-outbox-write`` (provider): a win is sent straight away but never written to the
  outbox, so nothing resends it when its answer is lost or the process dies (B14);
- ``apply-duplicate-twice`` (wallet): the wallet forgets, per process, which bets and
  wins it has seen and applies a repeat under a fresh key — a repeated id moves money
  again (B9).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelbridge import bootstrap
from reelbridge.cli import main
from reelbridge.protocol import SIGN_HEADER, sign
from reelbridge.provider import outbox
from reelbridge.provider.outbox import Delivery
from reelbridge.provider.states import OutboxKind


def skip_outbox_write() -> None:
    """Wins are sent without their outbox row (the round closes when one lands)."""
    add, mark_delivered = outbox.add, outbox.mark_delivered

    def add_without_wins(kind: OutboxKind, **fields: Any) -> Any:
        if kind is OutboxKind.WIN:
            keys = ("client_id", "round_id", "transaction_id", "body")
            client_id, round_id, tx, body = (fields[k] for k in keys)
            return Delivery(-1, client_id, round_id, kind, tx, body, 0)
            yield  # a flow like the one it replaces
        return (yield from add(kind, **fields))

    def delivered(delivery: Delivery, *, balance: int, now: int) -> Any:
        if delivery.outbox_id < 0:
            return True
            yield
        return (yield from mark_delivered(delivery, balance=balance, now=now))

    outbox.add = add_without_wins  # type: ignore[assignment]
    outbox.mark_delivered = delivered  # type: ignore[assignment]


class ApplyTwice:
    """Wallet middleware: a bet or win whose id this process has seen is applied again
    under the id ``<id>#again`` (re-signed with ``CHAOS_CLIENT_TOKEN``)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._token = token
        self._seen: set[tuple[str, str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/wallet/"):
            await self._app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = list(scope["headers"])
        try:
            data = json.loads(body)
            key = (str(data["action"]), str(data["transaction_id"]))
        except (ValueError, KeyError, TypeError):
            key = ("", "")
        if key[0] in ("bet", "win"):
            if key in self._seen:
                data["transaction_id"] = f"{key[1]}#again"
                body = json.dumps(data).encode()
                name = SIGN_HEADER.lower().encode()
                headers = [(k, v) for k, v in headers if k.lower() != name]
                headers.append((name, sign(body, self._token).encode()))
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
            self._seen.add(key)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self._app({**scope, "headers": headers}, replay, send)


def apply_duplicate_twice() -> None:
    """The aggregator app is wrapped in ``ApplyTwice``."""
    build = bootstrap.build_aggregator
    token = os.environ["CHAOS_CLIENT_TOKEN"]

    def build_forgetful(*args: Any, **kwargs: Any) -> Any:
        return ApplyTwice(build(*args, **kwargs), token)

    bootstrap.build_aggregator = build_forgetful  # type: ignore[assignment]


BUGS: dict[str, Callable[[], None]] = {
    "skip-outbox-write": skip_outbox_write,
    "apply-duplicate-twice": apply_duplicate_twice,
}

if __name__ == "__main__":
    bug = os.environ.get("CHAOS_BUG", "")
    if bug:
        BUGS[bug]()
    sys.argv = ["reelbridge", *sys.argv[1:]]
    main()
