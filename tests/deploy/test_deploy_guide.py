"""docs/deploy.md, run: each side as several workers (started from the guide's systemd
units with the guide's settings files) on PostgreSQL behind Debian's nginx with the
guide's site file; the guide's checks, the connection of the two sides, a token
rotation while a player spins, the nightly checks, a backup and a restore; the SQLite
backup and restore; the alert rules name only metrics that exist. See ``guide.py`` for
the few values this machine changes."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from deploy.guide import (
    GUIDE,
    Environment,
    Service,
    blocks,
    certificate,
    database,
    drop,
    nginx,
    nginx_binary,
)
from integration.support import ADMIN_TOKEN as ADMIN
from reelbridge.observability import AggregatorMetrics, ProviderMetrics
from reelbridge.protocol import SIGN_HEADER, sign
from reelbridge.testing import AdminClient

WALLET_ADMIN = "deploy-wallet-admin-" + secrets.token_urlsafe(16)
STUDIO_ADMIN = "deploy-studio-admin-" + secrets.token_urlsafe(16)
CLIENT = "acme"


@pytest.fixture(scope="module")
def nginx_path() -> str:
    """Debian's nginx (dev.py installs it as root); skipped without it, except in CI."""
    found = nginx_binary()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed (python3 dev.py test installs it as root)")
        pytest.skip("nginx is not installed: `apt-get install nginx` to run the guide's tests")
    return found


@dataclass
class Deployment:
    environment: Environment
    wallet: Service
    studio: Service
    cert: Path
    logs: Path

    def https(self, host: str, *, source: str | None = None) -> httpx.Client:
        """A client of the suite's nginx for one of the guide's host names (from the
        loopback address ``source``, 127.0.0.1 by default)."""
        url = f"https://127.0.0.1:{self.environment.nginx_port}"
        trusted = ssl.create_default_context(cafile=str(self.cert))
        transport = httpx.HTTPTransport(verify=trusted, local_address=source)
        return httpx.Client(base_url=url, headers={"Host": host}, transport=transport, timeout=30)


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, pg_url: str, nginx_path: str
) -> Iterator[Deployment]:
    """Both sides from the guide's units and files, behind nginx, on PostgreSQL."""
    tmp_path = tmp_path_factory.mktemp("deploy")
    names = [f"rb_deploy_{secrets.token_hex(6)}" for _ in range(2)]
    environment = Environment(tmp_path)
    wallet_db, studio_db = database(pg_url, names[0]), database(pg_url, names[1])
    environment.extra.update(
        WALLET_DB=wallet_db, STUDIO_DB=studio_db, CLIENT=CLIENT,
        REELBRIDGE_ADMIN_TOKEN=WALLET_ADMIN, REELBRIDGE_PROVIDER_ADMIN_TOKEN=STUDIO_ADMIN,
        # the settings files' databases, overridden for every command as for the services
        REELBRIDGE_DATABASE_URL=wallet_db, REELBRIDGE_PROVIDER_DATABASE_URL=studio_db,
    )  # fmt: skip
    etc = tmp_path / "etc"
    for name in ("aggregator.toml", "provider.toml"):
        (etc / name).write_text(blocks()[name])
        (etc / name).chmod(0o600)
    cert, key = certificate(tmp_path)
    environment.curlrc(cert)

    wallet = Service(
        "reelbridge-aggregator.service", environment, environment.wallet_port,
        REELBRIDGE_HTTP_PORT=str(environment.wallet_port), REELBRIDGE_HTTP_WORKERS="2",
        REELBRIDGE_FINGERPRINT_KEY=secrets.token_hex(32),
    )  # fmt: skip
    studio = Service(
        "reelbridge-provider.service", environment, environment.studio_port,
        REELBRIDGE_PROVIDER_HTTP_PORT=str(environment.studio_port),
        REELBRIDGE_PROVIDER_HTTP_WORKERS="2",
        REELBRIDGE_PROVIDER_FINGERPRINT_KEY=secrets.token_hex(32),
        SSL_CERT_FILE=str(cert),  # the suite's certificate authority, for its wallet calls
    )  # fmt: skip
    with contextlib.ExitStack() as exits:
        exits.callback(lambda: [drop(pg_url, n) for n in names])
        exits.callback(studio.stop)
        exits.callback(wallet.stop)
        wallet.start()
        studio.start()
        logs = exits.enter_context(nginx(environment, nginx_path, cert, key))
        yield Deployment(environment, wallet, studio, cert, logs)


