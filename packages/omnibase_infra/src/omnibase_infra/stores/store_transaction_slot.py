"""The per-thread slot holding the transaction a thread has open on one store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError

TxnT = TypeVar("TxnT")


class StoreTransactionSlot(Generic[TxnT]):
    """The transaction each thread has open on one store, shared by every backend.

    Transactions do not nest and belong to the thread that opened them; the slot only enforces
    that. Nothing looks the open transaction up: the engine hands it to the node explicitly.
    """

    __slots__ = ("_local", "_store_name", "_url")

    def __init__(self, store_name: str, url: str) -> None:
        self._local = threading.local()
        self._store_name = store_name
        self._url = url

    def require_none_open(self) -> None:
        """Raises ``ModelOnexError(INVALID_STATE)`` when this thread already has one open."""
        if getattr(self._local, "transaction", None) is not None:
            raise ModelOnexError(
                f"{self._store_name}.transaction: this thread already has a transaction open "
                "on this store; transactions do not nest, finish the open one first",
                EnumCoreErrorCode.INVALID_STATE,
                {"store_url": self._url},
            )

    @contextmanager
    def holding(self, txn: TxnT) -> Iterator[TxnT]:
        """Make ``txn`` this thread's open transaction for the duration of the block."""
        self._local.transaction = txn
        try:
            yield txn
        finally:
            self._local.transaction = None
