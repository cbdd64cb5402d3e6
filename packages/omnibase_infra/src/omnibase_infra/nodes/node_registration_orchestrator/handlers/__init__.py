"""The three handlers of the registration orchestrator."""

from omnibase_infra.nodes.node_registration_orchestrator.handlers.handler_node_heartbeat import (
    HandlerNodeHeartbeat,
)
from omnibase_infra.nodes.node_registration_orchestrator.handlers.handler_node_introspected import (
    HandlerNodeIntrospected,
)
from omnibase_infra.nodes.node_registration_orchestrator.handlers.handler_runtime_tick import (
    HandlerRuntimeTick,
)

__all__ = ["HandlerNodeHeartbeat", "HandlerNodeIntrospected", "HandlerRuntimeTick"]
