"""Registration throughput on PostgreSQL: one process against two partitioned processes.

Starts a private PostgreSQL server (like the tests: the distribution's ``initdb``/``pg_ctl`` on a
temporary directory and a free loopback port), writes the 100,000-message history of a
simulated 1,000-node cluster, and times ``onex-registration run`` on it: one process on the
whole stream, then two processes started together with ``--partition 0/2`` and ``1/2``, each on
its half (node messages split by CRC-32 of the node id; every tick goes to both). Each
configuration runs into a fresh schema; the time is from start until every process has exited,
so process start-up counts for both. At this scale it also checks that the two partitions end
exactly as the one process does: the same final registry and the same multiset of emitted
(event type, node, causing envelope), no event twice (the tests check the same on 12,000
messages). Prints a table; exits 1 when the outcomes differ or two processes are below 1.4x one
process.

    uv run python benchmarks/bench_registration_postgres.py [--messages 100000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages/omnibase_infra/tests"))

from postgres_server import PostgresTestServer, unavailable_reason

TARGET_SPEEDUP = 1.4
NODES = 1_000


def generate(path: Path, messages: int) -> None:
    """Write ``messages`` envelopes of a simulated ``NODES``-node cluster to ``path``."""
    from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter

    minutes = max(5.0, messages / 2_600)
    while True:
        history = ServiceClusterSimulator(seed=2026, nodes=NODES, minutes=minutes).simulate()
        if len(history.envelopes) >= messages:
            break
        minutes *= 1.2
    ServiceWireStreamWriter().write(history.envelopes[:messages], path)


def split(path: Path, count: int) -> list[Path]:
    """Partition files of ``path``: node messages by CRC-32, every tick in each."""
    from omnibase_infra.models import partition_hash

    outputs = [path.with_suffix(f".p{index}.jsonl") for index in range(count)]
    files = [out.open("w", encoding="utf-8") for out in outputs]
    with path.open(encoding="utf-8") as source:
        for line in source:
            wire = json.loads(line)
            node_id = wire["payload"].get("node_id")
            if node_id is None:
                for out in files:
                    out.write(line)
            else:
                files[partition_hash(uuid.UUID(node_id)) % count].write(line)
    for out in files:
        out.close()
    return outputs


def timed_runs(jobs: list[tuple[Path, str | None]], url: str) -> float:
    """Start one ``run`` per (file, partition) at once; seconds until all exited."""
    started = time.perf_counter()
    procs = []
    for path, partition in jobs:
        args = [sys.executable, "-m", "omnibase_infra.cli", "run", str(path), "--store", url]
        args += ["--out", os.devnull] + (["--partition", partition] if partition else [])
        procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for proc in procs:
        _out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"run failed (exit {proc.returncode}): {err.decode()[-2000:]}")
    return time.perf_counter() - started


@dataclass(frozen=True)
class Outcome:
    """What the runs of one configuration left in their schema."""

    registry: list[dict[str, Any]]
    events: Counter[tuple[str, str, str]]

    def differences(self, expected: Outcome) -> list[str]:
        """How this outcome departs from ``expected`` (empty when they are the same)."""
        found = []
        if self.registry != expected.registry:
            found.append("the final registries differ")
        if self.events != expected.events:
            missing = sum((expected.events - self.events).values())
            extra = sum((self.events - expected.events).values())
            found.append(f"the emitted events differ ({missing} missing, {extra} extra)")
        if max(self.events.values(), default=1) > 1:
            found.append("an event was emitted twice")
        return found


def read_outcome(url: str) -> Outcome:
    """The final registry and the multiset of (event type, node, causing envelope) at ``url``."""
    from omnibase_infra.stores.store_registration_postgres import StoreRegistrationPostgres

    store = StoreRegistrationPostgres(url)
    try:
        registry = [node.model_dump(mode="json") for node in store.list_nodes()]
        events: Counter[tuple[str, str, str]] = Counter(
            (event.event_type.value, str(event.node_id), str(event.causation_id))
            for event in store.iter_events()
        )
    finally:
        store.close()
    return Outcome(registry, events)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per configuration (best)")
    args = parser.parse_args()
    if reason := unavailable_reason():
        print(f"cannot start PostgreSQL: {reason}", file=sys.stderr)
        return 2
    server = PostgresTestServer()
    server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            whole = Path(tmp) / "events.jsonl"
            generate(whole, args.messages)
            halves = split(whole, 2)
            database = server.create_database()
            configs: dict[str, list[tuple[Path, str | None]]] = {
                "1 process": [(whole, None)],
                "2 processes (0/2, 1/2)": [(half, f"{i}/2") for i, half in enumerate(halves)],
            }
            best: dict[str, float] = {}
            outcomes: dict[str, Outcome] = {}
            for name, jobs in configs.items():
                for _ in range(args.repeat):
                    url = server.create_schema(database)
                    seconds = timed_runs(jobs, url)
                    best[name] = min(best.get(name, seconds), seconds)
                outcomes[name] = read_outcome(url)
    finally:
        server.stop()
    baseline = outcomes["1 process"]
    if not baseline.events:
        print("the one-process run emitted no events; the stream is wrong", file=sys.stderr)
        return 1
    differences = outcomes["2 processes (0/2, 1/2)"].differences(baseline)
    single = best["1 process"]
    print(f"PostgreSQL registration throughput, {args.messages:,} messages, {NODES:,} nodes")
    print(f"{'configuration':<26}{'seconds':>10}{'messages/s':>14}{'speed-up':>10}")
    for name, seconds in best.items():
        rate = args.messages / seconds
        print(f"{name:<26}{seconds:>10.2f}{rate:>14,.0f}{single / seconds:>9.2f}x")
    speedup = single / best["2 processes (0/2, 1/2)"]
    verdict = "meets" if speedup >= TARGET_SPEEDUP else "is below"
    print(f"two processes: {speedup:.2f}x one process ({verdict} the {TARGET_SPEEDUP}x target)")
    if differences:
        print(f"two partitions differ from one process: {'; '.join(differences)}")
        return 1
    print(
        f"two partitions end as one process: {len(baseline.registry):,} nodes, "
        f"{sum(baseline.events.values()):,} events, none twice"
    )
    return 0 if speedup >= TARGET_SPEEDUP else 1


if __name__ == "__main__":
    raise SystemExit(main())
