"""Who is told when a bus assigns or revokes partitions."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from omnibase_core.models.bus.model_bus_partition import ModelBusPartition


@runtime_checkable
class ProtocolBusPartitionListener(Protocol):
    """Receives partition ownership changes of one bus.

    ``on_partitions_assigned`` runs after the bus can fetch from the partitions (start
    consuming, tick them). ``on_partitions_revoked`` runs before the bus stops delivering
    them (finish or abandon the batch in flight; do not acknowledge afterwards). Both are
    awaited by the call that caused the change (``assign``, ``revoke``, ``close``), one at a
    time, with only the partitions that actually changed; an exception propagates to that
    call after the bus has recorded the change.
    """

    async def on_partitions_assigned(self, partitions: frozenset[ModelBusPartition]) -> None:
        """The bus now delivers ``partitions`` to this process."""
        ...

    async def on_partitions_revoked(self, partitions: frozenset[ModelBusPartition]) -> None:
        """The bus is about to stop delivering ``partitions`` to this process."""
        ...
