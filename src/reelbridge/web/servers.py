"""Run an ASGI app on a loopback port in a background thread (tests, demo, kit)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serve_in_thread(
    app: ASGIApp, *, port: int | None = None, host: str = "127.0.0.1"
) -> Iterator[str]:
    """Serve ``app`` (lifespan included) on ``host`` (loopback unless told otherwise);
    yield its base URL (on 127.0.0.1 when ``host`` is ``0.0.0.0``).

    Returns only once the server accepts connections; stops it on exit.
    """
    config = uvicorn.Config(
        app, host=host, port=port or free_port(), log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    started = threading.Event()

    def wait() -> None:
        while not server.started and thread.is_alive():
            started.wait(0.01)

    wait()
    if not server.started:
        thread.join()
        raise RuntimeError("the server did not start (see its log above)")
    try:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 (a comparison)
        yield f"http://{shown}:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
