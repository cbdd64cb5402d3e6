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
from omnibase_infra.runtime.transaction_handlers import freeze_transaction_handlers


class RegistryInfraNodeRegistrationOrchestrator:
    """Factory of the orchestrator's registry: the three handlers, registered and frozen.

    The contract's ``handler_routing`` refers to these handlers by id; the node resolves every
    key against the registry this factory returns.
    """

    @staticmethod
    def create_registry(
        settings: ModelRegistrationSettings | None = None,
        partition: ModelPartition | None = None,
    ) -> ServiceHandlerRegistry:
        """Register ``handler-node-introspected``, ``handler-node-heartbeat`` and
        ``handler-runtime-tick`` (ruled by ``settings``, ticks expiring only ``partition``'s
        nodes; defaults: the lifecycle table of docs/registration.md, one partition) and
        freeze. Each handler reads through the transaction the engine hands it.

        Raises ``ModelOnexError`` from the registry if a handler is rejected (a bug).
        """
        settings = settings or ModelRegistrationSettings()
        partition = partition or ModelPartition()
        return freeze_transaction_handlers(
            (
                HandlerNodeIntrospected(settings),
                HandlerNodeHeartbeat(settings),
                HandlerRuntimeTick(settings, partition),
            )
        )
