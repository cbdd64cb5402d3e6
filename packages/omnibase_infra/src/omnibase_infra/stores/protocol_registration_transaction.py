"""What a handler and the runtime can do inside one store transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from omnibase_infra.models import ModelPartition, ModelRegistrationProjection
from omnibase_infra.stores.protocol_record_transaction import ProtocolRecordTransaction


class ProtocolRegistrationTransaction(ProtocolRecordTransaction, Protocol):
    """One open transaction: reads see its own writes; everything commits or nothing does.

    The engine's part (inbox, outbox, dead letters, savepoints) comes from
    :class:`ProtocolEngineTransaction` through :class:`ProtocolRecordTransaction`, which adds
    the keyed JSON records every node may keep; the node rows and the small per-node and
    per-partition memories below are the registration orchestrator's own.

    Reads of node rows lock them until the end of the transaction where the backend supports
    row locks, so two processes never decide on the same node at once.
    """

    # --- node rows -----------------------------------------------------------------------------
    def get_node(self, node_id: UUID) -> ModelRegistrationProjection | None:
        """The node's row, locked for the rest of the transaction, or ``None``."""
        ...

    def upsert_node(self, projection: ModelRegistrationProjection) -> None:
        """Insert or replace the node's row."""
        ...

    def claim_expired(
        self, now: datetime, limit: int, partition: ModelPartition
    ) -> list[ModelRegistrationProjection]:
        """Lock and return up to ``limit`` ACTIVE nodes owned by ``partition`` whose
        ``liveness_deadline < now``, oldest deadline first; rows locked by another transaction
        are skipped, never waited for."""
        ...

    # --- small per-node and per-partition memories ---------------------------------------------
    def get_introspection_requested_at(self, node_id: UUID) -> datetime | None:
        """When introspection was last requested from ``node_id``."""
        ...

    def set_introspection_requested_at(self, node_id: UUID, requested_at: datetime) -> None:
        """Remember when introspection was requested from ``node_id``."""
        ...

    def get_tick_clock(self, partition_key: str) -> datetime | None:
        """The ``now`` of the newest tick applied by the partition, locked, or ``None``."""
        ...

    def set_tick_clock(self, partition_key: str, now: datetime) -> None:
        """Record ``now`` as the partition's newest applied tick."""
        ...
