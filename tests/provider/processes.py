"""A provider as its own process (``reelbridge provider serve``), killed and restarted at
will, with a real wallet in this process behind a fault proxy: the crash tests' stack.

The provider runs with 3 s leases and a 2 s wallet budget, so that a kill surely lands
while a wallet call is in flight; it uses SQLite files of the test, or, like the wallet,
the session's PostgreSQL database.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx

from provider.support import AGGREGATOR_ADMIN, PROVIDER_ADMIN, Stack, eventually, uid
from reelbridge.bootstrap import build_aggregator
from reelbridge.config import AggregatorSettings
from reelbridge.testing import AdminClient, free_port, serve_in_thread
from reelbridge.testing.faults import FaultProxy


class ProviderProcess:
    """``reelbridge provider serve`` on one database, started and killed at will."""

    def __init__(self, database_url: str, log: Path, env: dict[str, str] | None = None) -> None:
        self._database_url = database_url
        self._log = log
        self._env = dict(os.environ if env is None else env)
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        """Start (again) on a fresh port; the base URL once it answers /health."""
        port = free_port()
        command = [
            sys.executable, "-m", "reelbridge", "provider", "serve",
            "--database-url", self._database_url, "--port", str(port),
            "--spin-lease", "3", "--wallet-timeout", "2",
        ]  # fmt: skip
        env = {**self._env, "REELBRIDGE_PROVIDER_ADMIN_TOKEN": PROVIDER_ADMIN}
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            assert self._process is not None and self._process.poll() is None, self.output()
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{url}/health", timeout=1).status_code == 200
            return False

        eventually(healthy, timeout=30, what="the provider process to answer /health")
        return url

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