def test_the_conventions_are_the_variables_the_suite_gives_values(tmp_path: Path) -> None:
    exported = re.findall(r"^export (\w+)=", blocks()["conventions"], re.M)
    assert set(exported) == set(Environment(tmp_path).variables)


def test_the_guide_names_no_metric_that_does_not_exist() -> None:
    from reelbridge.aggregator.metrics import render as wallet_gauges
    from reelbridge.provider.outbox import Gauges
    from reelbridge.provider.web.metrics import render as studio_gauges

    known = set()
    for registry in (AggregatorMetrics().registry, ProviderMetrics().registry):
        for family in registry.collect():
            known |= {family.name, f"{family.name}_total", f"{family.name}_bucket"}
    texts = wallet_gauges(1, [], 1, 0) + studio_gauges(Gauges([], None, 0), [], 0, (300, 0, None))
    known |= set(re.findall(r"^# TYPE (\w+)", texts, re.M))
    nginx_names = {"reelbridge_wallet", "reelbridge_studio", "reelbridge_request_id"}
    named = set(re.findall(r"\breelbridge_\w+", GUIDE.read_text())) - nginx_names
    assert named <= known, f"not metrics: {sorted(named - known)}"
    assert {
        "reelbridge_outbox_oldest_undelivered_seconds",
        "reelbridge_wallet_requests_total",
    } <= named


def spin_until(deployment: Deployment, launch: str, stop: threading.Event, seen: list[str]) -> None:
    with deployment.https("games.studio.example") as http:
        while not stop.is_set():
            answer = http.post(f"/game/api/{launch}/spin", json={"bet_id": 0})
            seen.append(
                answer.json()["status"]
                if answer.status_code == 200
                else f"HTTP {answer.status_code}"
            )


