"""The package's curated surface: ``reelbridge.protocol.__all__`` (STYLE.md rule 1).

Modelled on httpx's ``tests/test_exported_members.py``.
"""

from __future__ import annotations

import ast
import enum
import inspect
import types
from pathlib import Path

import msgspec
import pytest

import reelbridge.protocol as protocol
from reelbridge.protocol import codec, errors, messages, money, signing

SUBMODULES = [codec, errors, messages, money, signing]
PACKAGE = Path(protocol.__file__).resolve().parents[1]
SRC = PACKAGE.parent


def _all_sort_key(name: str) -> tuple[int, str]:
    # The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions.
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_every_name_in_all_exists() -> None:
    missing = [name for name in protocol.__all__ if not hasattr(protocol, name)]
    assert missing == []


def test_all_is_sorted_and_unique() -> None:
    assert len(set(protocol.__all__)) == len(protocol.__all__)
    assert protocol.__all__ == sorted(protocol.__all__, key=_all_sort_key)


def test_all_is_exactly_the_public_names_the_package_imports() -> None:
    public = {
        name
        for name, value in vars(protocol).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(protocol.__all__) == public


def _defined_in(module: types.ModuleType) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    }


@pytest.mark.parametrize("module", SUBMODULES, ids=lambda module: module.__name__)
def test_every_public_class_and_function_of_a_submodule_is_exported(
    module: types.ModuleType,
) -> None:
    defined = _defined_in(module)
    assert defined
    assert sorted(set(defined) - set(protocol.__all__)) == []
    for name, value in defined.items():
        assert getattr(protocol, name) is value


def test_every_message_and_message_union_is_exported() -> None:
    names = {
        name
        for name, value in vars(messages).items()
        if not name.startswith("_")
        and (
            (inspect.isclass(value) and issubclass(value, msgspec.Struct | enum.Enum))
            or isinstance(value, types.UnionType)
        )
        and getattr(value, "__module__", messages.__name__) in (messages.__name__, "types")
    }
    assert {"Bet", "Win", "Refund", "GetBalance", "BalanceReply", "ErrorReply"} <= names
    assert {"WalletRequest", "ProviderRequest", "Reply"} <= names
    assert sorted(names - set(protocol.__all__)) == []


def _names_imported_from_protocol_submodules() -> dict[str, set[str]]:
    """Names that code outside the protocol package imports from its submodules."""
    imported: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if PACKAGE / "protocol" in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module is not None
                and node.module.startswith("reelbridge.protocol.")
            ):
                for alias in node.names:
                    where = str(path.relative_to(SRC))
                    imported.setdefault(alias.name, set()).add(where)
    return imported


def test_names_other_code_takes_from_protocol_submodules_are_exported() -> None:
    imported = _names_imported_from_protocol_submodules()
    unexported = {name: where for name, where in imported.items() if name not in protocol.__all__}
    assert unexported == {}
