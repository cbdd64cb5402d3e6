"""What a bus runner reports, recorded as the service's Prometheus metrics.

Needs ``prometheus_client`` (the ``omnibase-infra[serve]`` extra), through
:class:`ServiceServeMetrics`.
"""

from __future__ import annotations

from datetime import datetime

from omnibase_core.models.bus import ModelBusPartition
from omnibase_infra.runtime.service_batch_applier import BatchResult
from omnibase_infra.runtime.service_serve_metrics import LEASE_CHANGE_KINDS, ServiceServeMetrics


class ServiceRunnerMetrics:
    """A :class:`~omnibase_infra.runtime.protocol_bus_runner_observer.ProtocolBusRunnerObserver`
    that records into ``metrics``: messages by outcome and reason, batch size and seconds,
    redeliveries, store retries, ticks (the tick lag), lease changes and partitions owned."""

    def __init__(self, metrics: ServiceServeMetrics) -> None:
        self._metrics = metrics

    @property
    def metrics(self) -> ServiceServeMetrics:
        """The metrics recorded into."""
        return self._metrics

    def batch_committed(
        self, partition: ModelBusPartition, result: BatchResult, messages: int, seconds: float
    ) -> None:
        """Count the batch's messages by outcome and reason and observe its size and time."""
        tally, _events = result
        record = self._metrics.record_messages
        record("applied", "", tally.applied)
        record("duplicate", "", tally.duplicates)
        for reason, count in tally.ignored_by_reason.items():
            record("ignored", reason, count)
        for reason, count in tally.dead_lettered_by_reason.items():
            record("dead_lettered", reason, count)
        self._metrics.record_batch(messages, seconds)

    def batch_abandoned(self, partition: ModelBusPartition, reason: str) -> None:
        """Nothing to count: the batch is delivered again and counted when it commits."""

    def store_retry(self, partition: ModelBusPartition) -> None:
        """Count one store retry."""
        self._metrics.record_store_retry()

    def redelivered(self, partition: ModelBusPartition, count: int) -> None:
        """Count redeliveries of ``partition``."""
        self._metrics.record_redeliveries(partition.index, count)

    def ticked(self, partition: ModelBusPartition, at: datetime) -> None:
        """Note the partition's newest tick (the tick lag is measured when scraped)."""
        self._metrics.record_tick(partition.index, at)

    def lease_changed(self, partition: ModelBusPartition, kind: str) -> None:
        """Count the lease change; a partition no longer owned loses its gauges."""
        for known in LEASE_CHANGE_KINDS:
            if known == kind:
                self._metrics.record_lease_change(known)
        if kind != "acquired":
            self._metrics.forget_partition(partition.index)

    def partitions_owned(self, partitions: frozenset[ModelBusPartition]) -> None:
        """Set the partitions-owned gauge."""
        self._metrics.set_partitions_owned(len(partitions))


__all__ = ["ServiceRunnerMetrics"]
