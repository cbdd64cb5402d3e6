"""The pipeline against its floors: msgs/s per store next to what its database alone costs.

The input is the simulated history of a 1,000-node cluster (introspections, heartbeats,
crashes, shutdowns, restarts, ticks), cut at 100,000 envelopes and written as JSON lines.
Each measurement runs in its own fresh subprocess, so its peak resident memory is its own:

- **pipeline**, per store (memory, SQLite, PostgreSQL): ``cli_run.run_file``, the function
  behind ``onex-registration run``, from the first line read to the summary, events written
  to ``/dev/null``;
- **SQLite floor**: every SQL statement the SQLite run issued (recorded in a separate,
  untimed run through a recording connection), replayed in order with the raw ``sqlite3``
  driver on a fresh database of the same schema and settings (WAL, ``synchronous=NORMAL``),
  reads fetched, one transaction per batch as recorded;
- **PostgreSQL floor**: the same for PostgreSQL, replayed with ``psycopg`` and binary
  parameters into a fresh schema of a private server (started like the tests start theirs);
- **memory floor**: decoding and validating the same lines alone, one pass per line with
  pydantic (``model_validate_json`` into the line's typed envelope class, picked before the
  clock starts); the codec alone (``decode_line``, all its wire-limit checks) is shown beside.

Ratios are same-run: SQLite and PostgreSQL as pipeline rate / floor rate (target >= 0.6),
memory as pipeline time per message / floor time per message (target <= 4x). Peak RSS is the
SQLite pipeline's at 100,000 messages and, with ``--million``, at 1,000,000 (a streamed input
must not grow it). Exits 1 when a target is missed.

    uv run python benchmarks/bench_pipeline.py [--messages 100000] [--repeat 1] [--million]
        [--no-postgres | --postgres DATABASE_URL] [--only STORE] [--input FILE]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages/omnibase_infra/tests"))

NODES = 1_000
BATCH = 500
_PLACEHOLDER = re.compile(r"(?<!%)%s")
_PLACEHOLDER_BYTES = re.compile(rb"(?<!%)%s")
DB_FLOOR_TARGET = 0.6
MEMORY_TARGET = 4.0


# --- input ------------------------------------------------------------------------------------
def generate(path: Path, messages: int) -> None:
    """Write ``messages`` envelopes of a simulated ``NODES``-node cluster to ``path``."""
    from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter

    minutes = max(5.0, messages / 2_600)
    while True:  # about 3,000 messages per simulated minute for 1,000 nodes
        history = ServiceClusterSimulator(seed=2026, nodes=NODES, minutes=minutes).simulate()
        if len(history.envelopes) >= messages:
            break
        minutes *= 1.2
    ServiceWireStreamWriter().write(history.envelopes[:messages], path)


def peak_mib() -> float:
    """This process's peak resident memory in MiB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- recording the statements a store issues ---------------------------------------------------
