"""``onex-registration run`` stopped by real signals, a closed pipe and SIGKILL, in real processes.

The input comes through a pipe the test writes, so the test decides how far the run can get:
it feeds whole batches, waits until the store has committed them, then stops the run. Every
stop must leave a consistent account: the lines up to the stop are committed, the events they
caused are in ``--out`` (or listed by the command the error line names), the exit status says
what happened, and running the same input again ends exactly like a run never interrupted.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages/omnibase_infra/tests"))

from postgres_fixtures import postgres_fresh_url, postgres_server, postgres_url

from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter

__all__ = ["postgres_fresh_url", "postgres_server", "postgres_url"]

pytestmark = pytest.mark.slow

BATCH = 100


@pytest.fixture(scope="module")
def wire_lines() -> list[str]:
    """About 670 wire lines: introspections, heartbeats, ticks, redeliveries."""
    history = ServiceClusterSimulator(seed=21, nodes=25, minutes=8).simulate()
    return list(ServiceWireStreamWriter(seed=21).lines(history.envelopes))


@pytest.fixture
def events_file(tmp_path: Path, wire_lines: list[str]) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(f"{line}\n" for line in wire_lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory, wire_lines: list[str]
) -> tuple[dict[str, Any], str]:
    """The store and the ``--out`` of one run of the whole input that nobody stopped."""
    from omnibase_infra.stores.store_factory import open_store

    folder = tmp_path_factory.mktemp("reference")
    path = folder / "events.jsonl"
    path.write_text("".join(f"{line}\n" for line in wire_lines), encoding="utf-8")
    _run_in_process(folder, str(path), "--store", "sqlite:///reference.db", "--out", "ref.jsonl")
    store = open_store(f"sqlite:///{folder / 'reference.db'}")
    try:
        state = _state(store)
    finally:
        store.close()
    return state, (folder / "ref.jsonl").read_text()


def _state(store: Any) -> dict[str, Any]:
    """What a run leaves in a store, without wall-clock fields."""
    return {
        "nodes": [n.model_dump(mode="json") for n in store.list_nodes()],
        "events": [e.model_dump(mode="json") for e in store.iter_events()],
        "dead_letters": sorted(
            d.model_dump(mode="json", exclude={"recorded_at"}) for d in store.list_dead_letters()
        ),
        "outcomes": {k.value: v for k, v in store.count_outcomes().items()},
    }


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "omnibase_infra.cli", *args]


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "ONEX_REGISTRATION_STORE"}


def _start(tmp_path: Path, *args: str, stdout: int | IO[bytes] = subprocess.DEVNULL) -> Any:
    return subprocess.Popen(
        _cli("run", "-", *args, "--batch-size", str(BATCH)),
        cwd=tmp_path,
        env=_environ(),
        stdin=subprocess.PIPE,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )


def _feed(process: Any, lines: list[str]) -> None:
    process.stdin.write("".join(f"{line}\n" for line in lines).encode())
    process.stdin.flush()


def _distinct_ids(lines: list[str]) -> int:
    return len({json.loads(line)["envelope_id"] for line in lines})


def _wait_for_inbox(db: Path, target: int, process: Any, *, exact: bool = True) -> None:
    """Wait until the SQLite store's inbox holds ``target`` records (``exact``: and no more,
    for a run fed exactly that much); fails if the process exits first."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
                (count,) = conn.execute("SELECT count(*) FROM inbox").fetchone()
            conn.close()
            if count >= target:
                assert count == target or not exact
                return
        except sqlite3.Error:
            pass  # not created yet
        time.sleep(0.02)
    pytest.fail(f"the run did not commit {target} inputs in time")


def _events_json(tmp_path: Path, store: str, *extra: str) -> str:
    """What ``onex-registration events --json --store STORE EXTRA...`` prints (in this
    process: the same command, without the interpreter start-up)."""
    from omnibase_infra.cli.cli_registration import main

    folder = os.getcwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            assert main(["events", "--json", "--store", store, *extra]) == 0
    finally:
        os.chdir(folder)
    return printed.getvalue()


def _run_in_process(folder: Path, *args: str) -> str:
    """``onex-registration run ARGS...`` in this process, in ``folder``; must succeed.
    Returns its standard error (the summary)."""
    from omnibase_infra.cli.cli_registration import main

    current = os.getcwd()
    os.chdir(folder)
    try:
        with (
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()) as err,
        ):
            status = main(["run", *args])
    finally:
        os.chdir(current)
    assert status == 0, err.getvalue()
    return err.getvalue()


