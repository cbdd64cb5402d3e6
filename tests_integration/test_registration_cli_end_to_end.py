"""``onex-registration`` as a user runs it: a hand-written file, then the registry; bad input."""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

CliRunner = Callable[..., subprocess.CompletedProcess[str]]

A = "11111111-1111-4111-8111-111111111111"  # starts, heartbeats: active
B = "22222222-2222-4222-8222-222222222222"  # starts, shuts down: deregistered
C = "33333333-3333-4333-8333-333333333333"  # starts, goes silent, expires, then heard again
D = "44444444-4444-4444-8444-444444444444"  # never introspected: only a heartbeat
E = "55555555-5555-4555-8555-555555555555"  # starts, changes version, a stale epoch replayed


def _intro(
    eid: str,
    at: str,
    node: str,
    name: str,
    *,
    reason: str = "startup",
    epoch: int = 1,
    version: str = "1.0.0",
) -> str:
    return json.dumps(
        {
            "envelope_id": eid,
            "envelope_timestamp": at,
            "correlation_id": "99999999-9999-4999-8999-999999999999",
            "topic": "onex.evt.platform.node-introspection.v1",
            "payload_type": "ModelNodeIntrospectionEvent",
            "payload": {
                "node_id": node,
                "node_name": name,
                "node_type": "effect",
                "node_version": version,
                "capabilities": {"max_concurrency": 4},
                "endpoints": {"api": f"http://{name}:8080"},
                "reason": reason,
                "epoch": epoch,
                "timestamp": at,
            },
        }
    )


def _beat(eid: str, at: str | None, node: str, *, epoch: int = 1, sent: str | None = None) -> str:
    envelope = {
        "envelope_id": eid,
        "topic": "onex.evt.platform.node-heartbeat.v1",
        "payload_type": "ModelNodeHeartbeatEvent",
        "payload": {
            "node_id": node,
            "epoch": epoch,
            "uptime_seconds": 30.0,
            "active_operations": 1,
            "timestamp": sent or at,
        },
    }
    if at is not None:
        envelope["envelope_timestamp"] = at
    return json.dumps(envelope)


def _tick(eid: str, now: str, sequence: int) -> str:
    return json.dumps(
        {
            "envelope_id": eid,
            "envelope_timestamp": now,
            "category": "intent",
            "topic": "onex.intent.platform.runtime-tick.v1",
            "payload_type": "ModelRuntimeTick",
            "payload": {
                "tick_id": eid,
                "now": now,
                "sequence_number": sequence,
                "scheduler_id": "scheduler-a",
                "tick_interval_ms": 60000,
            },
        }
    )


def _eid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


HAND_WRITTEN = [
    _intro(_eid(1), "2026-03-01T12:00:00Z", A, "billing-a"),
    _intro(_eid(2), "2026-03-01T12:00:05Z", B, "search-b"),
    _intro(_eid(3), "2026-03-01T12:00:10Z", C, "ingest-c"),
    _intro(_eid(4), "2026-03-01T12:00:20Z", E, "media-e", epoch=2),
    _beat(_eid(5), "2026-03-01T12:00:30Z", A),
    "",
    _beat(_eid(6), "2026-03-01T12:01:00Z", A),
    _intro(_eid(7), "2026-03-01T14:01:00+02:00", B, "search-b", reason="shutdown"),
    _intro(
        _eid(8),
        "2026-03-01T12:01:20Z",
        E,
        "media-e",
        reason="capability_change",
        epoch=2,
        version="1.1.0",
    ),
    _intro(_eid(9), "2026-03-01T12:01:30Z", E, "media-e", epoch=1),  # stale epoch: ignored
    _tick(_eid(10), "2026-03-01T12:02:00Z", 1),  # C's deadline (12:01:10) has passed
    _beat(_eid(11), "2026-03-01T12:02:10Z", C),  # expired node heard: introspection requested
    _beat(_eid(12), "2026-03-01T12:02:30Z", E, epoch=2),
    _beat(_eid(13), "2026-03-01T12:02:40Z", A),
    _beat(_eid(14), None, D, sent="2024-01-01T00:00:00Z"),  # no envelope_timestamp, no category
    _tick(_eid(15), "2026-03-01T12:03:00Z", 2),
    _tick(_eid(16), "2026-03-01T12:02:30Z", 3),  # older than the newest tick: ignored
    _beat(_eid(6), "2026-03-01T12:01:00Z", A),  # redelivered: a duplicate
]


