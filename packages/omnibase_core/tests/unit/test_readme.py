"""The package README (what the package index shows) tells the truth: its examples run."""

from __future__ import annotations

import re
import runpy
import shlex
from pathlib import Path
from typing import Any

import pytest

from omnibase_core.cli.cli_onex import main

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.DOTALL)


def _run_example(folder: Path) -> dict[str, Any]:
    """Run the README's Python example as a user would, saved as a script."""
    (code,) = _blocks("python")
    script = folder / "readme_example.py"
    script.write_text(code)
    return runpy.run_path(str(script), run_name="readme_example")


def test_the_python_example_runs_and_prints_what_its_comments_say(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (code,) = _blocks("python")
    expected = re.findall(r"^print\(.*\)\s+# (.*)$", code, flags=re.MULTILINE)
    assert expected, "the example shows what it prints in a comment"

    _run_example(tmp_path)

    assert capsys.readouterr().out.splitlines() == expected


def test_the_console_example_is_what_onex_prints_for_a_typo_in_the_example_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = _run_example(tmp_path)["CONTRACT"]
    capsys.readouterr()
    (tmp_path / "contracts").mkdir()
    broken = contract.replace("handler_key:", "handler_kye:")
    (tmp_path / "contracts" / "order_orchestrator.yaml").write_text(broken)
    monkeypatch.chdir(tmp_path)
    (console,) = _blocks("console")[1:]
    command, *expected = console.splitlines()
    program, *args = shlex.split(command.removeprefix("$ "))
    assert program == "onex"

    status = main(args)

    assert status == 1
    assert capsys.readouterr().out.splitlines() == expected
