"""A store transaction that also keeps a node's own small tables: keyed JSON records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from omnibase_infra.stores.protocol_engine_transaction import ProtocolEngineTransaction


class ProtocolRecordTransaction(ProtocolEngineTransaction, Protocol):
    """The engine's transaction plus one generic table every store has: records, each a JSON
    object under a ``(kind, key)`` pair, in the same database and the same transaction as the
    inbox and the outbox. A node keeps its small tables there (a ledger, a key-value map, a
    per-account counter) without adding a table to any store.

    Documents are held to the wire limits and kept in canonical JSON form
    (:func:`omnibase_infra.wire.canonical_json`: keys sorted, numbers as Python writes them),
    so every store reads back exactly the values it was given.
    """

    def get_record(self, kind: str, key: str) -> dict[str, Any] | None:
        """The document stored under ``(kind, key)`` (a fresh dict), or ``None``."""
        ...

    def put_record(self, kind: str, key: str, document: Mapping[str, Any]) -> None:
        """Insert or replace the document under ``(kind, key)``. Raises
        ``ModelStoreDataError`` for a kind, key or document beyond the wire limits or not JSON
        (the engine then dead-letters that message alone, ``store_rejected``)."""
        ...
