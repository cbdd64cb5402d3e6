"""Registration throughput on PostgreSQL: one process against two partitioned processes.

Starts a private PostgreSQL server (like the tests: the distribution's ``initdb``/``pg_ctl`` on a
temporary directory and a free loopback port), writes the 100,000-message history of a
simulated 1,000-node cluster, and times ``onex-registration run`` on it: one process on the
whole stream, then two processes started together with ``--partition 0/2`` and ``1/2``, each on
its half (node messages split by CRC-32 of the node id; every tick goes to both). Each
configuration runs into a fresh schema; the time is from start until every process has exited,
so process start-up counts for both. Prints a table; exits 1 when two processes are below 1.4x
one process.

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
from pathlib import Path

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
            configs = {
                "1 process": [(whole, None)],
                "2 processes (0/2, 1/2)": [(half, f"{i}/2") for i, half in enumerate(halves)],
            }
            best: dict[str, float] = {}
            for name, jobs in configs.items():
                best[name] = min(
                    timed_runs(jobs, server.create_schema(database)) for _ in range(args.repeat)
                )
    finally:
        server.stop()
    single = best["1 process"]
    print(f"PostgreSQL registration throughput, {args.messages:,} messages, {NODES:,} nodes")
    print(f"{'configuration':<26}{'seconds':>10}{'messages/s':>14}{'speed-up':>10}")
    for name, seconds in best.items():
        rate = args.messages / seconds
        print(f"{name:<26}{seconds:>10.2f}{rate:>14,.0f}{single / seconds:>9.2f}x")
    speedup = single / best["2 processes (0/2, 1/2)"]
    verdict = "meets" if speedup >= TARGET_SPEEDUP else "is below"
    print(f"two processes: {speedup:.2f}x one process ({verdict} the {TARGET_SPEEDUP}x target)")
    return 0 if speedup >= TARGET_SPEEDUP else 1


if __name__ == "__main__":
    raise SystemExit(main())
