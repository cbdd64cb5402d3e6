"""One engine run's running counts: per batch, merged into the run only when it commits."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from omnibase_infra.models import ModelLifecycleEvent
from omnibase_infra.runtime.model_run_summary import ModelRunSummary

ProgressCallback = Callable[[ModelRunSummary], None]
EventsCallback = Callable[[Sequence[ModelLifecycleEvent]], None]
RunResult = tuple[ModelRunSummary, list[ModelLifecycleEvent]]


@dataclass(slots=True)
class ModelEngineTally:
    """Running counts of a batch (or of a message inside a savepoint)."""

    applied: int = 0
    ignored: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    ignored_by_reason: Counter[str] = field(default_factory=Counter)
    dead_lettered_by_reason: Counter[str] = field(default_factory=Counter)
    events_emitted: int = 0
    batches: int = 0

    def merge(self, other: ModelEngineTally) -> None:
        """Add ``other``'s counts to these."""
        self.applied += other.applied
        self.ignored += other.ignored
        self.duplicates += other.duplicates
        self.dead_lettered += other.dead_lettered
        self.ignored_by_reason.update(other.ignored_by_reason)
        self.dead_lettered_by_reason.update(other.dead_lettered_by_reason)
        self.events_emitted += other.events_emitted
        self.batches += other.batches

    def summary(self, elapsed: float, blank_lines: int = 0) -> ModelRunSummary:
        """These counts as a run summary."""
        return ModelRunSummary(
            total=self.applied + self.ignored + self.duplicates + self.dead_lettered,
            blank_lines=blank_lines,
            applied=self.applied,
            ignored=self.ignored,
            duplicates=self.duplicates,
            dead_lettered=self.dead_lettered,
            ignored_by_reason=dict(self.ignored_by_reason),
            dead_lettered_by_reason=dict(self.dead_lettered_by_reason),
            events_emitted=self.events_emitted,
            batches=self.batches,
            elapsed_seconds=max(elapsed, 0.0),
        )


@dataclass(slots=True)
class ModelLineCount:
    """Blank lines read so far (they are counted, but are not inputs)."""

    blank: int = 0


class ServiceRunProgress:
    """One run's totals: merges each committed batch, reports progress and keeps its events."""

    __slots__ = (
        "_collect_events",
        "_events",
        "_lines",
        "_on_events",
        "_progress",
        "_started",
        "_tally",
    )

    def __init__(
        self,
        progress: ProgressCallback | None,
        on_events: EventsCallback | None,
        collect_events: bool,
        lines: ModelLineCount | None = None,
    ) -> None:
        self._lines = lines or ModelLineCount()
        self._progress = progress
        self._on_events = on_events
        self._collect_events = collect_events
        self._tally = ModelEngineTally()
        self._events: list[ModelLifecycleEvent] = []
        self._started = time.perf_counter()

    def commit(self, committed: tuple[ModelEngineTally, list[ModelLifecycleEvent]]) -> None:
        """Count a batch that committed and hand its events on (callbacks may raise)."""
        local, events = committed
        self._tally.merge(local)
        if self._collect_events:
            self._events.extend(events)
        if self._on_events is not None and events:
            self._on_events(events)
        if self._progress is not None:
            self._progress(self._summary())

    def result(self) -> RunResult:
        """The run's summary and the events kept (empty unless collected)."""
        return self._summary(), self._events

    def _summary(self) -> ModelRunSummary:
        return self._tally.summary(time.perf_counter() - self._started, self._lines.blank)