class _Recorder:
    """Statements in issue order, written to a pickle stream one transaction at a time."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("wb")
        self.pending: list[tuple[str, Any, Any]] = []
        self.active = False

    def add(self, kind: str, sql: Any, params: Any) -> None:
        if self.active:
            self.pending.append((kind, sql, params))

    def end_transaction(self) -> None:
        if self.pending:
            pickle.dump(self.pending, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.pending = []

    def close(self) -> None:
        self.end_transaction()
        self.file.close()


def _record_sqlite(recorder: _Recorder) -> None:
    """Make every ``sqlite3`` connection of this process record what it executes."""
    import sqlite3

    class RecordingCursor(sqlite3.Cursor):
        def execute(self, sql: str, parameters: Any = (), /) -> Any:
            recorder.add("x", sql, tuple(parameters))
            return super().execute(sql, parameters)

        def executemany(self, sql: str, seq: Any, /) -> Any:
            seq = [tuple(p) for p in seq]
            recorder.add("m", sql, seq)
            return super().executemany(sql, seq)

    class RecordingConnection(sqlite3.Connection):
        def cursor(self, factory: Any = RecordingCursor) -> Any:
            return super().cursor(factory)

        def execute(self, sql: str, parameters: Any = (), /) -> Any:
            cursor = self.cursor()
            cursor.execute(sql, parameters)
            if sql.strip().upper() in ("COMMIT", "ROLLBACK"):
                recorder.end_transaction()
            return cursor

    original = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return original(*args, factory=RecordingConnection, **kwargs)

    sqlite3.connect = connect  # type: ignore[assignment]


def _record_postgres(recorder: _Recorder) -> None:
    """Make every ``psycopg`` cursor of this process record what it executes, and every commit
    end a recorded transaction."""
    import psycopg

    execute = psycopg.Cursor.execute
    commit = psycopg.Connection.commit

    def recording_execute(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        recorder.add("x", query, None if params is None else tuple(params))
        return execute(self, query, params, **kwargs)

    def recording_commit(self: Any) -> None:
        commit(self)
        recorder.add("c", None, None)
        recorder.end_transaction()

    psycopg.Cursor.execute = recording_execute  # type: ignore[method-assign]
    psycopg.Connection.commit = recording_commit  # type: ignore[method-assign]


def _transactions(path: Path) -> Iterator[list[tuple[str, Any, Any]]]:
    with path.open("rb") as source:
        while True:
            try:
                yield pickle.load(source)
            except EOFError:
                return


# --- workers (each in its own process) ---------------------------------------------------------
def pipeline_worker(store_url: str, path: Path, record: Path | None) -> dict[str, Any]:
    """Run ``path`` into ``store_url`` as ``onex-registration run`` does."""
    recorder = None
    if record is not None:
        recorder = _Recorder(record)
        if store_url.startswith("sqlite"):
            _record_sqlite(recorder)
        else:
            _record_postgres(recorder)
    from omnibase_infra.cli.cli_run import run_file
    from omnibase_infra.models import ModelPartition
    from omnibase_infra.stores.store_factory import open_store

    store = open_store(store_url)
    if store_url.startswith("postgres"):
        store.migrate()
    err = io.StringIO()
    if recorder is not None:
        recorder.active = True
    with open(os.devnull, "w", encoding="utf-8") as out:
        started = time.perf_counter()
        summary, status, _account = run_file(
            path, store, partition=ModelPartition(), batch_size=BATCH, out=out, err=err
        )
        seconds = time.perf_counter() - started
    if recorder is not None:
        recorder.close()
    store.close()
    if status != 0:
        raise SystemExit(f"run failed with status {status}: {err.getvalue()[-2000:]}")
    return {
        "messages": summary.total,
        "applied": summary.applied,
        "ignored": summary.ignored,
        "dead_lettered": summary.dead_lettered,
        "events": summary.events_emitted,
        "seconds": seconds,
        "peak_mib": peak_mib(),
    }


def sqlite_floor_worker(url: str, record: Path) -> dict[str, Any]:
    """Replay the recorded statements with the raw driver on a fresh database."""
    import sqlite3

    from omnibase_infra.stores.store_registration_sqlite import StoreRegistrationSqlite

    StoreRegistrationSqlite(url).close()  # the schema, by the store's own migrations
    path, _sync = StoreRegistrationSqlite.parse_url(url)
    connection = sqlite3.connect(path, isolation_level=None, cached_statements=64)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    cursor = connection.cursor()
    seconds = 0.0
    statements = 0
    for transaction in _transactions(record):
        started = time.perf_counter()
        for kind, sql, params in transaction:
            if kind == "m":
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params).fetchall()
        seconds += time.perf_counter() - started
        statements += len(transaction)
    connection.close()
    return {"seconds": seconds, "statements": statements, "peak_mib": peak_mib()}


def postgres_floor_worker(url: str, record: Path) -> dict[str, Any]:
    """Replay the recorded statements with psycopg and binary parameters into a fresh schema."""
    import psycopg

    from omnibase_infra.stores.store_registration_postgres import StoreRegistrationPostgres

    store = StoreRegistrationPostgres(url)
    store.migrate()
    store.close()
    conn = psycopg.connect(url)
    conn.execute("SET TIME ZONE 'UTC'")
    conn.commit()
    cursor = conn.cursor()
    seconds = 0.0
    statements = 0
    for transaction in _transactions(record):
        started = time.perf_counter()
        for kind, sql, params in transaction:
            if kind == "c":
                conn.commit()
                continue
            cursor.execute(_binary(sql), params, binary=True)
            if cursor.description is not None:
                cursor.fetchall()
        seconds += time.perf_counter() - started
        statements += len(transaction)
    conn.close()
    return {"seconds": seconds, "statements": statements, "peak_mib": peak_mib()}


def _binary(sql: str | bytes) -> str | bytes:
    """``sql`` with every ``%s`` placeholder as ``%b``: the parameter sent in binary format."""
    if isinstance(sql, bytes):
        return _PLACEHOLDER_BYTES.sub(b"%b", sql)
    return _PLACEHOLDER.sub("%b", sql)


def decode_floor_worker(path: Path) -> dict[str, Any]:
    """Time one-pass decode+validate of every line, and the codec alone on the same lines."""
    from omnibase_infra.nodes.node_registration_orchestrator.node import REGISTRATION_PAYLOADS
    from omnibase_infra.runtime.wire_codec import decode_line

    lines = path.read_bytes().splitlines()
    classes = []
    for line in lines:  # the typed class per line, chosen before the clock starts
        payload_type = json.loads(line)["payload_type"]
        classes.append(REGISTRATION_PAYLOADS.envelope_class(payload_type))
    pairs = list(zip(classes, lines, strict=True))

    def best(run: Callable[[], None]) -> float:
        return min(_timed(run) for _ in range(3))

    def validate() -> None:
        for cls, line in pairs:
            cls.model_validate_json(line)

    def codec() -> None:
        payloads = REGISTRATION_PAYLOADS
        for number, line in enumerate(lines, start=1):
            decode_line(line, payloads=payloads, source="bench.jsonl", line_number=number)

    return {
        "messages": len(lines),
        "validate_seconds": best(validate),
        "codec_seconds": best(codec),
        "peak_mib": peak_mib(),
    }


def _timed(run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


# --- the parent --------------------------------------------------------------------------------
def _spawn(*args: str) -> dict[str, Any]:
    """Run this script with ``args`` in a fresh process; its last stdout line is JSON."""
    done = subprocess.run(
        [sys.executable, __file__, *args], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"bench worker {args[:2]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _best(runs: list[dict[str, Any]], key: str = "seconds") -> dict[str, Any]:
    return min(runs, key=lambda run: float(run[key]))


def _alternated(
    times: int, first: Callable[[], dict[str, Any]], second: Callable[[], dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``times`` runs of each, alternated, so each pair of runs sees the same machine load."""
    pairs = [(first(), second()) for _ in range(times)]
    return [a for a, _ in pairs], [b for _, b in pairs]


