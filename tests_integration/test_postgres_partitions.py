"""Several ``onex-registration run`` processes sharing one PostgreSQL registry.

The input is the simulated history of a cluster (the demo's simulator), written as JSON lines.
A producer splits it as a partitioned log would: every node message goes to partition
``crc32(node_id) % N`` and every partition receives every tick, with the same envelope id (the
runtime keys a tick's inbox record by partition). Every scenario is compared with one process
applying the whole stream to its own store: the same final registry and the same multiset of
emitted (event type, node, causing envelope). ``benchmarks/bench_registration_postgres.py``
(``nox -s bench``) checks the same equivalence on 100,000 messages.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages/omnibase_infra/tests"))

from postgres_fixtures import postgres_fresh_url, postgres_server, postgres_url
from postgres_server import PostgresTestServer

from omnibase_infra.models import partition_hash
from omnibase_infra.stores.store_registration_postgres import StoreRegistrationPostgres

__all__ = ["postgres_fresh_url", "postgres_server", "postgres_url"]

pytestmark = [pytest.mark.postgres]

DEFAULT_MESSAGES = 12_000
NODES = 1_000
TICK_TYPE = "ModelRuntimeTick"


# --- the stream ---------------------------------------------------------------------------------
def generate_stream(path: Path, messages: int, *, seed: int = 2026) -> None:
    """Write ``messages`` envelopes of a simulated ``NODES``-node cluster to ``path``."""
    from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter

    minutes = max(5.0, messages / 2_600)
    while True:
        history = ServiceClusterSimulator(seed=seed, nodes=NODES, minutes=minutes).simulate()
        if len(history.envelopes) >= messages:
            break
        minutes *= 1.2
    ServiceWireStreamWriter().write(history.envelopes[:messages], path)


def split_stream(path: Path, count: int) -> list[Path]:
    """Split ``path`` into ``count`` partition files: node messages by ``crc32(node_id) %
    count``, and every tick, unchanged, to every partition."""
    outputs = [path.with_suffix(f".p{index}of{count}.jsonl") for index in range(count)]
    files = [out.open("w", encoding="utf-8") for out in outputs]
    try:
        with path.open(encoding="utf-8") as source:
            for line in source:
                wire = json.loads(line)
                node_id = wire["payload"].get("node_id")
                if wire["payload_type"] == TICK_TYPE or node_id is None:
                    for out in files:
                        out.write(line)
                else:
                    files[partition_hash(uuid.UUID(node_id)) % count].write(line)
    finally:
        for out in files:
            out.close()
    return outputs


# --- processes ----------------------------------------------------------------------------------
def start_run(
    path: Path, url: str, partition: str | None, batch_size: int = 250
) -> subprocess.Popen[str]:
    """Start ``onex-registration run`` on ``path`` against ``url``."""
    args = [sys.executable, "-m", "omnibase_infra.cli", "run", str(path), "--store", url]
    args += ["--batch-size", str(batch_size), "--out", os.devnull]
    if partition is not None:
        args += ["--partition", partition]
    return subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ONEX_REGISTRATION_STORE", None)
    return env


def finish(proc: subprocess.Popen[str], timeout: float = 600) -> str:
    """Wait for ``proc``; fails the test with its output unless it exited 0."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{out}\nstderr:\n{err}"
    return out


def inbox_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM inbox").fetchone()
    return int(row[0]) if row else 0


