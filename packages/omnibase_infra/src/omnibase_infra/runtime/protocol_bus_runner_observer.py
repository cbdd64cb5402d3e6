"""What a bus runner reports as it goes: the hooks a metrics collector implements."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from omnibase_core.models.bus import ModelBusPartition
from omnibase_infra.runtime.service_batch_applier import BatchResult


class ProtocolBusRunnerObserver(Protocol):
    """What a bus runner reports as it goes (metrics); every method must return quickly."""

    def batch_committed(
        self, partition: ModelBusPartition, result: BatchResult, messages: int, seconds: float
    ) -> None:
        """A batch of ``messages`` bus messages committed (``result``: its tally and events)."""
        ...

    def batch_abandoned(self, partition: ModelBusPartition, reason: str) -> None:
        """A batch was given up without committing (it will be delivered again)."""
        ...

    def store_retry(self, partition: ModelBusPartition) -> None:
        """A rolled-back batch is being redone."""
        ...

    def redelivered(self, partition: ModelBusPartition, count: int) -> None:
        """``count`` messages of a fetched batch had been delivered before."""
        ...

    def ticked(self, partition: ModelBusPartition, at: datetime) -> None:
        """``partition`` committed its tick for the grid instant ``at``."""
        ...

    def lease_changed(self, partition: ModelBusPartition, kind: str) -> None:
        """The lease of ``partition`` was ``acquired``, ``released`` or ``lost``."""
        ...

    def partitions_owned(self, partitions: frozenset[ModelBusPartition]) -> None:
        """The partitions owned changed (a lease taken, released or lost)."""
        ...
