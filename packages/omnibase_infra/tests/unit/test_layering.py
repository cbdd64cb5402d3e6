"""Presentation stays at the top: no module of omnibase_infra below ``cli/`` imports ``cli/``.

The rule is checked on the source of every module, not on what a run happens to import: every
``import`` and ``from ... import`` statement (relative ones resolved, ones inside functions and
``TYPE_CHECKING`` blocks included) and every string naming a module for a dynamic import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import omnibase_infra

PACKAGE = Path(omnibase_infra.__file__).parent
TOP = "omnibase_infra.cli"


def _module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """``(line, module)`` for every module the file at ``path`` (in the package at ``root``)
    names for import."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _is_cli(node.value):
            found.append((node.lineno, node.value))
    return found


def _is_cli(module: str) -> bool:
    return module == TOP or module.startswith(f"{TOP}.")


def test_no_module_below_cli_imports_cli() -> None:
    below = [p for p in sorted(PACKAGE.rglob("*.py")) if not _is_cli(_module_name(p))]
    assert len(below) > 50  # the whole package is walked, not an empty folder
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: imports {module}"
        for path in below
        for line, module in _imported(path)
        if _is_cli(module)
    ]
    assert offenders == []


def test_the_check_sees_every_form_of_import(tmp_path: Path) -> None:
    """The scan finds absolute, relative, lazy and dynamic imports of ``cli``."""
    source = (
        "import omnibase_infra.cli.cli_table\n"
        "from omnibase_infra.cli import cli_text\n"
        "from ..cli.cli_views import node_json\n"
        "def later():\n"
        "    from .. import cli\n"
        "    return __import__('omnibase_infra.cli.cli_run')\n"
    )
    root = tmp_path / "omnibase_infra"
    sample = root / "simulation" / "service_sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(source, encoding="utf-8")
    found = [module for _, module in _imported(sample, root) if _is_cli(module)]
    assert found == [
        "omnibase_infra.cli.cli_table",
        "omnibase_infra.cli.cli_text",
        "omnibase_infra.cli.cli_views.node_json",
        "omnibase_infra.cli",
        "omnibase_infra.cli.cli_run",
    ]
