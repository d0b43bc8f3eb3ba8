"""A remote game engine in miniature: what a studio's engine does to play through
reelbridge (see docs/remote-engine.md). Standard library only; any language works the
same way, the API is plain signed JSON over HTTP.

The game, "Lucky Dice": the engine draws u in 0..99 from its own RNG; u = 0 pays
50 × the stake, u < 6 pays 5 ×, u < 16 pays 2 ×, anything else loses. Its RTP is
0.50 + 0.25 + 0.20 = 19/20, declared at registration; the maths is the engine's own.

A round, as the engine must play it:

1. open it at reelbridge (``POST /engine/v1/rounds``) under the engine's own round id;
   if the answer is lost, repeat the same request (the same id never bets twice);
2. only when the answer says ``accepted``: draw the outcome, keep it (``--journal``),
   show it;
3. settle (``POST /engine/v1/rounds/{id}/settle``) and repeat the same settle until
   reelbridge answers it — also across a restart of reelbridge or of the engine;
4. ``rejected``: show the wallet's message; ``refunded``/``refunding``: show "Unknown
   error"; either way there is nothing to settle. An engine that can't produce an
   outcome for an accepted round cancels it (``…/cancel``) instead.

This process serves the player's side: ``GET /play?token=…`` (the launch URL: a tiny
page), ``POST /play`` ``{"launch_token", "bet_id", "hold"}`` (one round; ``hold`` keeps
the settle until ``POST /rounds/{id}/release``, for tests), ``GET /session?token=…``
(the engine API's session, for the page), ``GET /rounds/{id}`` and ``GET /health``.
Run it (docs/remote-engine.md, "Try it", registers it first)::

    REELBRIDGE_ENGINE_TOKEN=$ENGINE_TOKEN .venv/bin/python \\
        examples/remote-engine/engine.py --engine-id dice-studio \\
        --reelbridge-url http://127.0.0.1:8001 --port 9100
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PAYS = ((1, 50), (6, 5), (16, 2))  # (u below, multiplier): first match wins
RETRYABLE = {"spin_in_progress", "unavailable", "internal", "unauthorized"}
"""Error codes worth repeating the same request for (a 401 too: a token being rotated)."""


class Reelbridge:
    """The engine API client: every request signed with the engine's token."""

    def __init__(self, base_url: str, engine_id: str, token: str, timeout: float) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"reelbridge URL must be http(s): {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.engine_id = engine_id
        self.token = token.encode()
        self.timeout = timeout

    def call(self, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        """(status, JSON answer); status 0 when reelbridge did not answer at all."""
        body = b"" if data is None else json.dumps(data).encode()
        signed = body if data is not None else path.encode()  # a GET signs its path
        headers = {
            "X-Engine-Id": self.engine_id,
            "X-Sign": hmac.new(self.token, signed, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json",
        }
        # The URL is http(s), checked above.
        request = urllib.request.Request(  # noqa: S310
            self.base_url + path, data=body if data is not None else None, headers=headers,
            method=method,
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                return error.code, json.loads(error.read())
            except ValueError:
                return error.code, {"error": {"code": "internal", "message": "not JSON"}}
        except (OSError, ValueError) as error:  # refused, reset, timed out, garbage
            return 0, {"error": {"code": "unavailable", "message": str(error)}}


def answered(status: int, answer: Any) -> bool:
    """Whether an answer is final (anything else: repeat the same request later)."""
    if status == 200:
        return True
    code = answer.get("error", {}).get("code") if isinstance(answer, dict) else None
    return 400 <= status < 500 and code not in RETRYABLE


class Engine:
    """The engine's rounds: opened, drawn, kept, settled until reelbridge has them."""

    def __init__(self, api: Reelbridge, rng: random.Random, journal: str | None, cap: float):
        self.api = api
        self.rng = rng
        self.journal = journal
        self.cap = cap
        self.rounds: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.held: dict[str, threading.Event] = {}
        self.done: dict[str, threading.Event] = {}

    def keep(self, r: dict[str, Any]) -> None:
        """Remember a round (and append it to the journal: it survives a restart)."""
        with self.lock:
            self.rounds[r["engine_round_id"]] = dict(r)
            if self.journal:
                with open(self.journal, "a", encoding="utf-8") as out:
                    out.write(json.dumps(r) + "\n")
                    out.flush()
                    os.fsync(out.fileno())

    def resume(self) -> None:
        """After a restart: settle again every round whose settle was not answered."""
        if not self.journal or not os.path.exists(self.journal):
            return
        with open(self.journal, encoding="utf-8") as lines:
            for line in lines:
                r = json.loads(line)
                self.rounds[r["engine_round_id"]] = r
        for r in list(self.rounds.values()):
            if r["state"] in ("drawn", "settling"):
                self.settle_in_background(r["engine_round_id"])

    def repeat(self, method: str, path: str, data: dict[str, Any] | None, deadline: float) -> Any:
        delay = 0.1
        while True:
            status, answer = self.api.call(method, path, data)
            if answered(status, answer) or time.monotonic() > deadline:
                return status, answer
            time.sleep(delay)
            delay = min(self.cap, delay * 2)

    def play(self, launch_token: str, bet_id: int, hold: bool) -> dict[str, Any]:
        """One round: open, draw if accepted, settle (in the background)."""
        rid = f"{self.api.engine_id}-{time.time_ns()}-{self.rng.randrange(10**6):06d}"
        request = {"engine_round_id": rid, "launch_token": launch_token, "bet_id": bet_id}
        status, opened = self.repeat("POST", "/engine/v1/rounds", request, time.monotonic() + 30)
        r: dict[str, Any] = {"engine_round_id": rid, "open": opened, "state": "failed"}
        if status == 200 and opened["status"] == "accepted":
            u = self.rng.randrange(100)  # drawn only now that the bet is held
            multiplier = next((m for below, m in PAYS if u < below), 0)
            win = units(opened["stake"]) * multiplier
            r.update(state="drawn", outcome={"u": u, "multiplier": multiplier}, win=win)
        elif status == 200:
            r["state"] = opened["status"]  # rejected, refunded, refunding: nothing to settle
        elif status == 0:  # the open's fate is unknown: give up on the round, void it
            r["state"] = "cancelling"
        self.keep(r)
        if r["state"] == "cancelling":
            threading.Thread(target=self.cancel, args=(rid,), daemon=True).start()
        if r["state"] == "drawn":
            if hold:
                self.held[rid] = threading.Event()
            self.settle_in_background(rid)
        return self.rounds[rid]

    def settle_in_background(self, rid: str) -> None:
        self.done[rid] = threading.Event()
        threading.Thread(target=self.settle, args=(rid,), daemon=True).start()

    def settle(self, rid: str) -> None:
        """Repeat the same settle until reelbridge answers it (no deadline)."""
        if rid in self.held:
            self.held[rid].wait()
        r = dict(self.rounds[rid])
        data = {"engine_round_id": rid, "outcome": r["outcome"], "win": decimal(r["win"])}
        r["state"] = "settling"
        self.keep(r)
        status, answer = self.repeat("POST", f"/engine/v1/rounds/{rid}/settle", data, float("inf"))
        r.update(state="settled" if status == 200 else "settle-refused", settle=answer)
        self.keep(r)
        self.done[rid].set()

    def cancel(self, rid: str) -> None:
        data = {"engine_round_id": rid, "reason": "the engine could not open the round"}
        _, answer = self.repeat("POST", f"/engine/v1/rounds/{rid}/cancel", data, float("inf"))
        self.keep({**self.rounds[rid], "state": "cancelled", "cancel": answer})


def units(text: str) -> int:
    """Units of 1/10000 of a decimal string (exact: no float)."""
    whole, _, fraction = text.partition(".")
    return int(whole) * 10000 + int(fraction.ljust(4, "0")[:4])


def decimal(amount: int) -> str:
    return f"{amount // 10000}.{amount % 10000:04d}"


PAGE = """<!doctype html><meta charset="utf-8"><title>Lucky Dice</title>
<h1>Lucky Dice</h1><pre id="out">loading…</pre><button id="spin">Roll</button>
<script>
const token = new URLSearchParams(location.search).get("token");
const out = document.getElementById("out");
document.getElementById("spin").onclick = async () => {
  const body = JSON.stringify({launch_token: token, bet_id: 0});
  const r = await fetch("/play", {method: "POST", body});
  out.textContent = JSON.stringify(await r.json(), null, 2);
};
fetch("/session?token=" + encodeURIComponent(token)).then(r => r.json())
  .then(s => out.textContent = JSON.stringify(s, null, 2));
</script>"""


def handler_for(engine: Engine) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def reply(self, status: int, data: Any, kind: str = "application/json") -> None:
            body = data.encode() if isinstance(data, str) else json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/health":
                self.reply(200, {"status": "ok"})
            elif url.path == "/play":
                self.reply(200, PAGE, "text/html; charset=utf-8")
            elif url.path == "/session":
                token = urllib.parse.quote(query.get("token", ""), safe="")
                status, answer = engine.api.call("GET", f"/engine/v1/sessions/{token}")
                self.reply(status or 503, answer)
            elif url.path.startswith("/rounds/") and url.path[8:] in engine.rounds:
                self.reply(200, engine.rounds[url.path[8:]])
            else:
                self.reply(404, {"error": "not found"})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            data = json.loads(raw) if raw.strip() else {}
            if self.path == "/play":
                hold = bool(data.get("hold"))
                r = engine.play(str(data["launch_token"]), int(data["bet_id"]), hold)
                rid = r["engine_round_id"]
                if not hold and rid in engine.done:
                    engine.done[rid].wait(timeout=float(data.get("wait", 10)))
                self.reply(200, engine.rounds[rid])
            elif self.path.startswith("/rounds/") and self.path.endswith("/release"):
                event = engine.held.get(self.path[8:-8])
                if event is not None:
                    event.set()
                self.reply(200 if event else 404, {"released": event is not None})
            else:
                self.reply(404, {"error": "not found"})

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine-id", required=True)
    parser.add_argument("--reelbridge-url", required=True, help="the provider's base URL")
    parser.add_argument("--token", default=os.environ.get("REELBRIDGE_ENGINE_TOKEN"))
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--seed", type=int, default=None, help="a seeded RNG (tests only)")
    parser.add_argument("--journal", default=None, help="a JSON-lines file of the rounds")
    parser.add_argument("--retry-cap", type=float, default=10.0, help="seconds between retries")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per call")
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token or set REELBRIDGE_ENGINE_TOKEN")
    rng = random.SystemRandom() if args.seed is None else random.Random(args.seed)
    api = Reelbridge(args.reelbridge_url, args.engine_id, args.token, args.timeout)
    engine = Engine(api, rng, args.journal, args.retry_cap)
    engine.resume()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(engine))
    print(f"engine {args.engine_id} on http://127.0.0.1:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
