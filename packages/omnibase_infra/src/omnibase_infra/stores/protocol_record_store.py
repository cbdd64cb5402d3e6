"""A store whose transactions keep keyed JSON records, and that reads them back."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

from omnibase_infra.stores.protocol_record_transaction import ProtocolRecordTransaction


class ProtocolRecordStore(Protocol):
    """What a node that keeps its own records needs of a store (every store offers it): the
    engine's transactions with records, a committed read of one kind, and closing."""

    @property
    def url(self) -> str:
        """The store URL with any password masked."""
        ...

    def transaction(self) -> AbstractContextManager[ProtocolRecordTransaction]:
        """Open a transaction (see :class:`ProtocolEngineStore`)."""
        ...

    def list_records(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """Committed records of ``kind`` as ``(key, document)``, ordered by key."""
        ...

    def close(self) -> None:
        """Release connections; the store is unusable afterwards. Idempotent."""
        ...
