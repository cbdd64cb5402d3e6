"""What a handler and the runtime can do inside one store transaction."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol
from uuid import UUID

from omnibase_infra.enums import EnumMessageOutcome
from omnibase_infra.models import (
    ModelDeadLetter,
    ModelLifecycleEvent,
    ModelPartition,
    ModelRegistrationProjection,
)
from omnibase_infra.stores.protocol_record_transaction import ProtocolRecordTransaction


class ProtocolRegistrationTransaction(ProtocolRecordTransaction, Protocol):
    """One open transaction: reads see its own writes; everything commits or nothing does.

    The engine's part (inbox, outbox, dead letters, savepoints) comes from
    :class:`ProtocolEngineTransaction`, the keyed JSON records every node may keep from
    :class:`ProtocolRecordTransaction`; the node rows and the small per-node and per-partition
    memories below are the registration orchestrator's own.

    Reads of node rows lock them until the end of the transaction where the backend supports
    row locks, so two processes never decide on the same node at once.
    """

    # --- one message inside the transaction -------------------------------------------------
    def savepoint(self) -> AbstractContextManager[None]:
        """A nested unit for one message: when the block raises ``ModelStoreDataError`` (the
        store cannot hold a value of that message), every write made in the block (rows,
        events, inbox records, dead letters) is undone, the transaction stays usable for the
        next message, and the error propagates. Writes of the block are sent to the database
        before the block ends, so a refusal surfaces inside it. Any other error propagates
        and leaves the whole transaction to be rolled back."""
        ...

    # --- the inbox: exactly once per envelope -------------------------------------------------
    def get_outcome(self, envelope_id: UUID) -> EnumMessageOutcome | None:
        """The recorded outcome of ``envelope_id``, or ``None`` if it was never processed."""
        ...

    def record_outcome(
        self,
        envelope_id: UUID,
        outcome: EnumMessageOutcome,
        reason: str | None,
        processed_at: datetime,
    ) -> bool:
        """Record what became of ``envelope_id``; returns ``False`` (and writes nothing) if it
        was already recorded, in which case the caller must roll back its batch or skip it."""
        ...

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

    # --- outputs -------------------------------------------------------------------------------
    def append_events(self, events: Sequence[ModelLifecycleEvent]) -> None:
        """Append events to the outbox; their commit order is their ``sequence``."""
        ...

    def add_dead_letter(self, dead_letter: ModelDeadLetter) -> None:
        """Keep a dead-lettered input with its reason; idempotent on ``dead_letter_id`` (a
        second add of the same id writes nothing), so re-reading an input after a crash never
        doubles a dead letter."""
        ...
