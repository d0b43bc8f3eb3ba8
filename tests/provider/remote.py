"""Helpers of the remote-engine tests: a stack with a registered engine whose stand-in
process (``examples/remote-engine/engine.py``) plays over HTTP, and a signed client of
the engine API for the calls a test makes itself."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx

from provider.processes import EngineProcess
from provider.support import Player, Stack
from reelbridge.protocol import sign

LINES = 10
STAKE_LEVELS = ("0.01", "0.05", "0.10")  # per line: rounds of 0.10, 0.50, 1.00
RTP = "19/20"


def register_engine(
    stack: Stack, engine_id: str, token: str, game_id: str, engine_url: str, **game: Any
) -> Any:
    """Register the engine with one game (10 lines, three stakes) at the provider."""
    body = {
        "engine_id": engine_id,
        "tokens": [token],
        "launch_url": f"{engine_url}/play?token={{token}}",
        "games": [
            {
                "game_id": game_id,
                "name": "Lucky Dice",
                "lines": LINES,
                "stake_levels": list(STAKE_LEVELS),
                "rtp": RTP,
                **game,
            }
        ],
        "reason": "test",
    }
    return stack.admin.post("/admin/engines", body)


@dataclass
class Remote:
    """A stack (real wallet, fault proxy, provider) with one registered engine."""

    stack: Stack
    engine: EngineProcess
    engine_id: str
    token: str
    game_id: str

    def new_player(self, balance: str = "100") -> Player:
        """A funded player with a wallet session for the remote game."""
        return self.stack.new_player(balance=balance, game_id=self.game_id)

    def launch(self, player: Player) -> str:
        """Launch the remote game for real money; the launch token (from the engine's URL)."""
        reply = self.stack.call(
            "/api/game-url",
            client_id=self.stack.client_id,
            game_id=self.game_id,
            currency=player.currency,
            language="en",
            session_id=player.session_id,
            player_id=player.player_id,
            return_url="https://casino.example/lobby",
        )
        return token_of(reply["url"], self.engine.url)

    def launch_demo(self) -> str:
        """Launch the remote game in demo mode; the launch token."""
        reply = self.stack.call(
            "/api/demo-url",
            client_id=self.stack.client_id,
            game_id=self.game_id,
            language="en",
            return_url="https://casino.example/lobby",
        )
        return token_of(reply["url"], self.engine.url)

    def api(
        self,
        method: str,
        path: str,
        data: Any = None,
        *,
        token: str | None = None,
        engine_id: str | None = None,
        signature: str | None = None,
    ) -> httpx.Response:
        """Call the engine API as the engine would (signed), or as told otherwise."""
        body = b"" if data is None else json.dumps(data).encode()
        signed = body if data is not None else path.encode()
        headers = {
            "X-Engine-Id": self.engine_id if engine_id is None else engine_id,
            "X-Sign": sign(signed, token or self.token) if signature is None else signature,
            "Content-Type": "application/json",
        }
        url = self.stack.provider_url + path
        return self.stack.http.request(method, url, content=body or None, headers=headers)


def token_of(url: str, engine_url: str) -> str:
    """The launch token in a launch URL that must lead to the engine."""
    assert url.startswith(f"{engine_url}/play?token="), url
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["token"][0]
