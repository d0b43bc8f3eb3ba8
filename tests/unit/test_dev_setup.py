"""dev.py installs what the tests need from Debian (chromium, nodejs) only when it is
missing and only as root; otherwise it says how, and installs nothing."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dev(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, list[list[str]]]:
    """dev.py with its commands recorded instead of run, on a machine with apt-get."""
    spec = importlib.util.spec_from_file_location("reelbridge_dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    commands: list[list[str]] = []
    monkeypatch.setattr(module, "run", lambda command, **env: commands.append(command))
    return module, commands


def _which(monkeypatch: pytest.MonkeyPatch, module: ModuleType, *present: str) -> None:
    found = {"apt-get": "/usr/bin/apt-get", **{name: f"/usr/bin/{name}" for name in present}}
    monkeypatch.setattr(module.shutil, "which", found.get)


def test_a_missing_node_is_installed_from_debian_as_root(
    dev: tuple[ModuleType, list[list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    module, commands = dev
    _which(monkeypatch, module)
    monkeypatch.setattr(module.os, "geteuid", lambda: 0)
    module.ensure_node()
    assert commands[-1][:2] == ["apt-get", "install"]
    assert commands[-1][-1] == "nodejs"


def test_a_missing_node_is_only_reported_when_not_root(
    dev: tuple[ModuleType, list[list[str]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module, commands = dev
    _which(monkeypatch, module)
    monkeypatch.setattr(module.os, "geteuid", lambda: 1000)
    module.ensure_node()
    assert commands == []
    assert "sudo apt-get install nodejs" in capsys.readouterr().out


@pytest.mark.parametrize("binary", ["node", "nodejs"])
def test_an_installed_node_installs_nothing(
    dev: tuple[ModuleType, list[list[str]]], monkeypatch: pytest.MonkeyPatch, binary: str
) -> None:
    module, commands = dev
    _which(monkeypatch, module, binary)
    monkeypatch.setattr(module.os, "geteuid", lambda: 0)
    module.ensure_node()
    assert commands == []


def test_the_audit_says_visibly_that_it_did_not_run_without_a_vulnerability_database(
    dev: tuple[ModuleType, list[list[str]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module, commands = dev
    monkeypatch.setattr(module, "_reachable", lambda url: "Name or service not known")
    module.audit()
    out = capsys.readouterr().out
    assert "dependency audit: NOT RUN" in out
    assert out.count("Name or service not known") == len(module.AUDIT_PROBES)
    assert commands == []  # nothing installed, nothing run: no fake pass either


def test_the_audit_runs_pip_audit_strictly_where_a_database_answers(
    dev: tuple[ModuleType, list[list[str]]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    module, commands = dev
    monkeypatch.setattr(module, "_reachable", lambda url: None if "osv" in url else "HTTP 404")
    monkeypatch.setattr(module, "AUDIT_VENV", tmp_path)
    monkeypatch.setattr(module.venv, "create", lambda *a, **k: None)
    frozen = type("Done", (), {"stdout": "httpx==0.28.1\n"})()
    monkeypatch.setattr(module.subprocess, "run", lambda *a, **k: frozen)
    module.audit()
    audit = commands[-1]
    assert audit[0].endswith("pip-audit")
    assert audit[audit.index("--vulnerability-service") + 1] == "osv"
    assert "--strict" in audit and "--no-deps" in audit
    assert (tmp_path / "requirements.txt").read_text() == "httpx==0.28.1\n"
