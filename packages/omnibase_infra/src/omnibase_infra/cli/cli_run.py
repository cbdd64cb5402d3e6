"""``onex-registration run``: apply a JSON-lines input (a file, a FIFO, standard input)."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import BinaryIO, TextIO
from uuid import UUID

from omnibase_infra.cli.cli_run_stop import ServiceRunStop
from omnibase_infra.cli.cli_text import printable
from omnibase_infra.cli.cli_views import counts_line, event_json, states_line
from omnibase_infra.models import ModelLifecycleEvent, ModelPartition
from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    ServiceRegistrationRuntime,
)
from omnibase_infra.runtime.model_run_summary import ModelRunSummary
from omnibase_infra.stores.protocol_registration_store import ProtocolRegistrationStore
from omnibase_infra.stores.store_retry import run_with_store_retry

#: ``(summary, exit status, one-line account of an incomplete run)`` of :func:`run_file`.
RunOutcome = tuple[ModelRunSummary, int, str | None]
PROG = "onex-registration"
#: The input argument that means standard input, and the name dead letters give it.
STDIN = "-"
STDIN_NAME = "<stdin>"

#: Inputs shorter than this finish too fast for a progress line to be worth drawing.
PROGRESS_MIN_LINES = 10_000
_PROGRESS_EVERY_SECONDS = 0.2


def run_file(
    source: Path | str,
    store: ProtocolRegistrationStore,
    *,
    partition: ModelPartition,
    batch_size: int,
    out: TextIO,
    err: TextIO,
    stop: ServiceRunStop | None = None,
) -> RunOutcome:
    """Apply every line of ``source`` to ``store``; events go to ``out`` as their batch commits.

    ``source`` is a path (a regular file, a FIFO, a process substitution such as
    ``/dev/fd/63``) or ``-`` for standard input. It is read once, as it arrives: only a regular
    file is counted beforehand, and only to draw progress on ``err`` when ``err`` is a terminal
    and the file is long. Dead letters name it by its file name (``<stdin>`` for ``-``).

    Each committed batch's events are written with the sequences the store gave them (the
    same lines ``onex-registration events --json`` prints) and flushed at once. ``stop`` (a
    :class:`ServiceRunStop` already entered) ends the run between batches on SIGINT/SIGTERM;
    an ``out`` that cannot be written (a closed pipe, a full disk) stops it the same way.
    Either way every line up to the stop is committed and its events are written (or, when
    ``out`` failed, can be listed from the store), and the summary, always written to ``err``,
    counts exactly those lines. A first line on ``err`` names the sequence this run's events
    follow, so what ``out`` missed can be listed even if the process is killed before it
    writes anything.

    Returns ``(summary, status, problem)``: status 0 and no problem for a complete run, else
    the exit status (130/143 for a signal, 141 for a closed pipe, 1 for another output error)
    and a one-line account of how far the run got. Raises ``OSError`` when the input cannot be
    opened or read and ``ModelOnexError`` from the runtime or the store.
    """
    stop = stop or ServiceRunStop()
    name = str(source)
    display = STDIN_NAME if name == STDIN else name
    with contextlib.ExitStack() as closing:
        if name == STDIN:
            stream: BinaryIO = sys.stdin.buffer
            source_name = STDIN_NAME
        else:
            stream = closing.enter_context(open(name, "rb"))
            source_name = Path(name).name
        line_count = _count_lines(stream) if err.isatty() else None
        progress = (
            _Progress(err, line_count)
            if line_count is not None and line_count >= PROGRESS_MIN_LINES
            else None
        )
        output = _EventOutput(out, store, stop)
        runtime = closing.enter_context(
            ServiceRegistrationRuntime(store, partition=partition, batch_size=batch_size)
        )
        with contextlib.suppress(OSError):  # where to look after a kill, should it come to that
            err.write(
                f"run {printable(display)}: its events follow sequence "
                f"{output.written_after} in {printable(store.url)}\n"
            )
            err.flush()
        stop.begin()
        summary, _ = runtime.run_stream(
            stop.stream_lines(stream),
            source_name,
            progress=progress.update if progress else None,
            on_events=output.write,
            collect_events=False,
        )
    if progress is not None:
        progress.clear()
    text = format_summary(
        summary,
        source=display,
        store_url=store.url,
        partition=partition,
        lines=summary.lines,
        nodes=states_line(run_with_store_retry(store.list_nodes)),
        out_name=getattr(out, "name", "-"),
        last_sequence=output.last_written,
        written=output.written,
    )
    status, problem = _ending(
        stop, output, display, getattr(out, "name", "-"), partition, store.url
    )
    with contextlib.suppress(OSError):  # stderr closed too: the exit status still tells
        err.write(text)
        err.flush()
    return summary, status, problem


def _ending(
    stop: ServiceRunStop,
    output: _EventOutput,
    source: str,
    out_name: str,
    partition: ModelPartition,
    store_url: str,
) -> tuple[int, str | None]:
    """The exit status and one-line account of a run that did not simply finish."""
    if output.error is None and (stop.signal_number is None or stop.input_ended):
        return 0, None  # complete (a signal that came after the last line changes nothing)
    reached = (
        f"stopped after line {stop.lines_read:,} of {printable(source)}, every line up to it "
        "committed"
    )
    if output.error is not None:
        error = output.error
        target = (
            "standard output" if out_name in ("-", "<stdout>") else f"--out {printable(out_name)}"
        )
        missed = (
            f"{output.written:,} of the {output.committed:,} events this run emitted were "
            "written"
            + (f" (last sequence {output.last_written})" if output.last_written else "")
            + f"; '{PROG} events --json --store {printable(store_url)} "
            + f"--after-sequence {output.written_after}"
            + (f" --partition {partition.key}" if partition.count > 1 else "")
            + "' lists the events it missed"
        )
        if isinstance(error, BrokenPipeError):
            return 141, f"{target} was closed: {reached}; {missed}"
        return 1, f"cannot write {target}: {error.strerror or error}: {reached}; {missed}"
    written = f"{output.written:,} events written" + (
        f" (last sequence {output.last_written})" if output.last_written else ""
    )
    return (
        stop.exit_status or 1,
        f"interrupted by {stop.signal_name}: {reached}; {written}; run the same input again "
        "to apply the rest",
    )


class _EventOutput:
    """Writes each committed batch's events to ``out`` with their store sequences.

    The runtime hands on the events of a batch once it has committed; the store has given
    them sequences by then. They are read back from the store (forward from the last
    sequence seen: with other processes writing, their events in between are skipped) so that
    ``--out`` holds exactly the lines ``events --json`` prints. The first ``OSError`` writing
    ``out`` is kept in :attr:`error` and stops the run; later batches are then not written.
    """

    def __init__(self, out: TextIO, store: ProtocolRegistrationStore, stop: ServiceRunStop):
        self._out = out
        self._store = store
        self._stop = stop
        self._cursor = run_with_store_retry(store.last_sequence)
        self.written_after = self._cursor  # everything after this was written or is missed
        self.written = 0
        self.committed = 0
        self.last_written: int | None = None
        self.error: OSError | None = None

    def write(self, events: Sequence[ModelLifecycleEvent]) -> None:
        """The ``on_events`` callback: write and flush one committed batch's events."""
        # a pure read: redone like a batch when the database is briefly away (a restart)
        stored = run_with_store_retry(partial(self._with_sequences, events))
        self.committed += len(stored)
        if self.error is not None:
            return
        try:
            self._out.write("".join(event_json(event) + "\n" for event in stored))
            self._out.flush()
        except OSError as exc:
            self.error = exc
            self._stop.request("output failed")
            return
        self.written += len(stored)
        if stored and stored[-1].sequence is not None:
            self.last_written = stored[-1].sequence
            self.written_after = stored[-1].sequence

    def _with_sequences(self, events: Sequence[ModelLifecycleEvent]) -> list[ModelLifecycleEvent]:
        wanted = {event.event_id for event in events}
        found: dict[UUID, ModelLifecycleEvent] = {}
        for event in self._store.iter_events(after_sequence=self._cursor):
            if event.event_id in wanted:
                found[event.event_id] = event
                if len(found) == len(wanted):
                    break
        if found:
            self._cursor = max(event.sequence or 0 for event in found.values())
        return [found.get(event.event_id, event) for event in events]


