"""``onex-registration run``: apply a JSON-lines file through the runtime."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from omnibase_infra.cli.cli_text import printable
from omnibase_infra.cli.cli_views import counts_line, event_json, states_line
from omnibase_infra.models import ModelLifecycleEvent, ModelPartition
from omnibase_infra.runtime.model_run_summary import ModelRunSummary
from omnibase_infra.runtime.service_registration_runtime import ServiceRegistrationRuntime
from omnibase_infra.stores.protocol_registration_store import ProtocolRegistrationStore

#: Inputs shorter than this finish too fast for a progress line to be worth drawing.
PROGRESS_MIN_LINES = 10_000
_PROGRESS_EVERY_SECONDS = 0.2


def run_file(
    path: Path,
    store: ProtocolRegistrationStore,
    *,
    partition: ModelPartition,
    batch_size: int,
    out: TextIO,
    err: TextIO,
) -> ModelRunSummary:
    """Apply every line of ``path`` to ``store``; events go to ``out`` as they commit.

    Progress is drawn on ``err`` when it is a terminal and the input is long; the summary is
    always written to ``err``. Raises ``OSError`` when the file cannot be read and
    ``ModelOnexError`` from the runtime or the store.
    """
    line_count = _count_lines(path)
    progress = (
        _Progress(err, line_count) if err.isatty() and line_count >= PROGRESS_MIN_LINES else None
    )

    def write_events(events: Sequence[ModelLifecycleEvent]) -> None:
        out.write("".join(event_json(event) + "\n" for event in events))

    with (
        ServiceRegistrationRuntime(store, partition=partition, batch_size=batch_size) as runtime,
        path.open("rb") as stream,
    ):
        summary, _ = runtime.run_stream(
            stream,
            path.name,
            progress=progress.update if progress else None,
            on_events=write_events,
            collect_events=False,
        )
    out.flush()
    if progress is not None:
        progress.clear()
    nodes = store.list_nodes()
    err.write(
        format_summary(
            summary,
            source=str(path),
            store_url=store.url,
            partition=partition,
            lines=line_count,
            nodes=states_line(nodes),
            out_name=getattr(out, "name", "-"),
        )
    )
    err.flush()
    return summary


def format_summary(
    summary: ModelRunSummary,
    *,
    source: str,
    store_url: str,
    partition: ModelPartition,
    lines: int,
    nodes: str,
    out_name: str,
) -> str:
    """The end-of-run account: every outcome with its reasons, then nodes by state.

    ``lines`` counts every line of the file; blank lines are not messages, so applied +
    ignored + duplicates + dead-lettered equals ``lines`` minus the blank ones.
    """
    width = max(len(f"{lines:,}"), 5)
    blank = lines - summary.total

    def row(label: str, value: int, detail: str = "") -> str:
        return f"  {label:<15}{value:>{width},}{f'   ({detail})' if detail else ''}\n"

    rate = f", {summary.messages_per_second:,.0f} messages/s" if summary.elapsed_seconds else ""
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
        + f"emitted {summary.events_emitted:,} events -> {target}\n"
    )


def _count_lines(path: Path) -> int:
    """Lines in ``path`` (a last line without a newline counts); reads in 1 MiB blocks."""
    count = 0
    last = b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
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