def _finish_and_compare(
    tmp_path: Path,
    events_file: Path,
    store: str,
    reference: tuple[dict[str, Any], str],
    first_out: str,
) -> None:
    """Run the whole input again on ``store``: the first run's ``--out`` plus the re-run's is
    the store's whole event log, and the store ends exactly like one run never stopped."""
    from omnibase_infra.stores.store_factory import open_store

    _run_in_process(tmp_path, str(events_file), "--store", store, "--out", "rest.jsonl")
    assert first_out + (tmp_path / "rest.jsonl").read_text() == _events_json(tmp_path, store)
    opened = open_store(f"sqlite:///{tmp_path / 'stopped.db'}")
    try:
        assert _state(opened) == reference[0]
    finally:
        opened.close()


def _wait_keeping_stdin_open(process: Any) -> str:
    """Wait for the run to exit while its input stays open (it must not wait for more), then
    return its standard error."""
    process.wait(timeout=120)
    process.stdin.close()
    with process.stderr:
        return str(process.stderr.read().decode())


def _summary_lines(stderr: str) -> int:
    row = next(line.split() for line in stderr.splitlines() if line.split()[:1] == ["lines"])
    return int(row[1].replace(",", ""))


@pytest.mark.parametrize(("number", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_run_after_the_committed_lines(
    tmp_path: Path,
    events_file: Path,
    wire_lines: list[str],
    reference: tuple[dict[str, Any], str],
    number: signal.Signals,
    status: int,
) -> None:
    store = "sqlite:///stopped.db"
    fed = wire_lines[: 3 * BATCH]
    process = _start(tmp_path, "--store", store, "--out", "out.jsonl")
    _feed(process, fed)
    _wait_for_inbox(tmp_path / "stopped.db", _distinct_ids(fed), process)
    time.sleep(0.3)  # let it wait for line 301, which never comes

    process.send_signal(number)
    stderr = _wait_keeping_stdin_open(process)
    assert process.returncode == status, stderr
    assert "Traceback" not in stderr
    last = stderr.splitlines()[-1]
    name = signal.Signals(number).name
    assert last.startswith(
        f"onex-registration: error: interrupted by {name}: stopped after line 300 of <stdin>, "
        "every line up to it committed; "
    )
    assert last.endswith("; run the same input again to apply the rest")
    assert _summary_lines(stderr) == 300
    out = (tmp_path / "out.jsonl").read_text()
    assert out == _events_json(tmp_path, store)  # every committed event, written and flushed
    assert f"(last sequence {json.loads(out.splitlines()[-1])['sequence']})" in last
    _finish_and_compare(tmp_path, events_file, store, reference, out)


@pytest.mark.postgres
def test_a_signal_during_a_batch_lets_that_batch_commit_and_stops_before_the_next(
    tmp_path: Path, wire_lines: list[str], postgres_fresh_url: str
) -> None:
    store = postgres_fresh_url
    from omnibase_infra.stores.store_factory import open_store

    open_store(store).close()  # migrated, so the lock below finds the table
    fed = wire_lines[: 2 * BATCH]
    with psycopg.connect(store) as blocker:
        blocker.execute("LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE")  # the first batch waits
        process = _start(tmp_path, "--store", store, "--out", "out.jsonl")
        _feed(process, fed)  # two batches: the second is in the pipe, ready to be read
        _wait_until_waiting_for_a_lock(store, process)
        process.send_signal(signal.SIGTERM)  # while the first batch is open
        blocker.rollback()  # release the lock: the first batch goes on and commits
        stderr = _wait_keeping_stdin_open(process)

    assert process.returncode == 143, stderr
    assert stderr.splitlines()[-1].startswith(
        f"onex-registration: error: interrupted by SIGTERM: stopped after line {BATCH} of "
        "<stdin>, every line up to it committed; "
    )
    assert _summary_lines(stderr) == BATCH
    with psycopg.connect(store) as conn:
        row = conn.execute("SELECT count(*) FROM inbox").fetchone()
    assert row is not None
    (recorded,) = row
    assert recorded == _distinct_ids(fed[:BATCH])
    assert (tmp_path / "out.jsonl").read_text() == _events_json(tmp_path, store)


def _wait_until_waiting_for_a_lock(store: str, process: Any) -> None:
    deadline = time.monotonic() + 120
    with psycopg.connect(store, autocommit=True) as conn:
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read().decode()
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            ).fetchone()
            assert row is not None
            (waiting,) = row
            if waiting:
                return
            time.sleep(0.02)
    pytest.fail("the run never waited for the locked table")


def test_a_closed_standard_output_stops_the_run_and_says_what_it_missed(
    tmp_path: Path, events_file: Path, wire_lines: list[str], reference: tuple[dict[str, Any], str]
) -> None:
    store = "sqlite:///stopped.db"
    process = _start(tmp_path, "--store", store, stdout=subprocess.PIPE)
    _feed(process, wire_lines[:BATCH])
    first_line = process.stdout.readline().decode()  # like `head -1`
    process.stdout.close()
    _feed(process, wire_lines[BATCH : 2 * BATCH])  # its events meet a closed pipe
    process.stdin.close()
    with process.stderr:
        stderr = process.stderr.read().decode()
    process.wait(timeout=120)

    assert process.returncode == 141, stderr
    assert "Traceback" not in stderr
    last = stderr.splitlines()[-1]
    assert last.startswith(
        "onex-registration: error: standard output was closed: stopped after line "
    )
    command = last.split("'")[1]
    assert command.startswith(f"onex-registration events --json --store {store} --after-sequence ")
    missed = subprocess.run(  # the very command the line names
        _cli(*command.split()[1:]),
        cwd=tmp_path,
        env=_environ(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    logged = _events_json(tmp_path, store)
    assert logged.startswith(first_line)
    assert logged.endswith(missed)
    assert missed  # the second batch's events, which standard output never took
    written = int(last.split(" of the ")[0].rsplit(" ", 1)[1].replace(",", ""))
    assert written + missed.count("\n") == logged.count("\n")
    assert _summary_lines(stderr) == 2 * BATCH  # both batches committed, nothing lost


def test_after_sigkill_the_events_out_missed_are_listed_by_sequence(
    tmp_path: Path, events_file: Path, wire_lines: list[str], reference: tuple[dict[str, Any], str]
) -> None:
    store = "sqlite:///stopped.db"
    fed = wire_lines[: 4 * BATCH]
    process = _start(tmp_path, "--store", store, "--out", "out.jsonl")
    _feed(process, fed)
    _wait_for_inbox(tmp_path / "stopped.db", _distinct_ids(fed[: 2 * BATCH]), process, exact=False)
    process.kill()  # SIGKILL: somewhere in batch 3 or 4, or between a commit and its write
    process.communicate(timeout=60)  # closes its pipes

    # the recovery the docs give: keep --out's complete lines, then ask for what follows
    out = (tmp_path / "out.jsonl").read_text()
    complete = out[: out.rfind("\n") + 1]
    last = json.loads(complete.splitlines()[-1])["sequence"] if complete else 0
    recovered = complete + _events_json(tmp_path, store, "--after-sequence", str(last))

    assert recovered == _events_json(tmp_path, store)
    _finish_and_compare(tmp_path, events_file, store, reference, recovered)


def test_a_fifo_and_a_process_substitution_are_read_once_as_they_come(
    tmp_path: Path, events_file: Path, reference: tuple[dict[str, Any], str]
) -> None:
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"cat {events_file} > {fifo}"])
    fifo_summary = _run_in_process(
        tmp_path, str(fifo), "--store", "sqlite:///fifo.db", "--out", "fifo.jsonl"
    )
    writer.wait(timeout=60)
    substituted = subprocess.run(
        [
            "bash",
            "-c",
            f'"$@" <(cat {events_file}) --store sqlite:///sub.db --out sub.jsonl',
            "bash",
            *_cli("run"),
        ],
        cwd=tmp_path,
        env=_environ(),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert substituted.returncode == 0, substituted.stderr
    lines = len(events_file.read_text().splitlines())
    assert _summary_lines(fifo_summary) == _summary_lines(substituted.stderr) == lines
    assert (tmp_path / "fifo.jsonl").read_text() == reference[1]  # as from the file itself
    assert (tmp_path / "sub.jsonl").read_text() == reference[1]