def format_summary(
    summary: ModelRunSummary,
    *,
    source: str,
    store_url: str,
    partition: ModelPartition,
    lines: int,
    nodes: str,
    out_name: str,
    last_sequence: int | None = None,
    written: int | None = None,
) -> str:
    """The end-of-run account: every outcome with its reasons, then nodes by state, then how
    many events went where: ``written`` when fewer than were emitted reached it (the output
    failed), and ``last_sequence``, the store sequence of the last one written.

    ``lines`` counts every line of the file; blank lines are not messages, so applied +
    ignored + duplicates + dead-lettered equals ``lines`` minus the blank ones.
    """
    width = max(len(f"{lines:,}"), 5)
    blank = lines - summary.total

    def row(label: str, value: int, detail: str = "") -> str:
        return f"  {label:<15}{value:>{width},}{f'   ({detail})' if detail else ''}\n"

    rate = f", {summary.messages_per_second:,.0f} messages/s" if summary.total else ""
    target = "standard output" if out_name in ("-", "<stdout>") else printable(out_name)
    return (
        f"run {printable(source)} -> {printable(store_url)} (partition {partition.key}, "
        f"{summary.batches} batch{'' if summary.batches == 1 else 'es'}{rate})\n"
        + row("lines", lines, f"{blank} blank" if blank else "")
        + row("applied", summary.applied)
        + row(
            "ignored",
            summary.ignored,
            counts_line(summary.ignored_by_reason) if summary.ignored else "",
        )
        + row("duplicates", summary.duplicates)
        + row(
            "dead-lettered",
            summary.dead_lettered,
            counts_line(summary.dead_lettered_by_reason) if summary.dead_lettered else "",
        )
        + f"nodes by state: {nodes}\n"
        + f"emitted {summary.events_emitted:,} events"
        + (
            f", {written:,} of them"
            if written is not None and written != summary.events_emitted
            else ""
        )
        + f" -> {target}"
        + (f" (last sequence {last_sequence})" if last_sequence else "")
        + "\n"
    )