def wait_for_progress(url: str, at_least: int, proc: subprocess.Popen[str]) -> None:
    """Wait until ``at_least`` inputs are committed (or ``proc`` ended)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if inbox_count(url) >= at_least:
                return
        except psycopg.Error:
            pass  # the schema is created by the process itself
        time.sleep(0.05)


# --- results ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """What a run left in its store."""

    registry: list[dict[str, Any]]
    events: Counter[tuple[str, str, str]]
    total_events: int
    inbox: int


def read_outcome(url: str) -> Outcome:
    """The final registry and the multiset of (event type, node, causing envelope)."""
    store = StoreRegistrationPostgres(url)
    try:
        registry = [node.model_dump(mode="json") for node in store.list_nodes()]
        events: Counter[tuple[str, str, str]] = Counter()
        total = 0
        for event in store.iter_events():
            events[(event.event_type.value, str(event.node_id), str(event.causation_id))] += 1
            total += 1
        counts = store.count_outcomes()
    finally:
        store.close()
    return Outcome(registry, events, total, sum(counts.values()))


def assert_same(actual: Outcome, expected: Outcome) -> None:
    assert actual.registry == expected.registry
    assert actual.events == expected.events
    assert actual.total_events == expected.total_events
    assert max(actual.events.values(), default=1) == 1  # no event emitted twice


# --- fixtures -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stream:
    whole: Path
    halves: list[Path]
    baseline: Outcome


def _stream(tmp: Path, messages: int, server: PostgresTestServer, base_url: str) -> Stream:
    whole = tmp / f"events-{messages}.jsonl"
    generate_stream(whole, messages)
    halves = split_stream(whole, 2)
    url = server.create_schema(base_url)
    finish(start_run(whole, url, None, batch_size=500))
    baseline = read_outcome(url)
    assert baseline.total_events > 0
    assert any(kind == "NodeLivenessExpired" for kind, _n, _c in baseline.events)
    return Stream(whole, halves, baseline)


@pytest.fixture(scope="module")
def stream(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresTestServer, postgres_url: str
) -> Stream:
    """The default stream, its two partition halves and the single-process baseline."""
    return _stream(
        tmp_path_factory.mktemp("pg-stream"), DEFAULT_MESSAGES, postgres_server, postgres_url
    )


def run_partitioned(stream: Stream, url: str) -> Iterator[subprocess.Popen[str]]:
    for index, half in enumerate(stream.halves):
        yield start_run(half, url, f"{index}/2")


# --- scenarios ----------------------------------------------------------------------------------
def test_two_partitions_equal_one_process(stream: Stream, postgres_fresh_url: str) -> None:
    for proc in list(run_partitioned(stream, postgres_fresh_url)):
        finish(proc)
    assert_same(read_outcome(postgres_fresh_url), stream.baseline)


def test_two_unpartitioned_processes_on_the_same_stream_apply_each_envelope_once(
    stream: Stream, postgres_fresh_url: str
) -> None:
    """Both processes get every envelope and tick the same nodes at once: each expiry (and
    every other effect) happens exactly once, as in a single run."""
    procs = [start_run(stream.whole, postgres_fresh_url, None) for _ in range(2)]
    for proc in procs:
        finish(proc)
    outcome = read_outcome(postgres_fresh_url)
    assert_same(outcome, stream.baseline)
    assert outcome.inbox == stream.baseline.inbox


def test_a_partition_killed_mid_run_and_restarted_ends_the_same(
    stream: Stream, postgres_fresh_url: str
) -> None:
    first, second = run_partitioned(stream, postgres_fresh_url)
    wait_for_progress(postgres_fresh_url, DEFAULT_MESSAGES // 5, first)
    assert first.poll() is None  # still running
    first.send_signal(signal.SIGKILL)
    first.communicate()
    assert first.returncode == -signal.SIGKILL  # it was killed mid-run, not finished
    finish(second)
    finish(start_run(stream.halves[0], postgres_fresh_url, "0/2"))
    assert_same(read_outcome(postgres_fresh_url), stream.baseline)


def test_postgres_restarted_mid_run_loses_and_doubles_nothing(
    stream: Stream, postgres_server: PostgresTestServer, postgres_fresh_url: str
) -> None:
    procs = list(run_partitioned(stream, postgres_fresh_url))
    wait_for_progress(postgres_fresh_url, DEFAULT_MESSAGES // 4, procs[0])
    assert procs[0].poll() is None  # the restart happens mid-run
    postgres_server.restart()
    for proc in procs:
        finish(proc)
    assert_same(read_outcome(postgres_fresh_url), stream.baseline)
