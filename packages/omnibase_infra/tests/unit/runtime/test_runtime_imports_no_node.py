"""The engine knows no node: no module of ``omnibase_infra.runtime`` imports ``nodes/`` (or the
layers above it), directly, lazily inside a function, or under ``TYPE_CHECKING``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import omnibase_infra.runtime

RUNTIME_DIR = Path(omnibase_infra.runtime.__file__).parent
FORBIDDEN = ("omnibase_infra.nodes", "omnibase_infra.cli", "omnibase_infra.simulation")
MODULES = sorted(RUNTIME_DIR.glob("*.py"))


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, anywhere in its tree, with the line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path}:{node.lineno}: relative import; use absolute ones")
            module = node.module or ""
            found.append((node.lineno, module))
            found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
    return found


def test_every_runtime_module_is_inspected() -> None:
    names = {path.stem for path in MODULES}
    assert {"service_node_engine", "service_batch_applier", "wire_codec"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_runtime_module_imports_no_node(path: Path) -> None:
    offending = [
        f"{path.name}:{line}: imports {name}"
        for line, name in imported_modules(path)
        if any(name == prefix or name.startswith(f"{prefix}.") for prefix in FORBIDDEN)
    ]
    assert offending == []


def test_the_check_sees_a_lazy_import(tmp_path: Path) -> None:
    module = tmp_path / "lazy.py"
    module.write_text(
        "def f():\n    from omnibase_infra.nodes.node_registration_orchestrator import node\n"
    )
    assert (2, "omnibase_infra.nodes.node_registration_orchestrator") in imported_modules(module)
