"""What a node supplies to the node engine."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar
from uuid import UUID

from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.runtime.model_batch_keys import ModelBatchKeys
from omnibase_infra.runtime.model_payload_catalog import ModelPayloadCatalog
from omnibase_infra.stores.protocol_engine_transaction import ProtocolEngineTransaction

#: The transaction type of a node's store (the engine and its applier are generic in it).
TxnT = TypeVar("TxnT", bound=ProtocolEngineTransaction)
TxnT_contra = TypeVar("TxnT_contra", bound=ProtocolEngineTransaction, contravariant=True)


class ProtocolEngineNode(Protocol[TxnT_contra]):
    """A contract-driven node the engine can run: everything node-specific lives behind this.

    - :attr:`payload_catalog`: the payload models the wire codec validates, by
      ``payload_type``;
    - :meth:`partition_key`: the partition rule. A message whose payload names a key (a node
      id, an account id...) belongs to the partition owning that key; a message naming none
      (a tick) reaches every partition, which each apply it once;
    - :meth:`decide`: route one envelope through the contract and run its handlers with the
      open transaction (handlers read; they never write);
    - intents: every intent a handler returns has ``apply_to(txn)``, which writes it; the
      engine applies a message's intents only after all of them are known to have it;
    - :meth:`prefetch`: let the store read a batch's rows ahead (may do nothing);
    - :meth:`get_routing_table`: what the contract routes, for the ``unroutable`` detail.

    Dead-letter reasons a handler gives are raised as ``ModelMessageRefusedError``; ignore
    reasons are the ``ignored_reason`` of its output (the code before the first ``:``).
    """

    @property
    def payload_catalog(self) -> ModelPayloadCatalog:
        """The payload models the codec validates for this node."""
        ...

    @property
    def partition_key_name(self) -> str:
        """What the partition key is called in messages (``node_id``, ``account_id``...)."""
        ...

    def partition_key(self, payload: object) -> UUID | None:
        """The key whose partition owns a message carrying ``payload``, or ``None`` when every
        partition receives it. Called for every message: keep it a cheap attribute read."""
        ...

    async def decide(
        self, envelope: ModelEventEnvelope[Any], txn: TxnT_contra
    ) -> list[ModelHandlerOutput]:
        """Route ``envelope`` and run its handlers with ``txn``; an empty list when no handler
        matches. Raises whatever a handler raises, wrapped as routing wraps it."""
        ...

    def prefetch(self, txn: TxnT_contra, batch: ModelBatchKeys) -> None:
        """Read ahead what a batch with these inbox keys and partition keys will read (a
        store that reads on demand does nothing, and the keys are then never computed)."""
        ...

    def get_routing_table(self) -> dict[str, list[str]]:
        """Routing keys to handler ids, as compiled from the contract."""
        ...
