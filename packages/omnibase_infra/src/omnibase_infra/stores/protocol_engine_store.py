"""What the node engine needs of a store, whatever the node."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol, TypeVar

from omnibase_infra.stores.protocol_engine_transaction import ProtocolEngineTransaction

TxnT_co = TypeVar("TxnT_co", bound=ProtocolEngineTransaction, covariant=True)


class ProtocolEngineStore(Protocol[TxnT_co]):
    """A store the engine writes through: transactions of the node's kind, and closing.

    Transactions do not nest and belong to the thread that opened them; the engine hands the
    open transaction to the node explicitly (there is no "current transaction" lookup).
    """

    @property
    def url(self) -> str:
        """The store URL with any password masked."""
        ...

    def transaction(self) -> AbstractContextManager[TxnT_co]:
        """Open a transaction: committed when the block exits normally, rolled back when it
        raises. Raises ``ModelOnexError(INVALID_STATE)`` when this thread has one open."""
        ...

    def close(self) -> None:
        """Release connections; the store is unusable afterwards. Idempotent."""
        ...
