"""What the serve loop and the outbox relay need of a store beyond transactions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from omnibase_infra.models import ModelLifecycleEvent
from omnibase_infra.stores.protocol_partition_leases import ProtocolPartitionLeases


class ProtocolLeaseStore(Protocol):
    """Leases with fencing, the outbox in commit order, and the relay's fenced cursor."""

    @property
    def url(self) -> str:
        """The store URL with any password masked."""
        ...

    def open_leases(self, owner: str) -> ProtocolPartitionLeases:
        """Open this process's lease manager (one per serve process). Raises
        ``ModelOnexError(CONFIGURATION_ERROR)`` when the store allows no second process (a
        SQLite file another process serves), ``VALIDATION_ERROR`` for a blank owner."""
        ...

    def iter_events(self, after_sequence: int = 0) -> Iterator[ModelLifecycleEvent]:
        """Committed events with ``sequence > after_sequence``, in commit order."""
        ...

    def last_sequence(self) -> int:
        """The ``sequence`` of the newest committed event, ``0`` when there is none."""
        ...

    def relay_cursor(self, name: str) -> int:
        """The sequence of the last event relay ``name`` has published (``0``: none yet)."""
        ...

    def advance_relay_cursor(self, name: str, sequence: int, token: int) -> None:
        """Move relay ``name``'s cursor to ``sequence`` in one transaction fenced by lease
        ``name`` held with ``token``. Raises ``ModelLeaseLostError`` (nothing moved) when the
        lease's token is no longer ``token``, ``ModelOnexError(INVALID_STATE)`` when
        ``sequence`` is below the stored cursor, ``VALIDATION_ERROR`` for bad input."""
        ...