def test_hand_written_file_gives_the_states_the_lifecycle_table_predicts(
    cli: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "events.jsonl").write_text("\n".join(HAND_WRITTEN) + "\n")

    run = cli("run", "events.jsonl", "--out", "emitted.jsonl")
    listed = cli("nodes", "--json")

    assert run.returncode == 0, run.stderr
    assert listed.returncode == 0, listed.stderr
    rows = {row["node_id"]: row for row in map(json.loads, listed.stdout.splitlines())}
    assert {node: row["state"] for node, row in rows.items()} == {
        A: "active",
        B: "deregistered",
        C: "liveness_expired",
        E: "active",
    }
    assert (rows[E]["epoch"], rows[E]["node_version"]) == (2, "1.1.0")
    assert rows[A]["last_heartbeat_at"].startswith("2026-03-01T12:02:40")
    for field in (
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
    ):
        assert field in rows[A]

    emitted: dict[str, list[str]] = defaultdict(list)
    for line in (tmp_path / "emitted.jsonl").read_text().splitlines():
        event = json.loads(line)
        emitted[event["node_id"]].append(event["event_type"])
        for field in ("event_id", "topic", "causation_id", "correlation_id", "emitted_at"):
            assert event[field]
    assert dict(emitted) == {
        A: ["NodeRegistrationInitiated", "NodeBecameActive"],
        B: ["NodeRegistrationInitiated", "NodeBecameActive", "NodeDeregistered"],
        C: [
            "NodeRegistrationInitiated",
            "NodeBecameActive",
            "NodeLivenessExpired",
            "NodeIntrospectionRequested",
        ],
        D: ["NodeIntrospectionRequested"],
        E: ["NodeRegistrationInitiated", "NodeBecameActive", "NodeRegistrationUpdated"],
    }
    summary = run.stderr
    assert "lines             18   (1 blank)" in summary
    assert "ignored            2   (stale_epoch 1, stale_tick 1)" in summary
    assert "duplicates         1" in summary
    assert "dead-lettered      0" in summary
    assert "active 2, liveness_expired 1, deregistered 1" in summary


def test_events_and_tables_after_a_run(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "events.jsonl").write_text("\n".join(HAND_WRITTEN) + "\n")
    cli("run", "events.jsonl", "--out", "-", check=True)

    table = cli("nodes", check=True).stdout.splitlines()
    events = cli("events", "--json", check=True).stdout.splitlines()
    events_table = cli("events", check=True).stdout.splitlines()
    expired = cli("nodes", "--json", "--state", "liveness_expired", check=True).stdout

    assert table[0].split()[:3] == ["NAME", "NODE", "ID"]
    assert len(table) == 5
    assert [json.loads(e)["sequence"] for e in events] == sorted(
        json.loads(e)["sequence"] for e in events
    )
    assert len(events_table) == len(events) + 1 == 14
    assert [json.loads(x)["node_id"] for x in expired.splitlines()] == [C]


def test_rerunning_the_same_file_changes_nothing(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "events.jsonl").write_text("\n".join(HAND_WRITTEN) + "\n")
    cli("run", "events.jsonl", "--out", "first.jsonl", check=True)
    before = cli("nodes", "--json", check=True).stdout

    again = cli("run", "events.jsonl", "--out", "second.jsonl", check=True)

    assert "duplicates        17" in again.stderr
    assert (tmp_path / "second.jsonl").read_text() == ""
    assert cli("nodes", "--json", check=True).stdout == before