def test_the_guide_runs_end_to_end_on_postgresql_behind_nginx(deployment: Deployment) -> None:
    env = deployment.environment
    shown = env.sh("config-show")
    assert shown.count("admin_token='***'") == 2 and WALLET_ADMIN not in shown

    checks = env.sh("checks")
    assert checks.count('"status":"ready"') == 2 and checks.rstrip().endswith("405")

    token = secrets.token_hex(32)
    env.sh("connect", TOKEN=token)
    # This machine has no DNS for wallet.casino.example: the studio reaches the wallet
    # through the same nginx by address (the certificate names 127.0.0.1 too).
    wallet_url = f"https://127.0.0.1:{env.nginx_port}/wallet/{CLIENT}"
    with AdminClient(deployment.studio.url, STUDIO_ADMIN) as studio:
        studio.post(
            "/admin/clients", {"client_id": CLIENT, "tokens": [token], "wallet_url": wallet_url}
        )
    with AdminClient(deployment.wallet.url, WALLET_ADMIN) as wallet:
        wallet.create_player("deploy-player", "EUR")
        wallet.deposit("deploy-player", "EUR", "500", "deploy-dep-1")
        session = wallet.open_session(CLIENT, "deploy-player", "EUR", "book-of-reels")
    body = json.dumps({"client_id": CLIENT, "game_id": "book-of-reels", "currency": "EUR",
                       "language": "en", "session_id": session, "player_id": "deploy-player",
                       "return_url": "https://casino.example/"}).encode()  # fmt: skip
    with deployment.https("games.studio.example") as http:
        launched = http.post("/api/game-url", content=body, headers={SIGN_HEADER: sign(body, token),
                             "X-Request-Id": "deploy-trace-1"})  # fmt: skip
    assert launched.headers["x-request-id"] == "deploy-trace-1"
    launch = launched.json()["url"].rsplit("/", 1)[1]

    stop, seen = threading.Event(), []
    spinner = threading.Thread(target=spin_until, args=(deployment, launch, stop, seen))
    spinner.start()
    try:
        rotated = env.sh("rotation", OLD=token)
    finally:
        stop.set()
        spinner.join(timeout=60)
    assert seen and set(seen) == {"settled"}, seen  # not one call refused while rotating
    with AdminClient(deployment.wallet.url, WALLET_ADMIN) as wallet:
        scrape = wallet.get_text("/metrics")
    bets = re.search(
        r'^reelbridge_wallet_requests_total\{action="bet",code="OK"\} (\S+)$', scrape, re.M
    )
    assert bets is not None and float(bets[1]) == len(seen)  # both workers' calls, added up
    assert token not in rotated and "fp:" in rotated
    assert "rid=deploy-trace-1" in (deployment.logs / "reelbridge-studio.log").read_text()

    nightly = env.sh("nightly")
    assert "balanced" in nightly and "0.0000" in nightly

    env.sh("backup")
    dumps = sorted(p.name for p in (env.root / "backups").iterdir())
    assert [d.split("-")[0] for d in dumps] == ["studio", "wallet"]
    with AdminClient(deployment.wallet.url, WALLET_ADMIN) as wallet:
        before = wallet.get("/admin/transactions", player_id="deploy-player", limit=500)["items"]
        wallet.deposit("deploy-player", "EUR", "1", "deploy-dep-after-backup")
    deployment.studio.stop()
    deployment.wallet.stop()
    env.sh("restore")
    deployment.wallet.start()
    deployment.studio.start()
    with AdminClient(deployment.wallet.url, WALLET_ADMIN) as wallet:
        after = wallet.get("/admin/transactions", player_id="deploy-player", limit=500)["items"]
    assert after == before  # the deposit made after the backup is gone with the restore
    assert "0.0000" in env.sh("nightly")


def test_nginx_serves_the_protocol_to_anyone_and_the_rest_to_the_office(
    deployment: Deployment,
) -> None:
    with deployment.https("wallet.casino.example", source="127.0.0.2") as stranger:
        assert stranger.get("/wallet/nobody").status_code == 405  # reached the wallet
        assert stranger.get("/readyz").status_code == 200
        assert stranger.get("/admin/players").status_code == 403
        assert stranger.get("/metrics").status_code == 403
    with deployment.https("games.studio.example", source="127.0.0.2") as stranger:
        assert stranger.get("/").status_code == 403  # the studio console
        assert stranger.post("/api/jackpots", content=b"{}").json()["code"] == "INVALID_SIGN"
    with deployment.https("wallet.casino.example") as office:
        assert (
            office.get(
                "/admin/players", headers={"Authorization": f"Bearer {WALLET_ADMIN}"}
            ).status_code
            == 200
        )
    with deployment.https("wallet.casino.example") as http:
        huge = http.get("/readyz", headers={"X-Sign": "a" * 70_000})
    assert huge.status_code in (400, 431, 494)  # nginx refuses it before the worker sees it


def test_the_sqlite_backup_and_restore_of_the_guide(tmp_path: Path) -> None:
    from integration.processes import served

    environment = Environment(tmp_path)
    url = f"sqlite:///{tmp_path / 'data' / 'aggregator.db'}"
    with served(tmp_path, database_url=url) as first, AdminClient(first.url, ADMIN) as admin:
        admin.create_player("kept", "EUR")
        admin.deposit("kept", "EUR", "10", "kept-1")
        environment.sh("sqlite-backup")  # while the wallet runs
        admin.deposit("kept", "EUR", "5", "lost-1")
    environment.sh("sqlite-restore")
    with served(tmp_path, database_url=url) as again, AdminClient(again.url, ADMIN) as admin:
        (row,) = admin.get("/admin/players", player_id="kept")["items"]
    assert row["balance"] == "10.0"
    assert [p.suffix for p in (tmp_path / "backups").iterdir()] == [".db"]
