"""docs/operations.md's table of guarantees names tests that exist: every failure it lists is
proven by a test of that name in the infra test suite."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
CLI_TESTS = ROOT / "packages" / "omnibase_infra" / "tests" / "unit" / "cli"


def _table_tests() -> list[str]:
    lines = DOC.splitlines()
    start = lines.index("| failure | guarantee | test |")
    names: list[str] = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        names.extend(re.findall(r"`(test_\w+)`", line.rsplit("|", 2)[-2]))
    return names


def _defined_tests(pattern: str) -> set[str]:
    found: set[str] = set()
    for path in CLI_TESTS.glob(pattern):
        found.update(re.findall(r"^def (test_\w+)\(", path.read_text("utf-8"), re.MULTILINE))
    return found


def test_every_test_the_guarantees_table_names_exists() -> None:
    named = _table_tests()
    assert len(named) >= 9
    missing = sorted(set(named) - _defined_tests("test_cli_serve*.py"))
    assert not missing, f"docs/operations.md names tests that do not exist: {missing}"