def _count_lines(stream: BinaryIO) -> int | None:
    """Lines in ``stream`` when it is a regular file (a last line without a newline counts),
    read in 1 MiB blocks with ``pread``, which leaves the stream's own position alone;
    ``None`` for a pipe, a FIFO or a terminal, which can be read only once. Raises ``OSError``
    when the file cannot be read."""
    try:
        fd = stream.fileno()
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except (OSError, ValueError):
        return None
    if not regular:
        return None
    count, offset, last = 0, os.lseek(fd, 0, os.SEEK_CUR), b"\n"
    while block := os.pread(fd, 1 << 20, offset):
        count += block.count(b"\n")
        offset += len(block)
        last = block[-1:]
    return count + (0 if last == b"\n" else 1)


class _Progress:
    """A one-line progress display on a terminal, redrawn at most five times a second."""

    def __init__(self, err: TextIO, total: int) -> None:
        self._err = err
        self._total = max(total, 1)
        self._drawn_at = 0.0

    def update(self, summary: ModelRunSummary) -> None:
        now = time.monotonic()
        if now - self._drawn_at < _PROGRESS_EVERY_SECONDS:
            return
        self._drawn_at = now
        percent = min(100.0, 100.0 * summary.total / self._total)
        self._err.write(
            f"\r  {summary.total:,}/{self._total:,} lines ({percent:5.1f}%)  "
            f"{summary.messages_per_second:,.0f} messages/s  "
            f"dead-lettered {summary.dead_lettered:,}\x1b[K"
        )
        self._err.flush()

    def clear(self) -> None:
        self._err.write("\r\x1b[K")
        self._err.flush()
