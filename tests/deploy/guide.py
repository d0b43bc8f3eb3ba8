"""What the deployment-guide tests need: the guide's blocks, a shell that runs them with
the suite's values of the guide's variables, the services started from the guide's
systemd units, nginx with the guide's site file, a self-signed certificate, databases.

The only changes made to what the guide shows (each one is a value of this machine):
the variables of "Conventions" (``Environment.variables``); the settings files' port,
database and secrets, overridden through the environment; nginx's upstream ports,
``listen``, certificate and log paths (``nginx_site``); and curl reaching the guide's
host names on the suite's nginx (a ``.curlrc`` with ``connect-to``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from reelbridge.testing import free_port

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
_BLOCK = re.compile(r"<!-- run: ([\w.-]+) -->\n```\w*\n(.*?)\n```", re.S)
HOSTS = ("wallet.casino.example", "games.studio.example")


def blocks() -> dict[str, str]:
    """The guide's blocks marked ``<!-- run: NAME -->``, by name."""
    return {name: body for name, body in _BLOCK.findall(GUIDE.read_text())}


def nginx_binary() -> str | None:
    """Debian's nginx, if installed."""
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the guide's host names and 127.0.0.1."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    names = ",".join(f"DNS:{h}" for h in HOSTS) + ",IP:127.0.0.1"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=reelbridge-deploy-test", "-addext", f"subjectAltName={names}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Environment:
    """The suite's values of the guide's variables, and a shell to run blocks with."""

    root: Path
    wallet_port: int = field(default_factory=free_port)
    studio_port: int = field(default_factory=free_port)
    nginx_port: int = field(default_factory=free_port)
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("etc", "data", "backups", "logs"):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    @property
    def variables(self) -> dict[str, str]:
        """What the guide's "Conventions" block sets, with this machine's values."""
        return {
            "RB": str(Path(sys.executable).parent.parent),
            "RB_ETC": str(self.root / "etc"),
            "RB_DATA": str(self.root / "data"),
            "RB_BACKUPS": str(self.root / "backups"),
            "WALLET_DB": self.extra.get("WALLET_DB", ""),
            "STUDIO_DB": self.extra.get("STUDIO_DB", ""),
            "REELBRIDGE_AGGREGATOR_URL": f"http://127.0.0.1:{self.wallet_port}",
            "REELBRIDGE_PROVIDER_URL": f"http://127.0.0.1:{self.studio_port}",
        }

    def env(self, **more: str) -> dict[str, str]:
        return {**os.environ, **self.variables, **self.extra, "CURL_HOME": str(self.root),
                "COLUMNS": "200", **more}  # fmt: skip

    def sh(self, name: str, **more: str) -> str:
        """Run the guide's block ``name`` with bash (errors stop it); its output."""
        script = "set -euo pipefail\n" + blocks()[name]
        done = subprocess.run(
            ["bash", "-c", script], env=self.env(**more), capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"block {name} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    def curlrc(self, cert: Path) -> None:
        lines = [f"connect-to = {h}:443:127.0.0.1:{self.nginx_port}" for h in HOSTS]
        (self.root / ".curlrc").write_text("\n".join([*lines, f"cacert = {cert}", ""]))


class Service:
    """One service started from the ``ExecStart`` of the guide's systemd unit."""

    def __init__(self, unit: str, environment: Environment, port: int, **env: str) -> None:
        exec_start = re.search(r"^ExecStart=(.+)$", blocks()[unit], re.M)
        assert exec_start is not None
        command = exec_start[1].replace("/opt/reelbridge", environment.variables["RB"])
        command = command.replace("/etc/reelbridge", environment.variables["RB_ETC"])
        self.command = shlex.split(command)
        self.url = f"http://127.0.0.1:{port}"
        self.log = environment.root / "logs" / f"{unit}.log"
        self._env = environment.env(**env)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.command, env=self._env, stdout=out, stderr=out)
        wait_until(lambda: self._ready(), what=f"{self.command[1:3]} ready", timeout=60)

    def _ready(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.log.read_text()
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
        return False

    def stop(self) -> None:
        """``systemctl stop``: SIGTERM, then wait."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def nginx_site(environment: Environment, cert: Path, key: Path) -> str:
    """The guide's site file with this machine's ports, certificate and log paths."""
    site = blocks()["nginx"]
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{environment.wallet_port};")
    site = site.replace("server 127.0.0.1:8001;", f"server 127.0.0.1:{environment.studio_port};")
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{environment.nginx_port} ssl;")
    site = re.sub(r"/etc/letsencrypt/live/[^/]+/fullchain\.pem", str(cert), site)
    site = re.sub(r"/etc/letsencrypt/live/[^/]+/privkey\.pem", str(key), site)
    return site.replace("/var/log/nginx/", f"{environment.root / 'logs'}/")


@contextlib.contextmanager
def nginx(environment: Environment, binary: str, cert: Path, key: Path) -> Iterator[Path]:
    """nginx running the guide's site file (Debian's nginx.conf includes it in ``http``)."""
    root = environment.root
    temp = {n: root / "nginx" / n for n in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(parents=True, exist_ok=True)
    conf = root / "nginx.conf"
    conf.write_text(
        f"pid {root}/nginx.pid;\nerror_log {root}/logs/nginx-error.log;\n"
        "events { worker_connections 256; }\nhttp {\n"
        + "".join(f"  {n}_temp_path {p};\n" for n, p in
                  (("client_body", temp["body"]), *((k, temp[k]) for k in list(temp)[1:])))
        + nginx_site(environment, cert, key)
        + "\n}\n"
    )  # fmt: skip
    subprocess.run([binary, "-t", "-p", str(root), "-c", str(conf)], check=True,
                   capture_output=True)  # fmt: skip
    process = subprocess.Popen([binary, "-p", str(root), "-c", str(conf), "-g", "daemon off;"])
    try:
        wait_until(lambda: _port_open(environment.nginx_port), what="nginx to listen", timeout=20)
        yield root / "logs"
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(check: object, *, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def database(server_url: str, name: str) -> str:
    """A fresh PostgreSQL database on the test server; its URL."""
    host = server_url.rsplit("/", 1)[0]
    subprocess.run(["psql", f"{host}/postgres", "-q", "-c", f'CREATE DATABASE "{name}"'],
                   check=True, capture_output=True)  # fmt: skip
    return f"{host}/{name}"


def drop(server_url: str, name: str) -> None:
    host = server_url.rsplit("/", 1)[0]
    subprocess.run(["psql", f"{host}/postgres", "-q", "-c",
                    f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], capture_output=True,
                   check=False)  # fmt: skip
