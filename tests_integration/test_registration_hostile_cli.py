"""Hostile input through the real ``onex-registration run``: a run with batch size 1 killed with
SIGKILL mid-way and run again ends with the same registry, event log and dead letters as one
uninterrupted run with batch size 500, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages/omnibase_infra/tests"))

from postgres_fixtures import postgres_fresh_url, postgres_server, postgres_url

from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter

__all__ = ["postgres_fresh_url", "postgres_server", "postgres_url"]

pytestmark = pytest.mark.slow

Snapshot = Callable[[str], dict[str, Any]]


def _hostile_line(rng: random.Random, node_ids: list[str]) -> bytes:
    """One line of a kind a hostile producer sends; each with an envelope id of its own."""
    envelope_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    stamp = f"2026-03-01T12:{rng.randrange(60):02}:{rng.randrange(60):02}Z"
    payload: dict[str, Any] = {
        "node_id": rng.choice(node_ids),
        "node_name": "hostile",
        "node_type": "effect",
        "node_version": "9.9.9",
        "epoch": 0,
        "timestamp": stamp,
        "capabilities": {"x": 1e23, "y": 1.5e300, "z": -0.0},
    }
    wire: dict[str, Any] = {
        "envelope_id": envelope_id,
        "envelope_timestamp": stamp,
        "topic": "onex.evt.platform.node-introspection.v1",
        "payload_type": "ModelNodeIntrospectionEvent",
        "payload": payload,
    }
    kind = rng.randrange(12)
    if kind == 0:
        payload["capabilities"] = {"big": 2**64}
    elif kind == 1:
        payload["node_name"] = "a\x00b"
    elif kind == 2:
        payload["capabilities"] = {"\ud800": 1}
    elif kind == 3:
        wire["envelope_timestamp"] = "9999-12-31T23:30:00-01:00"
    elif kind == 4:
        payload["timestamp"] = 1772366400
    elif kind == 5:
        wire["x\x00"] = 1
    elif kind == 6:
        return b'{"envelope_id": "' + envelope_id.encode() + b'", "payload": "\xff\xfe"}'
    elif kind == 7:
        return json.dumps(wire).encode().replace(b"1e+23", b"NaN")
    elif kind == 8:
        return json.dumps(wire).encode() + b"\r"  # a CRLF line: the \r is JSON whitespace
    elif kind == 9:
        return b"{\r" + json.dumps(wire).encode()[1:]  # a bare CR inside the line
    elif kind == 10:
        return rng.choice([b"", b" \t", b"\r"])  # blank lines
    return json.dumps(wire).encode()  # sound, with jsonb-unfriendly numbers


def _input(path: Path) -> int:
    """Write a simulated cluster's stream with hostile lines mixed in; returns its line count."""
    history = ServiceClusterSimulator(seed=23, nodes=16, minutes=8).simulate()
    good = [line.encode() for line in ServiceWireStreamWriter(seed=23).lines(history.envelopes)]
    node_ids = sorted(
        {str(e.payload.node_id) for e in history.envelopes if hasattr(e.payload, "node_id")}
    )
    rng = random.Random(2303)
    lines = list(good)
    for _ in range(len(good) // 8):
        lines.insert(rng.randrange(len(lines) + 1), _hostile_line(rng, node_ids))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return len(lines)


def _run(events: Path, url: str, out: Path, batch_size: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "omnibase_infra.cli",
        "run",
        str(events),
        "--store",
        url,
        "--batch-size",
        str(batch_size),
        "--out",
        str(out),
    ]


def _committed(url: str) -> int:
    """Inbox records committed in the store at ``url`` (0 while it is being created)."""
    try:
        if url.startswith("sqlite:///"):
            with sqlite3.connect(f"file:{url[len('sqlite:///') :]}?mode=ro", uri=True) as conn:
                (count,) = conn.execute("SELECT count(*) FROM inbox").fetchone()
            conn.close()
            return int(count)
        with psycopg.connect(url) as pg:
            row = pg.execute("SELECT count(*) FROM inbox").fetchone()
            return int(row[0]) if row else 0
    except (sqlite3.Error, psycopg.Error):
        return 0


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """``make(name)``: the URL of a new, empty store of the backend under test."""

    def make(name: str) -> str:
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / f'{name}.db'}"
        server = request.getfixturevalue("postgres_server")
        return str(server.create_schema(str(request.getfixturevalue("postgres_url"))))

    return make


def test_hostile_input_killed_and_rerun_matches_one_uninterrupted_run(
    tmp_path: Path, store_urls: Callable[[str], str], snapshot: Snapshot
) -> None:
    events = tmp_path / "hostile.jsonl"
    line_count = _input(events)

    reference_url = store_urls("reference")
    done = subprocess.run(
        _run(events, reference_url, tmp_path / "reference.out", 500),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    reference = snapshot(reference_url)
    reasons = {d["reason"] for d in reference["dead_letters"]}
    assert {"invalid_envelope", "unparseable"} <= reasons

    url = store_urls("killed")
    kills = 0
    for target in (line_count // 4,):  # the killed run commits line by line: a wide window
        process = subprocess.Popen(
            _run(events, url, tmp_path / "killed.out", 1),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while process.poll() is None and _committed(url) < target:
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        if process.poll() is not None:
            break
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
    finished = subprocess.run(
        _run(events, url, tmp_path / "killed.out", 1), capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr
    assert kills == 1, "the run finished before its kill point"
    assert snapshot(url) == reference
