"""What the node engine needs of one store transaction, whatever the node."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol
from uuid import UUID

from omnibase_infra.enums import EnumMessageOutcome
from omnibase_infra.models import ModelDeadLetter, ModelLifecycleEvent


class ProtocolEngineTransaction(Protocol):
    """One open transaction as the engine uses it: the inbox (one outcome per message), the
    outbox, the dead letters and a savepoint per message. Every node's store transaction
    offers at least this; a node's handlers and intents use the node's richer protocol.
    """

    def check_lease(self, name: str, token: int) -> None:
        """Fence this transaction by lease ``name`` held with ``token``: raises
        ``ModelLeaseLostError`` when the store's token for ``name`` is no longer ``token``
        (another process took the lease over), after which the batch must be rolled back and
        not acknowledged. Called first in a batch transaction. Where the backend has row locks
        the lease row stays share-locked until the transaction ends, so a takeover (which
        bumps the token) waits for this batch: the batch commits before it or not at all.
        Raises ``ModelOnexError(VALIDATION_ERROR)`` for a bad name or token."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested unit for one message: when the block raises ``ModelStoreDataError`` (the
        store cannot hold a value of that message), every write made in the block (rows,
        records, events, inbox records, dead letters) is undone, the transaction stays usable
        for the next message, and the error propagates. Writes of the block reach the store
        before the block ends, so a refusal surfaces inside it. Any other error propagates and
        leaves the whole transaction to be rolled back."""
        ...

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

    def append_events(self, events: Sequence[ModelLifecycleEvent]) -> None:
        """Append events to the outbox; their commit order is their ``sequence``."""
        ...

    def add_dead_letter(self, dead_letter: ModelDeadLetter) -> None:
        """Keep a dead-lettered input with its reason; idempotent on ``dead_letter_id`` (a
        second add of the same id writes nothing), so re-reading an input after a crash never
        doubles a dead letter."""
        ...