# --- bad input -----------------------------------------------------------------------------------


def test_garbage_and_naive_lines_are_dead_lettered_with_their_line_numbers(
    cli: CliRunner, tmp_path: Path
) -> None:
    naive_envelope = _beat(_eid(20), "2026-03-01T12:00:00", A, sent="2026-03-01T12:00:00Z")
    naive_payload = _beat(_eid(21), "2026-03-01T12:00:00Z", A, sent="2026-03-01T12:00:00")
    lines = [
        HAND_WRITTEN[0],
        "this is not json",
        '{"envelope_id": 3}',
        "[1, 2]",
        naive_envelope,
        naive_payload,
        "\x00\x01 binary",
    ]
    (tmp_path / "bad.jsonl").write_text("\n".join(lines) + "\n")

    run = cli("run", "bad.jsonl", "--out", "-")
    dead = cli("dead-letters", "--json")
    table = cli("dead-letters")

    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    letters = {d["line_number"]: d for d in map(json.loads, dead.stdout.splitlines())}
    assert {n: d["reason"] for n, d in letters.items()} == {
        2: "unparseable",
        3: "invalid_envelope",
        4: "invalid_envelope",
        5: "invalid_envelope",
        6: "invalid_envelope",
        7: "unparseable",
    }
    assert all(d["source"] == "bad.jsonl" for d in letters.values())
    assert letters[2]["raw"] == "this is not json"
    assert "bad.jsonl:5" in table.stdout
    assert "applied            1" in run.stderr


@pytest.mark.parametrize(
    ("args", "status", "fragment"),
    [
        (("run", "missing.jsonl", "--store", "memory://"), 1, "missing.jsonl does not exist"),
        (("run", "events.jsonl", "--store", "mysql://x/y"), 1, "mysql://x/y"),
        (("run", "events.jsonl", "--partition", "3/2"), 2, "3/2"),
        (("run", "events.jsonl", "--partition", "half"), 2, "half"),
        (("run", "events.jsonl", "--batch-size", "0"), 2, "--batch-size"),
        (("nodes", "--store", "sqlite:///absent.db"), 1, "no SQLite store at absent.db"),
        (("nodes", "--store", "sqlite:///garbage.db"), 1, "garbage.db"),
        (("nodes", "--state", "sleeping"), 2, "sleeping"),
        (("frobnicate",), 2, "frobnicate"),
        (("demo", "--minutes", "2"), 2, "--minutes"),
        ((), 2, "required"),
    ],
)
def test_user_errors_are_one_line_and_exit_non_zero(
    cli: CliRunner, tmp_path: Path, args: tuple[str, ...], status: int, fragment: str
) -> None:
    (tmp_path / "events.jsonl").write_text(HAND_WRITTEN[0] + "\n")
    (tmp_path / "garbage.db").write_bytes(b"this is not a database" * 100)

    done = cli(*args)

    assert done.returncode == status
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("onex-registration: error: ")
    assert fragment in lines[0]
    assert done.stdout == ""


def test_store_url_comes_from_the_environment(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "events.jsonl").write_text(HAND_WRITTEN[0] + "\n")
    env = {"ONEX_REGISTRATION_STORE": f"sqlite:///{tmp_path / 'from-env.db'}"}

    cli("run", "events.jsonl", "--out", "-", env=env, check=True)

    assert (tmp_path / "from-env.db").exists()
    assert not (tmp_path / "registration.db").exists()
    assert len(cli("nodes", "--json", env=env, check=True).stdout.splitlines()) == 1


def test_store_migrate_reports_the_schema_version(cli: CliRunner, tmp_path: Path) -> None:
    done = cli("store", "migrate", "--store", "sqlite:///fresh.db", check=True)

    assert "schema version" in done.stdout
    assert (tmp_path / "fresh.db").exists()
