"""Processes of the provider suite: ``reelbridge provider serve`` and the stand-in remote
engine (``examples/remote-engine/engine.py``), each its own OS process, started, killed
and restarted at will."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from provider.support import AGGREGATOR_ADMIN, PROVIDER_ADMIN, Stack, eventually, uid
from reelbridge.bootstrap import build_aggregator
from reelbridge.config import AggregatorSettings
from reelbridge.testing import AdminClient, free_port, serve_in_thread
from reelbridge.testing.faults import FaultProxy

ENGINE_SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "remote-engine" / "engine.py"


class _Process:
    """A child process whose output goes to a log file."""

    def __init__(self, log: Path) -> None:
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None

    def _spawn(self, command: list[str], env: dict[str, str], health_url: str) -> None:
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(command, env=env, stdout=log, stderr=log)

        def healthy() -> bool:
            assert self._process is not None and self._process.poll() is None, self.output()
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(health_url, timeout=1).status_code == 200
            return False

        eventually(healthy, timeout=30, what=f"{command[1:4]} to answer {health_url}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, nothing is flushed but what was committed."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=10)

    def stop(self) -> None:
        """Terminate if still running."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        """What the process wrote so far."""
        return self._log.read_text(errors="replace")[-4000:]


class ProviderProcess(_Process):
    """``reelbridge provider serve`` on one database (3 s leases, a 2 s wallet budget)."""

    def __init__(self, database_url: str, log: Path, env: dict[str, str] | None = None) -> None:
        super().__init__(log)
        self._database_url = database_url
        self._env = dict(os.environ if env is None else env)

    def start(self, port: int | None = None) -> str:
        """Start (again) on ``port`` (a fresh one by default); the base URL once it
        answers /health."""
        port = free_port() if port is None else port
        command = [
            sys.executable, "-m", "reelbridge", "provider", "serve",
            "--database-url", self._database_url, "--port", str(port),
            "--spin-lease", "3", "--wallet-timeout", "2",
        ]  # fmt: skip
        env = {**self._env, "REELBRIDGE_PROVIDER_ADMIN_TOKEN": PROVIDER_ADMIN}
        url = f"http://127.0.0.1:{port}"
        self._spawn(command, env, f"{url}/health")
        return url


class EngineProcess(_Process):
    """The stand-in remote engine: plays rounds at a provider over HTTP only."""

    def __init__(self, log: Path, *, engine_id: str, token: str, provider_url: str) -> None:
        super().__init__(log)
        self.engine_id = engine_id
        self.token = token
        self._provider_url = provider_url
        self.url = ""
        self.http = httpx.Client(timeout=60.0)

    def start(self, *, seed: int = 7, journal: Path | None = None) -> str:
        """Start on a fresh port; the engine's base URL."""
        port = free_port()
        command = [
            sys.executable, str(ENGINE_SCRIPT), "--engine-id", self.engine_id,
            "--reelbridge-url", self._provider_url, "--port", str(port),
            "--seed", str(seed), "--retry-cap", "0.5", "--timeout", "5",
        ]  # fmt: skip
        if journal is not None:
            command += ["--journal", str(journal)]
        env = {**os.environ, "REELBRIDGE_ENGINE_TOKEN": self.token}
        self.url = f"http://127.0.0.1:{port}"
        self._spawn(command, env, f"{self.url}/health")
        return self.url

    def play(self, launch_token: str, bet_id: int = 0, *, hold: bool = False) -> dict[str, Any]:
        """One round, played by the engine; its view of the round."""
        response = self.http.post(
            f"{self.url}/play", json={"launch_token": launch_token, "bet_id": bet_id, "hold": hold}
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def round(self, engine_round_id: str) -> dict[str, Any]:
        """The engine's view of one of its rounds."""
        data: dict[str, Any] = self.http.get(f"{self.url}/rounds/{engine_round_id}").json()
        return data

    def release(self, engine_round_id: str) -> None:
        """Let a held round settle."""
        response = self.http.post(f"{self.url}/rounds/{engine_round_id}/release")
        assert response.status_code == 200, response.text

    def stop(self) -> None:
        """Terminate, and close the client."""
        super().stop()
        self.http.close()


@contextlib.contextmanager
def crash_stack_on(
    database_url: str, tmp_path: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[Stack, ProviderProcess]]:
    """A real wallet (in this process) behind a fault proxy, and a provider process using
    it (``env``: the process's environment, e.g. with a plug-in on ``PYTHONPATH``)."""
    provider_db = database_url
    if database_url.startswith("sqlite"):
        provider_db = f"sqlite:///{tmp_path / 'provider.db'}"
    settings = AggregatorSettings(database_url=database_url, admin_token=AGGREGATOR_ADMIN)
    aggregator = build_aggregator(settings)
    process = ProviderProcess(provider_db, tmp_path / "provider.log", env)
    with contextlib.ExitStack() as exits:
        aggregator_url = exits.enter_context(serve_in_thread(aggregator))
        proxy = FaultProxy(aggregator_url)
        proxy_url = exits.enter_context(serve_in_thread(proxy.app))
        exits.callback(proxy.release)
        exits.callback(process.stop)
        provider_url = process.start()
        wallet = exits.enter_context(AdminClient(aggregator_url, AGGREGATOR_ADMIN))
        admin = AdminClient(provider_url, PROVIDER_ADMIN)
        http = exits.enter_context(httpx.Client(timeout=30.0))
        client_id, token = uid("casino"), f"token-{uid('t')}"
        wallet.upsert_client(client_id, [token])
        admin.post(
            "/admin/clients",
            {
                "client_id": client_id,
                "tokens": [token],
                "wallet_url": f"{proxy_url}/wallet/{client_id}",
            },
        )
        stack = Stack(aggregator_url, provider_url, proxy, wallet, admin, client_id, token, http)
        exits.callback(lambda: stack.admin.close())
        yield stack, process


def restart(stack: Stack, process: ProviderProcess) -> None:
    """Start the provider again on the same database and point the stack at it."""
    stack.admin.close()
    stack.provider_url = process.start()
    stack.admin = AdminClient(stack.provider_url, PROVIDER_ADMIN)
