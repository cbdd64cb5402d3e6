"""Stopping a run between batches: the stop controller, a failing --out, sequences in --out."""

from __future__ import annotations

import json
import os
import signal
import threading
import uuid
from pathlib import Path

import pytest

from omnibase_infra.cli.cli_registration import main
from omnibase_infra.cli.cli_run_stop import ServiceRunStop
from omnibase_infra.models import ModelPartition
from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter


@pytest.fixture
def events_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ONEX_REGISTRATION_STORE", raising=False)
    history = ServiceClusterSimulator(seed=6, nodes=30, minutes=6).simulate()
    path = tmp_path / "events.jsonl"
    ServiceWireStreamWriter(malformed_fraction=0.02, seed=6).write(history.envelopes, path)
    return path


def test_lines_pass_through_and_count_until_the_input_ends() -> None:
    with ServiceRunStop() as stop:
        stop.begin()
        assert list(stop.lines([b"a\n", b"b\n", b"c"])) == [b"a\n", b"b\n", b"c"]

    assert (stop.lines_read, stop.input_ended, stop.stopping, stop.exit_status) == (
        3,
        True,
        False,
        None,
    )


def test_a_request_ends_the_input_at_the_next_read() -> None:
    with ServiceRunStop() as stop:
        stop.begin()
        taken = []
        for line in stop.lines(iter(range(100))):
            taken.append(line)
            if line == 4:
                stop.request("output failed")

    assert taken == [0, 1, 2, 3, 4]
    assert (stop.lines_read, stop.input_ended, stop.reason) == (5, False, "output failed")


def test_a_signal_before_the_run_begins_aborts_the_block() -> None:
    reached_the_end = False
    with ServiceRunStop() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        stop.begin()  # the handler has run by now at the latest
        reached_the_end = True

    assert not reached_the_end
    assert stop.aborted
    assert (stop.signal_name, stop.exit_status) == ("SIGTERM", 143)


def test_a_signal_ignored_at_start_stays_ignored() -> None:
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with ServiceRunStop() as stop:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN
            stop.begin()
    finally:
        signal.signal(signal.SIGINT, before)


def test_handlers_are_restored_afterwards() -> None:
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    with ServiceRunStop():
        assert signal.getsignal(signal.SIGTERM) is not before[signal.SIGTERM]

    assert {number: signal.getsignal(number) for number in before} == before


@pytest.mark.parametrize(("number", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_waiting_for_input_ends_it_after_the_complete_lines(
    number: signal.Signals, status: int
) -> None:
    read_end, write_end = os.pipe()
    third_line_taken = threading.Event()

    def producer() -> None:
        os.write(write_end, b"one\ntwo\nthree\nfour-without-its-end")
        third_line_taken.wait(30)
        # the consumer now waits for the end of line four; the signal goes to the process, and
        # may well be delivered to this thread rather than to the waiting one
        os.kill(os.getpid(), number)

    thread = threading.Thread(target=producer)
    with ServiceRunStop() as stop, os.fdopen(read_end, "rb") as stream:
        stop.begin()
        thread.start()
        taken = []
        for line in stop.stream_lines(stream):
            taken.append(line)
            if len(taken) == 3:
                third_line_taken.set()
    thread.join()
    os.close(write_end)

    assert taken == [b"one\n", b"two\n", b"three\n"]
    assert (stop.signal_number, stop.exit_status, stop.input_ended) == (number, status, False)


def test_out_holds_the_lines_events_json_prints_and_the_summary_names_the_last_sequence(
    events_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = "sqlite:///registry.db"
    assert main(["run", str(events_file), "--store", store, "--out", "first.jsonl"]) == 0
    first = Path("first.jsonl").read_text()
    assert main(["run", str(events_file), "--store", store, "--out", "again.jsonl"]) == 0
    capsys.readouterr()

    assert main(["events", "--json", "--store", store]) == 0
    listed = capsys.readouterr().out
    assert first == listed
    last = json.loads(first.splitlines()[-1])["sequence"]
    assert last == len(first.splitlines())
    assert Path("again.jsonl").read_text() == ""  # a re-run emits nothing

    main(["run", str(events_file), "--store", "sqlite:///other.db", "--out", "x.jsonl"])
    assert f"(last sequence {last})" in capsys.readouterr().err


def test_events_after_a_sequence_and_for_a_partition(
    events_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = "sqlite:///registry.db"
    assert main(["run", str(events_file), "--store", store, "--out", "all.jsonl"]) == 0
    every = [json.loads(line) for line in Path("all.jsonl").read_text().splitlines()]
    capsys.readouterr()

    assert main(["events", "--json", "--store", store, "--after-sequence", "7"]) == 0
    after = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert after == [event for event in every if event["sequence"] > 7]

    half = ModelPartition.parse("1/2")
    assert main(["events", "--json", "--store", store, "--partition", "1/2"]) == 0
    owned = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert owned == [event for event in every if half.owns(uuid.UUID(event["node_id"]))]
    assert 0 < len(owned) < len(every)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_an_out_that_fills_up_stops_the_run_and_says_how_far_it_got(
    events_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = "sqlite:///registry.db"

    status = main(
        ["run", str(events_file), "--store", store, "--out", "/dev/full", "--batch-size", "50"]
    )

    captured = capsys.readouterr()
    assert status == 1
    error = captured.err.splitlines()[-1]
    assert error.startswith(
        "onex-registration: error: cannot write --out /dev/full: No space left on device: "
        "stopped after line 50 of "
    )
    assert " 0 of the " in error
    assert f"'onex-registration events --json --store {store} --after-sequence 0'" in error
    assert ["lines", "50"] in [line.split() for line in captured.err.splitlines()]
    assert "Traceback" not in captured.err
    # the first batch committed; its events are in the store
    assert main(["events", "--json", "--store", store]) == 0
    assert capsys.readouterr().out.count("\n") == int(error.split(" 0 of the ")[1].split()[0])


def test_a_fifo_is_read_once_even_when_progress_could_be_drawn(
    events_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from omnibase_infra.cli import cli_run
    from omnibase_infra.stores.store_factory import open_store

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(cli_run, "PROGRESS_MIN_LINES", 1)
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    data = events_file.read_bytes()
    writer = threading.Thread(target=lambda: fifo.write_bytes(data))
    writer.start()
    store = open_store("memory://")
    err = Terminal()

    summary, status, problem = cli_run.run_file(
        str(fifo), store, partition=ModelPartition(), batch_size=50, out=io.StringIO(), err=err
    )
    writer.join()

    assert (status, problem) == (0, None)
    assert summary.lines == data.count(b"\n")  # nothing was consumed by a counting pass
    assert "\r" not in err.getvalue()  # a FIFO has no length: no progress line
