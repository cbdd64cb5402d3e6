"""What a demo run produced: data only; the command line renders it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from omnibase_infra.enums import EnumLifecycleEventType
from omnibase_infra.models import ModelLifecycleEvent, ModelRegistrationProjection
from omnibase_infra.runtime.model_run_summary import ModelRunSummary
from omnibase_infra.simulation.model_bus_demo_setup import ModelBusDemoSetup
from omnibase_infra.simulation.model_cluster_history import ModelClusterHistory
from omnibase_infra.simulation.model_invariant_result import ModelInvariantResult


class ModelDemoReport(BaseModel):
    """A demo run: its parameters, the simulated history, what the store holds afterwards, the
    outcome counts and the invariant verdicts.

    Every field but ``summary.elapsed_seconds`` (which the account does not print) depends only
    on the seed and the parameters (no paths), so two runs with the same seed print the same
    account. ``store_label`` names the kind of store used
    (``SQLite, temporary file`` or ``given store``); ``nodes`` are the registry rows ordered by
    name then id; ``events_by_type`` counts the outbox's events for every event type (zero
    included); ``bus`` says how a run over a real bus went (``None`` for a run in process).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int
    minutes: float
    store_label: str
    history: ModelClusterHistory
    summary: ModelRunSummary
    nodes: tuple[ModelRegistrationProjection, ...]
    events_by_type: dict[EnumLifecycleEventType, int]
    invariants: tuple[ModelInvariantResult, ...]
    bus: ModelBusDemoSetup | None = None

    @staticmethod
    def count_events(events: Iterable[ModelLifecycleEvent]) -> dict[EnumLifecycleEventType, int]:
        """``events_by_type`` of an outbox: the count of every event type, zero included."""
        counts = Counter(event.event_type for event in events)
        return {event_type: counts.get(event_type, 0) for event_type in EnumLifecycleEventType}

    @property
    def events_total(self) -> int:
        """Events in the outbox, all types together."""
        return sum(self.events_by_type.values())

    @property
    def failures(self) -> list[str]:
        """Statements of the invariants that did not hold, with their detail."""
        return [f"{i.statement}: {i.detail}" for i in self.invariants if not i.passed]
