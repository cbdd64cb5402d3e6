"""onex-registration in process: commands, output formats and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omnibase_infra.cli.cli_registration import main
from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    history = ServiceClusterSimulator(seed=1, nodes=12, minutes=6).simulate()
    path = tmp_path / "events.jsonl"
    ServiceWireStreamWriter(malformed_fraction=0.05, seed=1).write(history.envelopes, path)
    return path


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("ONEX_REGISTRATION_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    return f"sqlite:///{tmp_path / 'registry.db'}"


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("onex-registration: error: ")
    return err[0]


def test_run_writes_events_and_a_summary_that_adds_up(
    events_file: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = events_file.read_text().splitlines()

    assert main(["run", str(events_file), "--store", store_url, "--batch-size", "7"]) == 0

    captured = capsys.readouterr()
    emitted = [json.loads(line) for line in captured.out.splitlines()]
    assert emitted
    assert all(e["event_type"] and e["causation_id"] for e in emitted)
    counts = {
        parts[0]: int(parts[1].replace(",", ""))
        for parts in (line.split() for line in captured.err.splitlines())
        if parts and parts[0] in {"lines", "applied", "ignored", "duplicates", "dead-lettered"}
    }
    assert counts["lines"] == len(lines)
    assert sum(v for k, v in counts.items() if k != "lines") == len(lines)
    assert "nodes by state: active" in captured.err


def test_nodes_json_rows_carry_the_design_fields(
    events_file: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["run", str(events_file), "--store", store_url, "--out", "-"])
    capsys.readouterr()

    assert main(["nodes", "--store", store_url, "--json"]) == 0

    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 12
    assert {
        "node_id",
        "node_name",
        "state",
        "node_type",
        "node_version",
        "epoch",
        "capabilities",
        "endpoints",
        "registered_at",
        "last_heartbeat_at",
        "liveness_deadline",
        "updated_at",
    } <= set(rows[0])
    assert [r["node_name"] for r in rows] == sorted(r["node_name"] for r in rows)


def test_nodes_state_filter_and_table(
    events_file: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["run", str(events_file), "--store", store_url, "--out", "-"])
    capsys.readouterr()

    main(["nodes", "--store", store_url, "--state", "active"])
    table = capsys.readouterr().out.splitlines()

    assert table[0].startswith("NAME")
    assert all(" active " in row for row in table[1:])


def test_events_and_dead_letters_commands(
    events_file: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["run", str(events_file), "--store", store_url, "--out", "-"])
    emitted = capsys.readouterr().out.splitlines()

    assert main(["events", "--store", store_url, "--json"]) == 0
    logged = capsys.readouterr().out.splitlines()
    assert main(["dead-letters", "--store", store_url, "--json"]) == 0
    dead = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    assert [json.loads(x)["event_id"] for x in logged] == [
        json.loads(x)["event_id"] for x in emitted
    ]
    assert dead
    assert all(d["reason"] and d["source"] == "events.jsonl" for d in dead)


def test_store_migrate_prints_the_version(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["store", "migrate", "--store", store_url]) == 0
    assert "schema version" in capsys.readouterr().out


def test_missing_input_file_is_a_one_line_error(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "nowhere.jsonl", "--store", store_url]) == 1
    assert "nowhere.jsonl does not exist" in _error_line(capsys)


def test_reading_a_missing_sqlite_store_does_not_create_it(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["nodes", "--store", store_url]) == 1
    assert "no SQLite store" in _error_line(capsys)
    assert not (tmp_path / "registry.db").exists()


def test_unknown_scheme_is_a_one_line_error(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["events", "--store", "redis://localhost"]) == 1
    assert "redis://localhost" in _error_line(capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "x.jsonl", "--partition", "2/2"],
        ["run", "x.jsonl", "--batch-size", "many"],
        ["nodes", "--state", "zombie"],
        ["store"],
        ["demo", "--nodes", "0"],
        [],
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert "--help" in _error_line(capsys)


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("run", "nodes", "events", "dead-letters", "store", "demo"):
        assert command in out


def test_demo_is_deterministic_and_checks_invariants(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--seed", "3", "--nodes", "15", "--minutes", "8"]) == 0
    first = capsys.readouterr().out
    assert main(["demo", "--seed", "3", "--nodes", "15", "--minutes", "8"]) == 0
    second = capsys.readouterr().out

    assert first == second
    assert "All invariants hold." in first
    assert "every crashed node ends liveness_expired" in first
    assert "NodeLivenessExpired" in first
