"""The registration orchestrator on the node engine: the only writer of the registration store."""

from __future__ import annotations

import os

from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.services import ServiceHandlerRegistry
from omnibase_infra.models import ModelPartition
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelRegistrationContract,
    ModelRegistrationSettings,
)
from omnibase_infra.nodes.node_registration_orchestrator.node import (
    NodeRegistrationOrchestrator,
)
from omnibase_infra.nodes.node_registration_orchestrator.registry import (
    RegistryInfraNodeRegistrationOrchestrator,
)
from omnibase_infra.runtime.service_node_engine import DEFAULT_BATCH_SIZE, ServiceNodeEngine
from omnibase_infra.stores import ProtocolRegistrationStore, ProtocolRegistrationTransaction
from omnibase_infra.stores.store_factory import open_store


def build_registration_node(
    settings: ModelRegistrationSettings,
    partition: ModelPartition,
    contract: ModelRegistrationContract,
    *,
    contract_path: str | os.PathLike[str] | None = None,
) -> NodeRegistrationOrchestrator:
    """The orchestrator node serving ``partition`` with ``settings``: its handler registry
    built and frozen, routed by ``contract`` (already loaded from ``contract_path``).

    A live service builds one per partition it owns. Raises the routing errors of
    :class:`NodeRegistrationOrchestrator`.
    """
    container = ModelONEXContainer()
    container.register_service(
        ServiceHandlerRegistry,
        RegistryInfraNodeRegistrationOrchestrator.create_registry(settings, partition),
    )
    return NodeRegistrationOrchestrator(container, contract_path=contract_path, contract=contract)


class ServiceRegistrationRuntime(ServiceNodeEngine[ProtocolRegistrationTransaction]):
    """:class:`ServiceNodeEngine` running :class:`NodeRegistrationOrchestrator` over a
    registration store.

    Everything about batches, the inbox, outcomes, dead letters, retries and stopping is the
    engine's; this class only wires the node: the contract is loaded once (its ``lifecycle``
    section gives the settings, its routing the node), the handlers are built for the settings
    and the partition, and the node goes on the engine.
    """

    def __init__(
        self,
        store: ProtocolRegistrationStore,
        *,
        settings: ModelRegistrationSettings | None = None,
        partition: ModelPartition | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        contract_path: str | os.PathLike[str] | None = None,
        owns_store: bool = False,
    ) -> None:
        """Build the registry, the node and the engine over ``store``.

        ``settings`` default to the contract's ``lifecycle`` section; ``partition`` to the one
        partition owning every node; ``owns_store`` closes the store with the runtime.
        Raises ``ModelOnexError``: ``INVALID_PARAMETER`` for ``batch_size < 1``, and the
        contract, settings and routing errors of :class:`NodeRegistrationOrchestrator`.
        """
        contract = NodeRegistrationOrchestrator.load_registration_contract(contract_path)
        self._settings = settings or contract.lifecycle.to_settings()
        partition = partition or ModelPartition()
        self._node = build_registration_node(
            self._settings, partition, contract, contract_path=contract_path
        )
        self._registration_store = store
        super().__init__(
            store,
            self._node,
            partition=partition,
            batch_size=batch_size,
            owns_store=owns_store,
        )

    @classmethod
    def from_url(
        cls,
        url: str | None = None,
        *,
        settings: ModelRegistrationSettings | None = None,
        partition: ModelPartition | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        contract_path: str | os.PathLike[str] | None = None,
    ) -> ServiceRegistrationRuntime:
        """Open the store at ``url`` (default ``$ONEX_REGISTRATION_STORE`` else
        ``sqlite:///registration.db``) and build a runtime that closes it with itself.

        Raises ``ModelOnexError`` from :func:`open_store` and from the constructor.
        """
        store = open_store(url)
        try:
            return cls(
                store,
                settings=settings,
                partition=partition,
                batch_size=batch_size,
                contract_path=contract_path,
                owns_store=True,
            )
        except BaseException:
            store.close()
            raise

    @property
    def store(self) -> ProtocolRegistrationStore:
        """The registration store this runtime writes."""
        return self._registration_store

    @property
    def settings(self) -> ModelRegistrationSettings:
        """The lifecycle settings in force."""
        return self._settings

    @property
    def node(self) -> NodeRegistrationOrchestrator:
        """The orchestrator node that routes every envelope."""
        return self._node
