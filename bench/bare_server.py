"""The baseline of the wallet benchmark: the cheapest useful Starlette endpoint.

    python bench/bare_server.py --host 127.0.0.1 --port 8001

``POST /wallet/{client_id}`` reads the body (a real server has to) and answers the
fixed bytes ``{"status":true,"balance":1.0}``; ``GET /health`` answers ``ok``. Server
settings are those of ``reelbridge aggregator serve``: uvicorn, one process, uvloop
and httptools, log level ``warning``. Whatever the wallet does beyond this (signature,
decoding, the ledger, the database) is what the benchmark's ratio measures.
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_REPLY = b'{"status":true,"balance":1.0}'


async def wallet(request: Request) -> Response:
    await request.body()
    return Response(_REPLY, media_type="application/json")


async def health(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


app = Starlette(
    routes=[
        Route("/wallet/{client_id}", wallet, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(
        app, host=args.host, port=args.port, log_level="warning", loop="uvloop", http="httptools"
    )


if __name__ == "__main__":
    main()
