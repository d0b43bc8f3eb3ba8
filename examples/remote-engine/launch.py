"""Launch a game as a casino would: ask the provider for a game URL (signed with the
client's token, PROTOCOL.md Part A "get game url") and print it. For a remote engine's
game the URL leads to the engine, carrying the launch token. Standard library only
(docs/remote-engine.md, "Try it", sets ``SESSION``)::

    .venv/bin/python examples/remote-engine/launch.py --client-id my-provider \\
        --client-token s3cr3t-token-1 --game lucky-dice --session "$SESSION" --player alice
    .venv/bin/python examples/remote-engine/launch.py --client-id my-provider \\
        --client-token s3cr3t-token-1 --game lucky-dice --demo
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import urllib.error
import urllib.request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--provider-url", default="http://127.0.0.1:8001")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-token", required=True)
    parser.add_argument("--game", required=True)
    parser.add_argument("--session", help="the aggregator's wallet session (real money)")
    parser.add_argument("--player")
    parser.add_argument("--currency", default="EUR")
    parser.add_argument("--demo", action="store_true", help="a demo launch (no wallet)")
    args = parser.parse_args()
    if not args.provider_url.startswith(("http://", "https://")):
        parser.error("--provider-url must be http(s)")
    request = {
        "client_id": args.client_id,
        "game_id": args.game,
        "language": "en",
        "return_url": "https://casino.example/lobby",
    }
    if args.demo:
        path = "/api/demo-url"
    else:
        if not (args.session and args.player):
            parser.error("a real-money launch needs --session and --player (or --demo)")
        path = "/api/game-url"
        request |= {"currency": args.currency, "session_id": args.session, "player_id": args.player}
    body = json.dumps(request).encode()
    signature = hmac.new(args.client_token.encode(), body, hashlib.sha256).hexdigest()
    call = urllib.request.Request(  # noqa: S310 (http(s), checked above)
        args.provider_url + path,
        data=body,
        headers={"X-Sign": signature, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(call, timeout=10) as response:  # noqa: S310
            answer = json.loads(response.read())
    except (OSError, ValueError) as error:
        sys.exit(f"cannot reach the provider: {error}")
    if "url" not in answer:
        sys.exit(f"refused: {answer.get('code')}: {answer.get('message')}")
    print(answer["url"])


if __name__ == "__main__":
    main()
