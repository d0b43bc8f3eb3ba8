"""The chaos rig: a wallet process and a provider process (``reelbridge … serve`` through
``launcher.py``), a fault proxy between them in this process, players spinning at once,
and ``kill -9`` of either process at random moments.

Everything random comes from one seed (``Plan.seed``, shown in every failure message;
``pytest --chaos-seed N`` replays the same schedule of kills and faults — thread timing
still varies). After the kills the spinners stop, faults stop, the outbox drains, and
``Run`` holds what the invariants are checked on.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from reelbridge.protocol import SIGN_HEADER, sign
from reelbridge.reconcile import ProviderApi, WalletApi
from reelbridge.testing import AdminClient, free_port
from reelbridge.testing.faults import (
    Fault,
    FaultProxy,
    cut,
    delay,
    duplicate,
    forward_then_fail,
    http_status,
)

LAUNCHER = Path(__file__).with_name("launcher.py")
WALLET_ADMIN = "chaos-wallet-admin-token"
PROVIDER_ADMIN = "chaos-provider-admin-token"
BUDGET = 1.0
"""The provider's wallet budget (seconds) in the rig; delays past it are faults."""
LEASE = 2
"""The provider's lease (seconds): a bet whose sender died is refunded after it."""


def poll(check: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Call ``check`` until it returns something truthy; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class Service:
    """One ``reelbridge … serve`` process, always on the same port (the proxy and the
    spinners keep their URLs across restarts)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._command = [sys.executable, str(LAUNCHER), *args, "--port", str(self.port)]
        self._env = env
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def spawn(self) -> None:
        """Start the process (``wait_healthy`` waits for it)."""
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(self._command, env=self._env, stdout=log, stderr=log)

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Poll ``/health`` until it answers."""

        def healthy() -> bool:
            assert self._process is not None and self._process.poll() is None, self.output()
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
            return False

        poll(healthy, timeout=timeout, what=f"the {self.name} to answer /health")

    def kill(self) -> None:
        """SIGKILL: nothing runs on the way out; only what was committed survives."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=10)
        self.kills += 1

    def stop(self) -> None:
        """Terminate if running."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)

    def output(self) -> str:
        """The end of what the process wrote."""
        return self._log.read_text(errors="replace")[-3000:]


@dataclass(frozen=True)
class Plan:
    """One chaos run: the seed, kills of each process, the chance of a fault per wallet
    call, spinners, and faults that must happen (``rules``: (action, fault, times))."""

    seed: int
    kills: int
    fault_chance: float = 0.08  # float ok: a probability
    spinners: int = 4
    rules: tuple[tuple[str, Fault, int], ...] = ()
    drain_seconds: float = 45.0  # float ok: seconds


FAULTS: tuple[Fault, ...] = (
    delay(BUDGET + 0.3, forward="before"),  # the wallet commits; the answer comes too late
    delay(BUDGET + 0.3, forward="after"),  # the request reaches the wallet too late
    forward_then_fail(),  # the answer is lost after the wallet committed
    duplicate(),
    cut(forward="before"),
    cut(forward="never"),
    http_status(500),
)
"""The faults a chooser draws from."""


def chooser(rng: random.Random, chance: float) -> Callable[[str | None, str | None], Fault | None]:
    """A fault for about ``chance`` of the wallet calls (balance calls are spared)."""

    def choose(action: str | None, tx: str | None) -> Fault | None:
        if action == "balance" or rng.random() >= chance:
            return None
        return rng.choice(FAULTS)

    return choose


@dataclass
class Spinner:
    """One player spinning in a loop; keeps what the game answered for each round."""

    base_url: str
    token: str
    stop: threading.Event
    answered: dict[str, str] = field(default_factory=dict)  # round_id → status shown
    attempts: int = 0

    def run(self) -> None:
        """Spin until ``stop``; a dead or busy provider is retried after a short pause."""
        with httpx.Client(timeout=10.0) as http:
            while not self.stop.is_set():
                self.attempts += 1
                try:
                    response = http.post(
                        f"{self.base_url}/game/api/{self.token}/spin", json={"bet_id": 0}
                    )
                except httpx.HTTPError:
                    self.stop.wait(0.05)  # pacing while the provider restarts
                    continue
                if response.status_code == 200:
                    data = response.json()
                    self.answered[data["round_id"]] = data["status"]
                else:
                    self.stop.wait(0.05)  # a busy session (a spin of a killed process)


@dataclass
class Run:
    """What a chaos run left, for the invariants."""

    plan: Plan
    client_id: str
    wallet: Service
    provider: Service
    proxy: FaultProxy
    spinners: list[Spinner]
    schedule: list[tuple[str, float]]  # (process killed, seconds waited before)
    seconds: dict[str, float] = field(default_factory=dict)  # float ok: time per phase

    def __str__(self) -> str:
        return (
            f"chaos seed {self.plan.seed} (replay: pytest --chaos-seed {self.plan.seed}); "
            f"kills: wallet {self.wallet.kills}, provider {self.provider.kills}; "
            f"seconds {self.seconds}"
        )

    def answered(self) -> dict[str, str]:
        """Every round the game answered, with the status it showed."""
        return {k: v for s in self.spinners for k, v in s.answered.items()}


def _setup(
    wallet: Service, provider: Service, proxy_url: str, token: str, players: int
) -> tuple[str, list[str]]:
    """A client on both sides (the provider's wallet URL is the proxy) and funded players
    with launched games; the client id and the launch tokens."""
    client_id = f"chaos-{random.randrange(16**8):08x}"
    tokens = []
    with (
        AdminClient(wallet.url, WALLET_ADMIN) as wallet_admin,
        AdminClient(provider.url, PROVIDER_ADMIN) as provider_admin,
        httpx.Client(timeout=10) as http,
    ):
        wallet_admin.upsert_client(client_id, [token])
        provider_admin.post(
            "/admin/clients",
            {
                "client_id": client_id,
                "tokens": [token],
                "wallet_url": f"{proxy_url}/wallet/{client_id}",
            },
        )
        for n in range(players):
            player_id = f"{client_id}-p{n}"
            wallet_admin.create_player(player_id, "EUR")
            wallet_admin.deposit(player_id, "EUR", "1000", f"{player_id}-funds")
            session = wallet_admin.open_session(client_id, player_id, "EUR", "book-of-reels")
            body = json.dumps(
                {"client_id": client_id, "game_id": "book-of-reels", "currency": "EUR",
                 "language": "en", "session_id": session, "player_id": player_id,
                 "return_url": "https://casino.example/lobby"}
            ).encode()  # fmt: skip
            reply = http.post(
                f"{provider.url}/api/game-url",
                content=body,
                headers={SIGN_HEADER: sign(body, token), "Content-Type": "application/json"},
            ).json()
            tokens.append(str(reply["url"]).rsplit("/", 1)[1])
    return client_id, tokens


def _undelivered(provider: Service, client_id: str) -> int:
    with AdminClient(provider.url, PROVIDER_ADMIN) as admin:
        return sum(
            len(admin.get("/admin/outbox", client_id=client_id, status=status, limit=50)["items"])
            for status in ("pending", "sending")
        )


@contextlib.contextmanager
def chaos(plan: Plan, databases: tuple[str, str], tmp: Path, *, bug: str = "") -> Iterator[Run]:
    """Run ``plan``: spin, kill, fault; then stop the chaos and let the outbox drain.

    Yields the run with both processes up (the invariants read them), stops them after.
    """
    from reelbridge.testing import serve_in_thread

    started = time.monotonic()
    rng = random.Random(plan.seed)
    token = f"chaos-client-token-{rng.randrange(10**9)}"
    env = {
        **os.environ,
        "REELBRIDGE_ADMIN_TOKEN": WALLET_ADMIN,
        "REELBRIDGE_PROVIDER_ADMIN_TOKEN": PROVIDER_ADMIN,
        "CHAOS_BUG": bug,
        "CHAOS_CLIENT_TOKEN": token,
    }
    wallet_db, provider_db = databases
    wallet = Service(
        "wallet", ["aggregator", "serve", "--database-url", wallet_db], env, tmp / "wallet.log"
    )
    provider = Service(
        "provider",
        ["provider", "serve", "--database-url", provider_db,
         "--wallet-timeout", str(BUDGET), "--spin-lease", str(LEASE)],
        env,
        tmp / "provider.log",
    )  # fmt: skip
    proxy = FaultProxy(wallet.url, max_hang_seconds=10)
    stop = threading.Event()
    with contextlib.ExitStack() as exits:
        exits.callback(provider.stop)
        exits.callback(wallet.stop)
        wallet.spawn()
        provider.spawn()
        proxy_url = exits.enter_context(serve_in_thread(proxy.app))
        exits.callback(proxy.release)
        wallet.wait_healthy()
        provider.wait_healthy()
        client_id, launches = _setup(wallet, provider, proxy_url, token, plan.spinners)
        for action, fault, times in plan.rules:
            proxy.add(action=action, kind=fault, times=times)
        proxy.choose(chooser(random.Random(rng.random()), plan.fault_chance))
        spinners = [Spinner(provider.url, t, stop) for t in launches]
        threads = [threading.Thread(target=s.run, daemon=True) for s in spinners]
        exits.callback(stop.set)
        for thread in threads:
            thread.start()
        run = Run(plan, client_id, wallet, provider, proxy, spinners, [])
        poll(lambda: len(run.answered()) >= plan.spinners, timeout=30, what=f"first spins ({run})")
        run.seconds["setup"] = round(time.monotonic() - started, 1)
        targets = [wallet, provider] * plan.kills
        rng.shuffle(targets)
        for target in targets:  # one process may restart while the other is killed
            pause = rng.uniform(0.3, 1.2)  # float ok: seconds
            stop.wait(pause)  # a random moment under load, not a synchronisation
            target.wait_healthy()  # the kill lands on a running process
            target.kill()
            target.spawn()
            run.schedule.append((target.name, pause))
        wallet.wait_healthy()
        provider.wait_healthy()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        run.seconds["kills"] = round(time.monotonic() - started - run.seconds["setup"], 1)
        proxy.choose(None)
        proxy.clear()
        poll(
            lambda: _undelivered(provider, client_id) == 0,
            timeout=plan.drain_seconds,
            what=f"the outbox to drain ({run})",
        )
        proxy.wait_idle(timeout=15)
        run.seconds["drain"] = round(time.monotonic() - started - sum(run.seconds.values()), 1)
        yield run


def reconcile_cli(run: Run) -> tuple[int, dict[str, Any]]:
    """``reelbridge reconcile --json`` of the run's client through both admin APIs:
    the exit status and the report."""
    from click.testing import CliRunner

    from reelbridge.cli import cli

    result = CliRunner().invoke(
        cli,
        ["reconcile", "--json", "--client", run.client_id,
         "--provider-url", run.provider.url, "--provider-token", PROVIDER_ADMIN,
         "--aggregator-url", run.wallet.url, "--aggregator-token", WALLET_ADMIN],
    )  # fmt: skip
    assert result.exit_code in (0, 1), f"{run}: {result.output}"
    report: dict[str, Any] = json.loads(result.output)
    return result.exit_code, report


SHOWN_AS = {
    "settled": {"settled"},
    "settling": {"settled"},
    "refunded": {"refunded"},
    "refunding": {"refunded"},
    "rejected": {"rejected"},
}
"""What a round may end as, by the status the game showed for it."""


def assert_no_money_lost(run: Run) -> dict[str, Any]:
    """The invariants of a chaos run; the reconciliation report.

    ``reelbridge reconcile`` exits 0 (every round settled, refunded or rejected and
    never both, the outbox empty, each round's bet and payout at the wallet exactly,
    every wallet transaction one the provider sent, each player's net to 0.0000, the
    ledger's accounts summing to zero); every call the wallet acknowledged is in its
    journal; every round the game showed ended the way it showed.
    """
    code, report = reconcile_cli(run)
    assert code == 0 and report["ok"] is True, f"{run}: {report['differences'][:20]}"
    with AdminClient(run.wallet.url, WALLET_ADMIN) as admin:
        journal = WalletApi(admin).transactions(run.client_id)
    kept = {(t.action, t.transaction_id) for t in journal if t.ok}
    acknowledged = {(a.action, a.tx) for a in run.proxy.answers() if a.acknowledged}
    assert acknowledged, f"{run}: the wallet acknowledged nothing"
    assert acknowledged <= kept, f"{run}: acknowledged but lost: {acknowledged - kept}"
    with AdminClient(run.provider.url, PROVIDER_ADMIN) as admin:
        final = {r.round_id: str(r.status) for r in ProviderApi(admin).rounds(run.client_id)}
    shown = run.answered()
    wrong = {k: (v, final.get(k)) for k, v in shown.items() if final.get(k) not in SHOWN_AS[v]}
    assert not wrong, f"{run}: rounds that did not end as the game showed: {wrong}"
    return report
