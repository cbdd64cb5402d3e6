"""Builds the frozen handler registry of the registration orchestrator."""

from __future__ import annotations

from omnibase_core.services import ServiceHandlerRegistry
from omnibase_infra.models import ModelPartition
from omnibase_infra.nodes.node_registration_orchestrator.handlers import (
    HandlerNodeHeartbeat,
    HandlerNodeIntrospected,
    HandlerRuntimeTick,
)
from omnibase_infra.nodes.node_registration_orchestrator.models import ModelRegistrationSettings
from omnibase_infra.stores import ProtocolRegistrationStore


class RegistryInfraNodeRegistrationOrchestrator:
    """Factory of the orchestrator's registry: the three handlers, registered and frozen.

    The contract's ``handler_routing`` refers to these handlers by id; the node resolves every
    key against the registry this factory returns.
    """

    @staticmethod
    def create_registry(
        store: ProtocolRegistrationStore,
        settings: ModelRegistrationSettings | None = None,
        partition: ModelPartition | None = None,
    ) -> ServiceHandlerRegistry:
        """Register ``handler-node-introspected``, ``handler-node-heartbeat`` and
        ``handler-runtime-tick`` (reading ``store``, ruled by ``settings``, ticks expiring only
        ``partition``'s nodes; defaults: the lifecycle defaults, one partition) and freeze.

        Raises ``ModelOnexError`` from the registry if a handler is rejected (a bug).
        """
        settings = settings or ModelRegistrationSettings()
        partition = partition or ModelPartition()
        registry = ServiceHandlerRegistry()
        registry.register_handler(HandlerNodeIntrospected(store, settings))
        registry.register_handler(HandlerNodeHeartbeat(store, settings))
        registry.register_handler(HandlerRuntimeTick(store, settings, partition))
        registry.freeze()
        return registry
