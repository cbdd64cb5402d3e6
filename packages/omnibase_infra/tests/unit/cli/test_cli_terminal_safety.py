"""Values from the input reach the terminal escaped; ``--json`` keeps them exactly."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from omnibase_infra.cli.cli_registration import main

HOSTILE_NAMES = [
    "evil\nforged-node  00000000  active  effect  9.9.9  1",
    "\x1b[2J\x1b[31mred",
    "right\u202eexe.txt",
    "tab\there\rback",
    "c1\x9b31m\x85next",
    "del\x7f\x07bell\x08",
    "zero\u200bwidth\ufeff\u2028sep",
    "back\\slash",
]


def _introspection(name: str, number: int) -> str:
    at = f"2026-03-01T12:00:{number:02d}Z"
    return json.dumps(
        {
            "envelope_id": str(uuid.UUID(int=number + 1, version=4)),
            "envelope_timestamp": at,
            "topic": "onex.evt.platform.node-introspection.v1",
            "payload_type": "ModelNodeIntrospectionEvent",
            "payload": {
                "node_id": str(uuid.UUID(int=1000 + number, version=4)),
                "node_name": name,
                "node_type": "effect",
                "node_version": f"1.0.{number}\x1b[0m",
                "capabilities": {},
                "endpoints": {},
                "reason": "startup",
                "epoch": 1,
                "timestamp": at,
            },
        }
    )


@pytest.fixture
def store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "in\x1b[1mput\n.jsonl"  # a file name is shown too
    lines = [_introspection(name, n) for n, name in enumerate(HOSTILE_NAMES)]
    source.write_text("\n".join([*lines, "not json \x1b]0;title\x07"]) + "\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    assert main(["run", str(source), "--store", url, "--out", "out.jsonl"]) == 0
    _assert_terminal_safe(capsys.readouterr().err, min_lines=7)
    return url


def _assert_terminal_safe(text: str, min_lines: int) -> list[str]:
    lines = text.split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    assert len(lines) >= min_lines
    assert text.splitlines() == lines  # no other line breaks hide in a line
    assert all(char.isprintable() for line in lines for char in line), lines
    return lines


def test_nodes_table_has_one_row_per_node(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nodes", "--store", store]) == 0

    rows = _assert_terminal_safe(capsys.readouterr().out, min_lines=len(HOSTILE_NAMES) + 1)
    assert len(rows) == len(HOSTILE_NAMES) + 1
    assert any(row.startswith("evil\\nforged-node") for row in rows)
    assert any(row.startswith("\\x1b[2J\\x1b[31mred") for row in rows)
    assert any("1.0.1\\x1b[0m" in row for row in rows)


def test_nodes_json_keeps_the_values_exactly(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["nodes", "--json", "--store", store]) == 0

    # JSON lines are split on "\n" only: U+0085 and U+2028 inside a string are data
    rows = [json.loads(line) for line in capsys.readouterr().out.split("\n")[:-1]]
    assert sorted(row["node_name"] for row in rows) == sorted(HOSTILE_NAMES)


def test_dead_letters_and_events_tables_are_escaped(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dead-letters", "--store", store]) == 0
    rows = _assert_terminal_safe(capsys.readouterr().out, min_lines=2)
    assert len(rows) == 2
    assert "in\\x1b[1mput\\n.jsonl:9" in rows[1]

    assert main(["events", "--store", store]) == 0
    rows = _assert_terminal_safe(capsys.readouterr().out, min_lines=2)
    assert len(rows) == 1 + 2 * len(HOSTILE_NAMES)


def test_an_error_naming_a_hostile_file_is_one_printable_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert main(["run", "missing\n\x1b[31m.jsonl", "--store", "memory://"]) == 1

    err = _assert_terminal_safe(capsys.readouterr().err, min_lines=1)
    assert err == ["onex-registration: error: input file missing \\x1b[31m.jsonl does not exist"]
