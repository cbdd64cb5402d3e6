"""The package README (what the package index shows) tells the truth: its examples run."""

from __future__ import annotations

import json
import re
import runpy
import shlex
from pathlib import Path

import pytest

from omnibase_infra.cli.cli_registration import main
from omnibase_infra.stores import open_store

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_the_python_example_runs_and_prints_what_its_comments_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (code,) = _blocks("python")
    expected = re.findall(r"^print\(.*\)\s+# (.*)$", code, flags=re.MULTILINE)
    assert expected, "the example shows what it prints in a comment"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "readme_example.py").write_text(code)

    runpy.run_path("readme_example.py", run_name="readme_example")
    first = capsys.readouterr().out.splitlines()
    runpy.run_path("readme_example.py", run_name="readme_example")  # "again changes nothing"
    again = capsys.readouterr().out.splitlines()

    assert first == expected
    assert again == ["0 1", "[]", "[('billing-a', 'active')]"]
    store = open_store("sqlite:///registry.db")
    try:
        assert len(store.list_dead_letters()) == 1
        assert len(list(store.iter_events())) == 2
    finally:
        store.close()


def test_the_console_commands_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (code,) = _blocks("python")
    (tmp_path / "readme_example.py").write_text(code)
    example = runpy.run_path("readme_example.py", run_name="readme_example")
    (tmp_path / "events.jsonl").write_text(json.dumps(example["introspection"]) + "\n")
    (console,) = _blocks("console")[1:]
    commands = [line.removeprefix("$ ").split("#")[0] for line in console.splitlines()]
    assert commands

    for command in commands:
        program, *args = shlex.split(command)
        assert program == "onex-registration"
        if args[0] == "demo":
            args += ["--nodes", "8", "--minutes", "5"]  # the same command, on a smaller cluster
        assert main(args) == 0, command
    capsys.readouterr()
