"""``onex-registration serve`` end to end on PostgreSQL: one process, two processes, against
``run`` on the same input and store kind.

Starts a private PostgreSQL server and, for each serve measurement, a fresh private nats-server
(like the tests: the machine's binaries on free loopback ports and temporary directories). The
input is the 100,000-envelope history of a simulated 1,000-node cluster (ticks included).

- floor: ``run``'s function (``cli_run.run_file``, batches of 500, events to ``/dev/null``) in a
  fresh process into a fresh schema, timed from the first line read to the summary
  (interpreter start-up excluded);
- serve, 1 and 2 processes: the whole input is first published to the bus (``publish``'s
  producer, 4 partitions, untimed), then ``serve --no-ticks`` processes start on a fresh
  schema; the time runs from the first process's start line (``serving store``: imports,
  connections and stream setup are done, consumption begins) until the store holds an outcome
  for every delivery (counted every 250 ms: counting is a query the server pays for), so
  process start-up is excluded and the re-balancing of partitions between two processes is
  included.

Every figure is input envelopes per second (serve also applies each tick once per partition,
and the bus drops the ~1% repeated envelopes before serve sees them), beside the CPU time the
Python process(es) spent per envelope and the CPU the PostgreSQL server spent per envelope
meanwhile (nats-server's not counted): on a shared machine the wall clock moves with other
load, the CPU per message far less, and the two CPU figures bound what two cores can do. The
configurations run ``--repeat`` times (default 3), alternating; the table shows best and range.
Ratios, from the best runs: serve / run (target >= 0.7) and two processes / one (target >= 1.6
on two cores).
Exits 1 when a target is missed.

    uv run python benchmarks/bench_serve.py [--messages 100000] [--repeat 3] [--partitions 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages/omnibase_infra/tests"))

from nats_server import NatsTestServer
from nats_server import unavailable_reason as nats_unavailable
from postgres_server import PostgresTestServer
from postgres_server import unavailable_reason as postgres_unavailable

NODES = 1_000
SERVE_TARGET = 0.7
SCALE_TARGET = 1.6
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*serving store", re.MULTILINE)


def generate(path: Path, messages: int) -> list[str]:
    """Write ``messages`` envelopes of a simulated ``NODES``-node cluster to ``path``."""
    from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter

    minutes = max(5.0, messages / 2_600)
    while True:
        history = ServiceClusterSimulator(seed=2026, nodes=NODES, minutes=minutes).simulate()
        if len(history.envelopes) >= messages:
            break
        minutes *= 1.2
    ServiceWireStreamWriter().write(history.envelopes[:messages], path)
    return path.read_text(encoding="utf-8").splitlines()


def expected_outcomes(lines: list[str], partitions: int) -> int:
    """Inbox records a complete consumption leaves (distinct keyed envelopes, ticks per
    partition)."""
    import json

    keyed: set[str] = set()
    ticks: set[str] = set()
    for line in lines:
        wire = json.loads(line)
        (keyed if "node_id" in wire["payload"] else ticks).add(wire["envelope_id"])
    return len(keyed) + partitions * len(ticks)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "ONEX_REGISTRATION_STORE"}


_FLOOR = """
import io, json, os, sys, time
from omnibase_infra.cli.cli_run import run_file
from omnibase_infra.models import ModelPartition
from omnibase_infra.stores.store_factory import open_store
store = open_store(sys.argv[2])
with open(os.devnull, "w") as out:
    wall, cpu = time.perf_counter(), time.process_time()
    summary, status, _ = run_file(
        sys.argv[1], store, partition=ModelPartition(), batch_size=500, out=out, err=io.StringIO()
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
store.close()
print(json.dumps({"status": status, "total": summary.total, "seconds": wall, "cpu": cpu}))
"""


def run_floor(path: Path, url: str, server: PostgresTestServer) -> tuple[float, float, float]:
    """``run``'s function (``cli_run.run_file``, batches of 500) on ``path`` into ``url``, in a
    fresh process, timed from the first line to the summary: ``(seconds, CPU seconds,
    PostgreSQL CPU seconds)``."""
    database_cpu = postgres_cpu_seconds(server)
    done = subprocess.run(
        [sys.executable, "-c", _FLOOR, str(path), url],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"run failed (exit {done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(done.stdout.splitlines()[-1])
    if result["status"] != 0:
        raise SystemExit(f"run ended with status {result['status']}")
    database_cpu = postgres_cpu_seconds(server) - database_cpu
    return float(result["seconds"]), float(result["cpu"]), database_cpu


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/PID/stat`` after the command name (state first)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds the process ``pid`` used so far (its threads included)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(server: PostgresTestServer) -> float:
    """CPU seconds the private server used so far: the postmaster, its live children (the
    backends), and the children that exited (which the postmaster waited for)."""
    pid = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    fields = _stat(pid)
    total = sum(int(fields[i]) for i in (11, 12, 13, 14))
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                child = _stat(int(entry.name))
            except (OSError, ValueError):
                continue
            if int(child[1]) == pid:
                total += int(child[11]) + int(child[12])
    return total / os.sysconf("SC_CLK_TCK")


def publish(url: str, lines: list[str], partitions: int) -> None:
    """Publish ``lines`` as ``onex-registration publish`` does (streams created as needed)."""
    from omnibase_infra.bus import EventBusNats, ServiceBusProducer
    from omnibase_infra.nodes.node_registration_orchestrator.node import (
        NodeRegistrationOrchestrator,
    )
    from omnibase_infra.nodes.node_registration_orchestrator.registration_bus import (
        registration_bus_settings,
    )

    contract = NodeRegistrationOrchestrator.load_registration_contract()

    async def send() -> None:
        bus = await EventBusNats.connect(url, registration_bus_settings(contract, partitions))
        try:
            await ServiceBusProducer(bus).publish_lines(lines)
        finally:
            await bus.close()

    asyncio.run(send())


def outcomes(conn: Any) -> int:
    """Inbox records in the store ``conn`` (one open connection: opening one per count would
    make the server fork a backend each time)."""
    import psycopg

    try:
        row = conn.execute("SELECT count(*) FROM inbox").fetchone()
    except psycopg.errors.UndefinedTable:
        return 0  # serve has not created the schema yet
    return int(row[0]) if row else 0


def serve_run(
    lines: list[str],
    expected: int,
    url: str,
    processes: int,
    partitions: int,
    folder: Path,
    server: PostgresTestServer,
) -> tuple[float, float, float]:
    """``(seconds, CPU seconds, PostgreSQL CPU seconds)`` of ``processes`` serve processes on
    the pre-published input: from the first process's start line until ``expected`` outcomes;
    CPU summed over the processes from their own start lines (as seen by a 50 ms poll) to that
    moment, PostgreSQL's from the processes' start."""
    import psycopg

    nats = NatsTestServer()
    nats.start()
    procs: list[subprocess.Popen[bytes]] = []
    logs = [folder / f"serve-{processes}-{i}-{time.monotonic_ns()}.log" for i in range(processes)]
    try:
        publish(nats.url, lines, partitions)
        database_cpu = postgres_cpu_seconds(server)
        for log_path in logs:
            with log_path.open("wb") as log:
                procs.append(
                    subprocess.Popen(
                        [
                            *(sys.executable, "-m", "omnibase_infra.cli", "serve"),
                            *("--store", url, "--bus", nats.url),
                            *("--partitions", str(partitions), "--no-ticks"),
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=log,
                        env=_env(),
                    )
                )
        cpu_at_start: dict[int, float] = {}
        deadline = time.monotonic() + 1800
        counter = psycopg.connect(url, autocommit=True)
        counted = 0.0
        while True:
            for index, (proc, log_path) in enumerate(zip(procs, logs, strict=True)):
                if proc.poll() is not None:
                    raise SystemExit(f"serve exited {proc.returncode}: {log_path.read_text()}")
                if index not in cpu_at_start and _STAMP.search(log_path.read_text()):
                    cpu_at_start[index] = _cpu_seconds(proc.pid)
            if len(cpu_at_start) == processes and time.monotonic() - counted >= 0.25:
                counted = time.monotonic()
                if outcomes(counter) >= expected:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("serve did not apply the input within 30 minutes")
            time.sleep(0.05)
        finished = time.time()
        database_cpu = postgres_cpu_seconds(server) - database_cpu
        counter.close()
        cpu = sum(_cpu_seconds(p.pid) - cpu_at_start[i] for i, p in enumerate(procs))
        starts = []
        for log_path in logs:
            match = _STAMP.search(log_path.read_text())
            assert match is not None
            starts.append(datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp())
        return finished - min(starts), cpu, database_cpu
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        nats.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration")
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    for reason in (postgres_unavailable(), nats_unavailable()):
        if reason:
            print(f"cannot run: {reason}", file=sys.stderr)
            return 2
    postgres = PostgresTestServer()
    postgres.start()
    names = ("run (floor)", "serve, 1 process", "serve, 2 processes")
    rates: dict[str, list[float]] = {name: [] for name in names}
    cpu_us: dict[str, list[float]] = {name: [] for name in names}
    database_us: dict[str, list[float]] = {name: [] for name in names}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
            folder = Path(tmp)
            path = folder / "events.jsonl"
            lines = generate(path, args.messages)
            expected = expected_outcomes(lines, args.partitions)
            database = postgres.create_database()
            for round_ in range(args.repeat):
                runs = {names[0]: run_floor(path, postgres.create_schema(database), postgres)}
                for processes in (1, 2):
                    runs[names[processes]] = serve_run(
                        lines,
                        expected,
                        postgres.create_schema(database),
                        processes,
                        args.partitions,
                        folder,
                        postgres,
                    )
                for name, (seconds, cpu, database_cpu) in runs.items():
                    rates[name].append(args.messages / seconds)
                    cpu_us[name].append(cpu / args.messages * 1e6)
                    database_us[name].append(database_cpu / args.messages * 1e6)
                print(
                    f"round {round_ + 1}: "
                    + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in rates.items()),
                    flush=True,
                )
    finally:
        postgres.stop()
    print(
        f"serve on PostgreSQL, {args.messages:,} messages, {NODES:,} nodes, "
        f"{args.partitions} partitions, {args.repeat} run(s) each; load average now "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'configuration':<22}{'best msgs/s':>13}{'range':>20}"
        f"{'Python CPU us/msg':>19}{'PostgreSQL CPU us/msg':>23}"
    )
    for name in names:
        spread = f"{min(rates[name]):,.0f} - {max(rates[name]):,.0f}"
        print(
            f"{name:<22}{max(rates[name]):>13,.0f}{spread:>20}"
            f"{min(cpu_us[name]):>19.0f}{min(database_us[name]):>23.0f}"
        )
    floor = max(rates[names[0]])
    one = max(rates[names[1]])
    two = max(rates[names[2]])
    ok = True
    for label, ratio, target in (
        ("serve (1 process) / run", one / floor, SERVE_TARGET),
        ("2 processes / 1 process", two / one, SCALE_TARGET),
    ):
        verdict = "meets" if ratio >= target else "is below"
        ok = ok and ratio >= target
        print(f"{label:<28}{ratio:>6.2f}  ({verdict} the {target} target)")
    print(f"{'serve (2 processes) / run':<28}{two / floor:>6.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
