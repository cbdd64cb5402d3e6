"""The registration orchestrator node.

Files of this node:

- ``contract.yaml``: name, routing (``handler_routing``), topics and the ``lifecycle`` settings,
  typed by ``models/model_registration_contract.py``;
- ``handlers/handler_node_introspected.py``, ``handlers/handler_node_heartbeat.py``,
  ``handlers/handler_runtime_tick.py``: the three handlers, with ``handlers/handler_helpers.py``;
- ``registry/registry_infra_node_registration_orchestrator.py``: builds their frozen registry;
- ``models/``: payloads, settings and intents (each intent writes itself: ``apply_to(txn)``);
- ``enums/``: the ignore reasons;
- ``service_registration_runtime.py``: this node on the generic engine
  (``omnibase_infra.runtime.ServiceNodeEngine``), which feeds it and writes its decisions.
- ``registration_bus.py``: its bus streams (input and output topics, partitions), from the
  contract's ``topics`` section.
"""

from __future__ import annotations

import os
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Final
from uuid import UUID

from omnibase_core.contracts import load_contract
from omnibase_core.enums import EnumCoreErrorCode, EnumMessageCategory
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.nodes import NodeOrchestrator
from omnibase_core.services import ServiceHandlerRegistry
from omnibase_infra.models import ModelPartition
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelNodeHeartbeatEvent,
    ModelNodeIntrospectionEvent,
    ModelRegistrationContract,
    ModelRegistrationSettings,
    ModelRuntimeTick,
)
from omnibase_infra.runtime.model_batch_keys import ModelBatchKeys
from omnibase_infra.runtime.model_payload_catalog import ModelPayloadCatalog
from omnibase_infra.runtime.transaction_handlers import run_transaction_handlers
from omnibase_infra.stores.protocol_registration_transaction import (
    ProtocolRegistrationTransaction,
)

#: The payload models this node reads, by ``payload_type``: the wire codec's catalog.
REGISTRATION_PAYLOADS: Final = ModelPayloadCatalog(
    (ModelNodeIntrospectionEvent, ModelNodeHeartbeatEvent, ModelRuntimeTick)
)
#: The topic ticks travel on.
TICK_TOPIC: Final = "onex.intent.platform.runtime-tick.v1"
#: The ``scheduler_id`` of the ticks a live service makes for the partitions it owns.
SERVICE_SCHEDULER_ID: Final = "onex-registration-serve"


