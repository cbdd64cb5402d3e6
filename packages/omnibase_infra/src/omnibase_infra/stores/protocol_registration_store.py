"""A durable home for the registry, its inbox, its outbox and its dead letters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from omnibase_infra.enums import EnumMessageOutcome, EnumRegistrationState
from omnibase_infra.models import (
    ModelDeadLetter,
    ModelLifecycleEvent,
    ModelRegistrationProjection,
)
from omnibase_infra.stores.protocol_partition_leases import ProtocolPartitionLeases
from omnibase_infra.stores.protocol_registration_transaction import (
    ProtocolRegistrationTransaction,
)


class ProtocolRegistrationStore(Protocol):
    """A registration store: one implementation per backend, chosen by URL.

    All writes go through :meth:`transaction`; the read methods below each run in their own
    short read-only transaction and return committed data only.
    """

    @property
    def url(self) -> str:
        """The store URL with any password masked."""
        ...

    def migrate(self) -> int:
        """Apply pending schema migrations; returns the schema version now in force."""
        ...

    def transaction(self) -> AbstractContextManager[ProtocolRegistrationTransaction]:
        """Open a transaction: committed when the block exits normally, rolled back when it
        raises. Transactions do not nest: ``ModelOnexError(INVALID_STATE)`` when this thread
        has one open. The engine hands the open transaction to the node's handlers."""
        ...

    def list_nodes(
        self, state: EnumRegistrationState | None = None
    ) -> list[ModelRegistrationProjection]:
        """Registry rows ordered by node name then id, optionally only those in ``state``."""
        ...

    def iter_events(self, after_sequence: int = 0) -> Iterator[ModelLifecycleEvent]:
        """Emitted events in commit order, with their ``sequence``, after ``after_sequence``."""
        ...

    def last_sequence(self) -> int:
        """The ``sequence`` of the newest committed event, ``0`` when there is none.

        A reader that remembers it sees every event committed later with
        ``iter_events(after_sequence=...)``; ``onex-registration run`` uses it to give the
        events it writes to ``--out`` their sequences."""
        ...

    def list_dead_letters(self) -> list[ModelDeadLetter]:
        """Every dead letter in the order it was recorded."""
        ...

    def list_records(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """Committed keyed JSON records of ``kind`` as ``(key, document)``, ordered by key."""
        ...

    def count_outcomes(self) -> dict[EnumMessageOutcome, int]:
        """How many distinct inputs ended in each outcome (all three keys always present):
        inbox records by outcome, plus dead letters that had no readable envelope id."""
        ...

    def count_ignored_by_reason(self) -> dict[str, int]:
        """How many distinct inputs were ignored, by reason code (the text before the first
        ``:`` of the recorded reason, as a run's summary counts them)."""
        ...

    # --- leases and the outbox relay (see ProtocolLeaseStore) -----------------------------------
    def open_leases(self, owner: str) -> ProtocolPartitionLeases:
        """Open this process's lease manager; see :class:`ProtocolLeaseStore`."""
        ...

    def relay_cursor(self, name: str) -> int:
        """The sequence of the last event relay ``name`` has published (``0``: none yet)."""
        ...

    def advance_relay_cursor(self, name: str, sequence: int, token: int) -> None:
        """Move relay ``name``'s cursor, fenced by lease ``name``; see
        :class:`ProtocolLeaseStore`."""
        ...

    def close(self) -> None:
        """Release connections; the store is unusable afterwards. Idempotent."""
        ...
