"""SIGTERM under load, on either side: the process stops accepting, finishes the requests
in flight, stops its relay between deliveries and exits 0; restarted, the books agree to
0.0001 (``reelbridge reconcile``). Both sides run as ``reelbridge … serve`` processes,
with the fault proxy of this process between them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from provider.support import AGGREGATOR_ADMIN, PROVIDER_ADMIN, eventually, uid
from reelbridge.cli import cli
from reelbridge.protocol import SIGN_HEADER, sign
from reelbridge.testing import AdminClient, free_port, serve_in_thread
from reelbridge.testing.faults import FaultProxy, hang_until


class Served:
    """``reelbridge SIDE serve`` on a fixed port: started, signalled, started again."""

    def __init__(self, side: str, database_url: str, log: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._command = [sys.executable, "-m", "reelbridge", side, "serve", "--port",
                         str(self.port), "--database-url", database_url, *args]  # fmt: skip
        self._env = {**os.environ, "REELBRIDGE_ADMIN_TOKEN": AGGREGATOR_ADMIN,
                     "REELBRIDGE_PROVIDER_ADMIN_TOKEN": PROVIDER_ADMIN}  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self._command, env=self._env, stdout=out, stderr=out)

        def ready() -> bool:
            assert self.process is not None and self.process.poll() is None, self.tail()
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
            return False

        eventually(ready, timeout=30, what=f"{self.url} to be ready")

    def terminate(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def refuses_connections(self) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) != 0

    def exited_cleanly(self) -> bool:
        """Exited, after its shutdown: uvicorn raises SIGTERM again once it is done (as
        systemd expects of a clean stop), so the status is -SIGTERM, or 0."""
        assert self.process is not None
        code = self.process.wait(timeout=40)
        done = "Finished server process" in self.log.read_text()
        return code in (0, -signal.SIGTERM) and done

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def errors(self) -> list[str]:
        return [
            line for line in self.log.read_text().splitlines()
            if line.startswith("{") and json.loads(line).get("level") in ("error", "critical")
        ]  # fmt: skip


@dataclass
class Rig:
    wallet: Served
    provider: Served
    proxy: FaultProxy
    client_id: str
    token: str

    def player(self, balance: str = "100") -> tuple[str, str, str]:
        """A funded player with a game launched: (player id, session id, launch token)."""
        player_id = uid("player")
        with AdminClient(self.wallet.url, AGGREGATOR_ADMIN) as wallet:
            wallet.create_player(player_id, "EUR")
            wallet.deposit(player_id, "EUR", balance, uid("dep"))
            session = wallet.open_session(self.client_id, player_id, "EUR", "book-of-reels")
        body = json.dumps({
            "client_id": self.client_id, "game_id": "book-of-reels", "currency": "EUR",
            "language": "en", "session_id": session, "player_id": player_id,
            "return_url": "https://casino.example/",
        }).encode()  # fmt: skip
        answer = httpx.post(f"{self.provider.url}/api/game-url", content=body,
                            headers={SIGN_HEADER: sign(body, self.token)}).json()  # fmt: skip
        return player_id, session, str(answer["url"]).rsplit("/", 1)[1]

    def spin(self, launch: str) -> dict[str, Any]:
        response = httpx.post(f"{self.provider.url}/game/api/{launch}/spin", json={"bet_id": 0},
                              timeout=60)  # fmt: skip
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def reconcile(self) -> str:
        result = CliRunner().invoke(
            cli,
            ["reconcile", "--client", self.client_id, "--provider-url", self.provider.url,
             "--aggregator-url", self.wallet.url, "--wait", "40"],
            env={"REELBRIDGE_ADMIN_TOKEN": AGGREGATOR_ADMIN,
                 "REELBRIDGE_PROVIDER_ADMIN_TOKEN": PROVIDER_ADMIN, "COLUMNS": "250"},
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        return result.output


@pytest.fixture
def rig(database_url: str, tmp_path: Path) -> Iterator[Rig]:
    """Wallet and provider processes on ``database_url`` (SQLite: a file each)."""
    wallet_db = provider_db = database_url
    if database_url.startswith("sqlite"):
        wallet_db, provider_db = (f"sqlite:///{tmp_path / n}" for n in ("w.db", "p.db"))
    wallet = Served("aggregator", wallet_db, tmp_path / "wallet.log")
    provider = Served("provider", provider_db, tmp_path / "provider.log", "--wallet-timeout", "10")
    with contextlib.ExitStack() as exits:
        exits.callback(provider.stop)
        exits.callback(wallet.stop)
        wallet.start()
        proxy = FaultProxy(wallet.url)
        proxy_url = exits.enter_context(serve_in_thread(proxy.app))
        exits.callback(proxy.release)
        provider.start()
        client_id, token = uid("casino"), "token-" + uid("t")
        with AdminClient(wallet.url, AGGREGATOR_ADMIN) as admin:
            admin.upsert_client(client_id, [token])
        with AdminClient(provider.url, PROVIDER_ADMIN) as admin:
            wallet_url = f"{proxy_url}/wallet/{client_id}"
            body = {"client_id": client_id, "tokens": [token], "wallet_url": wallet_url}
            admin.post("/admin/clients", body)
        yield Rig(wallet, provider, proxy, client_id, token)


def spinning(rig: Rig, launch: str, stop: threading.Event, seen: list[str]) -> threading.Thread:
    """A player spinning until ``stop`` (failures while a side is down are expected)."""

    def loop() -> None:
        while not stop.is_set():
            try:
                seen.append(rig.spin(launch)["status"])
            except (httpx.HTTPError, AssertionError):
                seen.append("failed")
                time.sleep(0.05)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def test_sigterm_to_the_provider_finishes_its_spins_in_flight_and_loses_nothing(rig: Rig) -> None:
    held = [rig.player() for _ in range(3)]
    busy, stop, seen = rig.player(), threading.Event(), []
    background = spinning(rig, busy[2], stop, seen)
    hold = threading.Event()
    rig.proxy.add(action="bet", kind=hang_until(hold), times=3)
    answers: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda launch=p[2]: answers.append(rig.spin(launch))) for p in held
    ]
    for thread in threads:
        thread.start()
    rig.proxy.wait_for("bet", count=3 + len(seen), timeout=20)  # three spins in flight

    rig.provider.terminate()
    eventually(rig.provider.refuses_connections, what="the provider to stop accepting")
    hold.set()
    for thread in threads:
        thread.join(timeout=30)
    stop.set()
    background.join(timeout=30)

    assert [a["status"] for a in answers] == ["settled"] * 3  # finished, not cut
    assert rig.provider.exited_cleanly()
    assert rig.provider.errors() == []
    assert "settled" in seen
    rig.provider.start()
    assert "0.0000" in rig.reconcile()


def test_sigterm_to_the_wallet_answers_its_request_in_flight_and_loses_nothing(
    rig: Rig,
) -> None:
    _, session, _ = rig.player()
    stop, seen = threading.Event(), []
    spinners = [spinning(rig, rig.player()[2], stop, seen) for _ in range(2)]
    eventually(lambda: seen.count("settled") >= 4 or None, what="spins under way")
    raw = json.dumps({"action": "balance", "session_id": session}).encode()
    head = (f"POST /wallet/{rig.client_id} HTTP/1.1\r\nHost: w\r\n{SIGN_HEADER}: "
            f"{sign(raw, rig.token)}\r\nContent-Length: {len(raw)}\r\n\r\n").encode()  # fmt: skip
    with socket.create_connection(("127.0.0.1", rig.wallet.port), timeout=30) as sock:
        sock.sendall(head + raw[:10])  # a request half-way in
        time.sleep(0.2)
        rig.wallet.terminate()
        eventually(rig.wallet.refuses_connections, what="the wallet to stop accepting")
        sock.sendall(raw[10:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk

    assert answer.startswith(b"HTTP/1.1 200 ")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1]) == {"status": True, "balance": 100.0}
    assert rig.wallet.exited_cleanly()
    assert rig.wallet.errors() == []
    rig.wallet.start()
    stop.set()
    for thread in spinners:
        thread.join(timeout=60)
    assert "settled" in seen
    assert "0.0000" in rig.reconcile()