class NodeRegistrationOrchestrator(NodeOrchestrator):
    """Keeps the registry of live nodes: routes introspections, heartbeats and ticks to their
    handlers exactly as ``contract.yaml`` declares; no dispatch is written by hand.

    Construction loads the contract (typed by :class:`ModelRegistrationContract`, so a bad
    ``lifecycle`` section stops it with ``path:line:column``), takes the frozen
    :class:`ServiceHandlerRegistry` from the container and initialises routing, so an unknown
    handler key or a category mismatch stops construction with the contract path and the key.

    It is a node of the generic engine (``ProtocolEngineNode``): the engine hands each envelope
    and its open store transaction to :meth:`decide`, which routes and passes the transaction
    on to the handler; a message's partition is its payload's ``node_id`` (a tick has none and
    reaches every partition).
    """

    #: The contract next to this module.
    DEFAULT_CONTRACT_PATH: ClassVar[Path] = Path(__file__).with_name("contract.yaml")

    def __init__(
        self,
        container: ModelONEXContainer,
        *,
        contract_path: str | os.PathLike[str] | None = None,
        contract: ModelRegistrationContract | None = None,
    ) -> None:
        """Load the contract (default :attr:`DEFAULT_CONTRACT_PATH`) and resolve its routing.

        ``contract`` is the same contract already loaded from ``contract_path`` (a runtime
        loads it once, for the settings and the node); it is then not read again.
        Raises ``ModelOnexError``: ``FILE_NOT_FOUND`` or ``CONTRACT_VALIDATION_ERROR`` (every
        problem as ``path:line:column: field: message``, the ``lifecycle`` section included)
        for an unreadable or invalid contract, ``SERVICE_NOT_FOUND`` when the container holds
        no handler registry, and the routing error (naming the contract path, every routing
        key and handler key at fault) when a handler key is unknown or of the wrong category.
        """
        path = Path(contract_path) if contract_path is not None else self.DEFAULT_CONTRACT_PATH
        if contract is None:
            contract = self.load_registration_contract(path)
        # Fail fast with SERVICE_NOT_FOUND rather than leaving routing uninitialised.
        container.get_service(ServiceHandlerRegistry)
        self._contract_path = path
        try:
            # NodeOrchestrator resolves contract.handler_routing against the container's
            # frozen registry through _init_handler_routing, so every key is checked here.
            super().__init__(container, contract)
        except ModelOnexError as exc:
            raise ModelOnexError(
                f"NodeRegistrationOrchestrator: contract {path} cannot be routed: {exc.message}",
                exc.error_code,
                {**exc.context, "contract_path": str(path)},
            ) from exc
        self._registration_contract = contract

    # --- the engine's view of this node -----------------------------------------------------
    @property
    def payload_catalog(self) -> ModelPayloadCatalog:
        """Introspection, heartbeat and tick payloads, by ``payload_type``."""
        return REGISTRATION_PAYLOADS

    @property
    def partition_key_name(self) -> str:
        """Messages are partitioned by ``node_id``."""
        return "node_id"

    def partition_key(self, payload: object) -> UUID | None:
        """The payload's ``node_id``; ``None`` for a tick (every partition applies it)."""
        node_id = getattr(payload, "node_id", None)
        return node_id if isinstance(node_id, UUID) else None

    def decide(
        self, envelope: ModelEventEnvelope[Any], txn: ProtocolRegistrationTransaction
    ) -> Coroutine[Any, Any, list[ModelHandlerOutput]]:
        """Route ``envelope`` by payload type and run its handler with ``txn`` (read only).

        Awaited, gives the outputs (empty when no handler matches). Raises
        ``ModelOnexError(HANDLER_EXECUTION_ERROR)`` naming the handler and the envelope when a
        handler fails (its refusal, if any, as ``__cause__``). Routing happens at the call and
        the handlers run when the result is awaited: one coroutine fewer per message.
        """
        handlers = self._route_envelope(envelope, self.default_routing_strategy)
        return run_transaction_handlers(type(self).__name__, envelope, handlers, txn)

    def tick_envelope(
        self, partition: ModelPartition, at: datetime, sequence: int, envelope_id: UUID
    ) -> ModelEventEnvelope[Any]:
        """The runtime tick a service owning ``partition`` applies at ``at`` (a grid instant).

        A pure function of its arguments and the contract (``tick_interval_ms`` is the
        contract's ``lifecycle.tick_interval_seconds``), so every owner of the partition builds
        the same envelope for the same instant: ``tick_id`` and ``correlation_id`` are the
        envelope id, ``envelope_timestamp`` and ``now`` are ``at``. ``partition`` is implied by
        the handlers this node was built with (a tick expires only their partition's nodes).
        """
        interval_ms = max(
            1, round(self._registration_contract.lifecycle.tick_interval_seconds * 1000)
        )
        payload = ModelRuntimeTick(
            tick_id=envelope_id,
            now=at,
            sequence_number=sequence,
            scheduler_id=SERVICE_SCHEDULER_ID,
            tick_interval_ms=interval_ms,
        )
        return ModelEventEnvelope[Any](
            envelope_id=envelope_id,
            envelope_timestamp=at,
            correlation_id=envelope_id,
            topic=TICK_TOPIC,
            payload_type=ModelRuntimeTick.__name__,
            category=EnumMessageCategory.INTENT,
            payload=payload,
        )

    def prefetch(self, txn: ProtocolRegistrationTransaction, batch: ModelBatchKeys) -> None:
        """Let a store that reads ahead (PostgreSQL) fetch the batch's inbox records and node
        rows in one round trip; other stores read on demand (and the keys are not computed)."""
        read_ahead = getattr(txn, "prefetch", None)
        if read_ahead is not None:
            read_ahead(batch.inbox_ids, batch.partition_keys)

    async def process(self, envelope: ModelEventEnvelope[Any]) -> list[ModelHandlerOutput]:
        """Not available: this node's handlers read inside a store transaction.

        Raises ``ModelOnexError(INVALID_STATE)`` always: call :meth:`decide` with the open
        transaction, or run the node on the engine (``ServiceRegistrationRuntime``).
        """
        raise ModelOnexError(
            f"{type(self).__name__}.process: this node decides inside a store transaction; "
            "call decide(envelope, txn) within 'with store.transaction() as txn:', or run it "
            "through ServiceRegistrationRuntime",
            EnumCoreErrorCode.INVALID_STATE,
        )

    @property
    def contract_path(self) -> Path:
        """The contract this node was built from."""
        return self._contract_path

    @property
    def registration_contract(self) -> ModelRegistrationContract:
        """The loaded contract, its ``lifecycle`` section typed."""
        return self._registration_contract

    @classmethod
    def load_registration_contract(
        cls, contract_path: str | os.PathLike[str] | None = None
    ) -> ModelRegistrationContract:
        """The contract at ``contract_path`` (default :attr:`DEFAULT_CONTRACT_PATH`), typed.

        Raises ``ModelOnexError``: ``FILE_NOT_FOUND`` for an unreadable file and
        ``CONTRACT_VALIDATION_ERROR`` listing every problem at ``path:line:column``.
        """
        path = contract_path if contract_path is not None else cls.DEFAULT_CONTRACT_PATH
        return load_contract(path, model=ModelRegistrationContract)

    @classmethod
    def load_settings(
        cls,
        contract_path: str | os.PathLike[str] | None = None,
        **overrides: Any,
    ) -> ModelRegistrationSettings:
        """Settings from the contract's ``lifecycle`` section, then ``overrides`` (settings
        field names, e.g. ``expiry_batch_size=50`` or ``liveness_interval=timedelta(...)``).

        Missing keys keep the defaults of the lifecycle table in docs/registration.md. Raises
        ``ModelOnexError``: the contract's load errors (a typo or bad value in ``lifecycle`` is
        ``CONTRACT_VALIDATION_ERROR`` at its ``path:line:column``), and ``INVALID_PARAMETER``
        for an invalid override.
        """
        return cls.load_registration_contract(contract_path).lifecycle.to_settings(**overrides)
