"""The orchestrator node: routes each message to its workflow handlers by payload type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.mixins.mixin_handler_routing import MixinHandlerRouting
from omnibase_core.mixins.mixin_workflow_execution import MixinWorkflowExecution
from omnibase_core.nodes.node_core_base import NodeCoreBase

if TYPE_CHECKING:
    from omnibase_core.models.dispatch.model_handler_output import ModelHandlerOutput
    from omnibase_core.models.events.model_event_envelope import ModelEventEnvelope


class NodeOrchestrator(NodeCoreBase, MixinWorkflowExecution, MixinHandlerRouting):
    """A node that turns each message into the work of the handlers its contract names.

    Routes by ``envelope.payload_type`` (``payload_type_match``, the default; a contract
    declaring ``operation_match`` or ``topic_pattern`` routes by ``operation`` or ``topic``).
    Routing is initialised in ``__init__`` from ``contract.handler_routing`` and the
    container's handler registry (see :meth:`NodeCoreBase._init_routing_from_contract`); a
    node whose contract has no ``handler_routing`` routes nothing and returns no outputs.
    """

    default_routing_strategy = EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH

    async def process(self, envelope: ModelEventEnvelope[Any]) -> list[ModelHandlerOutput]:
        """Route ``envelope`` by (payload type, category), await each handler in order.

        Returns the handlers' outputs in routing order (empty when no handler matches).
        Raises what :meth:`_route_envelope` raises, and ``ModelOnexError(HANDLER_EXECUTION_ERROR)``
        naming the handler and envelope when a handler fails.
        """
        handlers = self._route_envelope(envelope, self.default_routing_strategy)
        return await self.execute_workflow_step(envelope, handlers)