def _range_text(label: str, rates: list[float], ratios: list[float], unit: str) -> str:
    """``label: msgs/s low-high; same-run ratio low-high`` for the runs of one row."""
    return (
        f"{label}: {min(rates):,.0f}-{max(rates):,.0f} msgs/s; "
        f"same-run ratio {min(ratios):.2f}{unit}-{max(ratios):.2f}{unit}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per measurement (best, and the ranges)"
    )
    parser.add_argument("--million", action="store_true", help="also the 1,000,000 RSS row")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--postgres",
        metavar="DATABASE_URL",
        help="use this database (a fresh schema per run) instead of a private server",
    )
    parser.add_argument("--input", metavar="FILE", help="use these lines instead of generating")
    parser.add_argument(
        "--only", choices=("memory", "sqlite", "postgresql"), help="measure one store only"
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "generate":
            generate(Path(rest[0]), int(rest[1]))
            result: dict[str, Any] = {}
        elif kind == "pipeline":
            record = Path(rest[2]) if len(rest) > 2 else None
            result = pipeline_worker(rest[0], Path(rest[1]), record)
        elif kind == "sqlite-floor":
            result = sqlite_floor_worker(rest[0], Path(rest[1]))
        elif kind == "postgres-floor":
            result = postgres_floor_worker(rest[0], Path(rest[1]))
        else:
            result = decode_floor_worker(Path(rest[0]))
        print(json.dumps(result))
        return 0

    server: Any = None
    if args.postgres:
        server = _ExistingServer(args.postgres)
    elif not args.no_postgres and args.only in (None, "postgresql"):
        from postgres_server import PostgresTestServer, unavailable_reason

        if reason := unavailable_reason():
            print(f"PostgreSQL skipped: cannot start a private server ({reason})")
        else:
            server = PostgresTestServer()
            server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
            return _measure(args, Path(tmp), server)
    finally:
        if server is not None:
            server.stop()


class _ExistingServer:
    """A database given on the command line, used like the private server: a schema per run."""

    def __init__(self, url: str) -> None:
        self._url = url

    def create_database(self) -> str:
        return self._url

    def create_schema(self, database_url: str) -> str:
        import uuid

        import psycopg

        name = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        self._schemas.append(name)
        return f"{database_url}?options=-csearch_path%3D{name}"

    _schemas: list[str] = []

    def stop(self) -> None:
        import psycopg

        with psycopg.connect(self._url, autocommit=True) as conn:
            for name in self._schemas:
                conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def _measure(args: argparse.Namespace, folder: Path, server: Any) -> int:
    n = args.messages
    lines = Path(args.input) if args.input else folder / "events.jsonl"
    started = time.perf_counter()
    if args.input:
        n = sum(1 for _ in lines.open("rb"))
    else:
        _spawn("--worker", "generate", str(lines), str(n))
    print(
        f"input: {n:,} envelopes over {NODES:,} nodes, batches of {BATCH}, "
        f"{lines.stat().st_size / 2**20:.1f} MiB, "
        f"generated in {time.perf_counter() - started:.0f} s"
    )
    counter = iter(range(1_000_000))

    def sqlite_url() -> str:
        return f"sqlite:///{folder / f'bench-{next(counter)}.db'}"

    database = server.create_database() if server is not None else None
    rows: list[tuple[str, float, str, float, float, str]] = []
    ranges: list[str] = []
    failed = []

    # memory: the pipeline against decode+validate of the same lines
    memory_text = ""
    if args.only in (None, "memory"):
        memory_runs, decode_runs = _alternated(
            args.repeat,
            lambda: _spawn("--worker", "pipeline", "memory://", str(lines)),
            lambda: _spawn("--worker", "decode", str(lines)),
        )
        memory = _best(memory_runs)
        decode = _best(decode_runs, "validate_seconds")
        ranges.append(
            _range_text(
                "memory",
                [n / run["seconds"] for run in memory_runs],
                [
                    run["seconds"] / floor["validate_seconds"]
                    for run, floor in zip(memory_runs, decode_runs, strict=True)
                ],
                "x",
            )
        )
        memory_us = memory["seconds"] / n * 1e6
        floor_us = decode["validate_seconds"] / n * 1e6
        codec_us = decode["codec_seconds"] / n * 1e6
        memory_ratio = memory_us / floor_us
        rows.append(
            (
                "memory",
                n / memory["seconds"],
                "decode+validate alone",
                n / decode["validate_seconds"],
                memory["peak_mib"],
                f"{memory_ratio:.1f}x the floor's time (target <= {MEMORY_TARGET:g}x)",
            )
        )
        if memory_ratio > MEMORY_TARGET:
            failed.append("memory")
        memory_text = (
            f"memory: {memory_us:.1f} us per message; decode+validate alone {floor_us:.1f} us; "
            f"the codec alone (every wire-limit check) {codec_us:.1f} us"
        )

    def database_row(label: str, url: Callable[[], str], floor_kind: str, floor_name: str) -> None:
        record = folder / f"{label}.statements"
        _spawn("--worker", "pipeline", url(), str(lines), str(record))  # the recording run
        pipeline_runs, floor_runs = _alternated(
            args.repeat,
            lambda: _spawn("--worker", "pipeline", url(), str(lines)),
            lambda: _spawn("--worker", floor_kind, url(), str(record)),
        )
        pipeline, floor = _best(pipeline_runs), _best(floor_runs)
        ranges.append(
            _range_text(
                label,
                [n / run["seconds"] for run in pipeline_runs],
                [
                    low["seconds"] / run["seconds"]
                    for run, low in zip(pipeline_runs, floor_runs, strict=True)
                ],
                "",
            )
        )
        ratio = floor["seconds"] / pipeline["seconds"]
        rows.append(
            (
                label,
                n / pipeline["seconds"],
                f"{floor_name} ({floor['statements']:,} statements)",
                n / floor["seconds"],
                pipeline["peak_mib"],
                f"{ratio:.2f} of the floor's rate (target >= {DB_FLOOR_TARGET:g})",
            )
        )
        if ratio < DB_FLOOR_TARGET:
            failed.append(label)
        record.unlink()

    if args.only in (None, "sqlite"):
        database_row("SQLite", sqlite_url, "sqlite-floor", "raw sqlite3 replay")
    if server is not None and args.only in (None, "postgresql"):
        database_row(
            "PostgreSQL",
            lambda: str(server.create_schema(database)),
            "postgres-floor",
            "psycopg binary replay",
        )

    print(f"{'store':<11}{'msgs/s':>10}  {'floor':<44}{'msgs/s':>10}{'peak RSS':>10}  ratio")
    for label, rate, floor_name, floor_rate, rss, ratio_text in rows:
        print(
            f"{label:<11}{rate:>10,.0f}  {floor_name:<44}{floor_rate:>10,.0f}"
            f"{rss:>7.0f} MiB  {ratio_text}"
        )
    if memory_text:
        print(memory_text)
    if args.repeat > 1:
        print(f"over {args.repeat} runs (each pipeline run paired with the floor run after it):")
        for text in ranges:
            print(f"  {text}")
    if args.million:
        big = folder / "million.jsonl"
        started = time.perf_counter()
        _spawn("--worker", "generate", str(big), "1000000")
        print(f"1,000,000 envelopes generated in {time.perf_counter() - started:.0f} s")
        small_rss = next((row[4] for row in rows if row[0] == "SQLite"), 0.0)
        large = _spawn("--worker", "pipeline", sqlite_url(), str(big))
        print(
            f"peak RSS of the SQLite pipeline: {small_rss:.0f} MiB at {n:,} messages, "
            f"{large['peak_mib']:.0f} MiB at 1,000,000 ({1_000_000 / large['seconds']:,.0f} msgs/s)"
        )
    if failed:
        print(f"below target: {', '.join(failed)}")
        return 1
    print("every store meets its target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
