#!/usr/bin/env python3
"""Set up and run reelbridge from a fresh clone with nothing but python3.

    python3 dev.py demo    # the whole system, seeded, on SQLite (reelbridge demo)
    python3 dev.py test    # lint, types and the whole test suite (what CI runs)
    python3 dev.py bench   # the wallet benchmark (--all: every benchmark, one report)
    python3 dev.py audit   # known vulnerabilities of the pinned dependencies (pip-audit)

The first run creates .venv/ and installs the pinned dependencies (constraints.txt);
later runs reuse it until pyproject.toml or constraints.txt change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
LINTED = ("src", "tests", "bench", "examples", "dev.py")


def _say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def ensure_env(extras: str = "test,speed") -> None:
    """Create the virtualenv and install the project with pinned versions, if needed.

    ``extras`` are the optional dependency groups to install (``bench`` adds the
    profiler and the plotting library of the benchmarks; it has a stamp of its own).
    """
    inputs = b"".join((ROOT / name).read_bytes() for name in ("pyproject.toml", "constraints.txt"))
    stamp = hashlib.sha256(inputs + sys.version.encode() + extras.encode()).hexdigest()
    marker = VENV / (".reelbridge-stamp" if extras == "test,speed" else f".stamp-{extras}")
    if PY.exists() and marker.exists() and marker.read_text() == stamp:
        return
    if not PY.exists():
        _say(f"creating {VENV.name}/ with {sys.executable} {sys.version.split()[0]}")
        if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may run on an older python3)
            sys.exit("reelbridge needs Python 3.11 or newer")
        try:
            venv.create(VENV, with_pip=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            sys.exit(
                f"could not create a virtualenv ({exc}). On Debian/Ubuntu install the "
                "python3-venv package first."
            )
    _say("installing dependencies (pinned in constraints.txt)")
    run(
        [
            str(PY),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
            "constraints.txt",
            "-e",
            f".[{extras}]",
        ]
    )
    marker.write_text(stamp)


def run(command: list[str], **env: str) -> None:
    """Run a command from the project root; exit with its status if it fails."""
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, **env}, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def _apt_install(package: str, why: str) -> None:
    """Install a Debian package with apt-get when we are root (CI and the project's
    machines); otherwise say how, and the tests that need it skip (or fail under CI=true).
    """
    if shutil.which("apt-get") is None:
        return
    if os.geteuid() != 0:
        _say(f"{package} is missing: `sudo apt-get install {package}` to run {why}")
        return
    _say(f"installing Debian's {package} for {why} (apt-get)")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], **env)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", package], **env)


def ensure_browser() -> None:
    """Debian's chromium for the browser tests (never a downloaded browser)."""
    if not Path("/usr/bin/chromium").exists():
        _apt_install("chromium", "the browser tests")


def ensure_nginx() -> None:
    """Debian's nginx for the deployment guide's tests (tests/deploy)."""
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        _apt_install("nginx", "the deployment guide's tests")


def ensure_node() -> None:
    """Debian's nodejs for the game client's JavaScript unit tests (node --test)."""
    if shutil.which("node") is None and shutil.which("nodejs") is None:
        _apt_install("nodejs", "the JavaScript unit tests")


AUDIT_VENV = ROOT / ".venv-audit"
AUDIT_PROBES = (
    # (vulnerability service of pip-audit, a URL it needs that must answer 200)
    ("pypi", "https://pypi.org/pypi/httpx/0.28.1/json"),
    ("osv", "https://api.osv.dev/v1/vulns/PYSEC-2021-1"),
)


def _reachable(url: str) -> str | None:
    """None if ``url`` answers 200 within 10 s, else why not."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (fixed https URLs)
            return None if answer.status == 200 else f"HTTP {answer.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return str(getattr(exc, "reason", exc))


def audit() -> None:
    """Audit the pinned dependencies for known vulnerabilities with pip-audit, where a
    vulnerability database is reachable; otherwise say, visibly, that it did not run
    (a closed network is not a failure, and not a pass either). A vulnerability found
    fails the command."""
    tried = []
    for service, url in AUDIT_PROBES:
        why = _reachable(url)
        if why is None:
            break
        tried.append(f"{service}: {url} -> {why}")
    else:
        _say("dependency audit: NOT RUN - no vulnerability database reachable")
        for line in tried:
            _say(f"  {line}")
        return
    if not (AUDIT_VENV / "bin" / "pip-audit").exists():
        venv.create(AUDIT_VENV, with_pip=True)
        pip = [str(AUDIT_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        run([*pip, "--disable-pip-version-check", "-c", "constraints.txt", "pip-audit"])
    frozen = subprocess.run(
        [str(PY), "-m", "pip", "freeze", "--exclude-editable"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    requirements = AUDIT_VENV / "requirements.txt"
    requirements.write_text(frozen)
    _say(f"dependency audit: pip-audit against {service}")
    run(
        [
            str(AUDIT_VENV / "bin" / "pip-audit"),
            "--requirement",
            str(requirements),
            "--no-deps",
            "--disable-pip",
            "--vulnerability-service",
            service,
            "--strict",
            "--progress-spinner",
            "off",
        ]
    )  # fmt: skip (--strict: a package it can't check fails)


def test(args: list[str]) -> None:
    """Lint, type-check, audit the dependencies, then the whole test suite."""
    ensure_env()
    ensure_browser()
    ensure_node()
    ensure_nginx()
    audit()
    _say("ruff"), run([str(BIN / "ruff"), "check", *LINTED])
    (
        _say("ruff format --check"),
        run([str(BIN / "ruff"), "format", "--check", *LINTED]),
    )
    _say("mypy --strict src/"), run([str(BIN / "mypy")])
    _say("pytest"), run([str(PY), "-m", "pytest", *args])


def main() -> None:
    """Dispatch ``demo``, ``test``, ``audit`` or ``bench``."""
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if command == "test":
        test(args)
    elif command == "demo":
        ensure_env()
        os.execv(str(BIN / "reelbridge"), [str(BIN / "reelbridge"), "demo", *args])
    elif command == "audit":
        ensure_env()
        audit()
    elif command == "bench":
        ensure_env()
        ensure_env("test,speed,bench")
        if "--all" in args:  # every benchmark, one report (bench/bench_all.py)
            rest = [a for a in args if a != "--all"]
            run([str(PY), "bench/bench_all.py", *rest])
        else:
            run([str(PY), "bench/bench_wallet.py", *args])
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
