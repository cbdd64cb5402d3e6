"""The orchestrator node: routes each message to its workflow handlers by payload type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.mixins.mixin_handler_routing import MixinHandlerRouting
from omnibase_core.mixins.mixin_workflow_execution import MixinWorkflowExecution
from omnibase_core.nodes._node_routing_setup import init_routing_from_contract
from omnibase_core.nodes.node_core_base import NodeCoreBase

if TYPE_CHECKING:
    from omnibase_core.models.container.model_onex_container import ModelONEXContainer
    from omnibase_core.models.dispatch.model_handler_output import ModelHandlerOutput
    from omnibase_core.models.events.model_event_envelope import ModelEventEnvelope


class NodeOrchestrator(NodeCoreBase, MixinWorkflowExecution, MixinHandlerRouting):
    """A node that turns each message into the work of the handlers its contract names.

    Routes by ``envelope.payload_type`` (``payload_type_match``, the default; a contract
    declaring ``operation_match`` or ``topic_pattern`` routes by ``operation`` or ``topic``).
    Routing is initialised in ``__init__`` from ``contract.handler_routing`` and the
    container's handler registry (see :func:`init_routing_from_contract`); a node whose
    contract has no ``handler_routing`` routes nothing and returns no outputs.
    """

    default_routing_strategy = EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH

    def __init__(
        self,
        container: ModelONEXContainer,
        contract: Any | None = None,
        *,
        node_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Raises what ``_init_handler_routing`` raises when the contract's routing is broken."""
        super().__init__(container=container, contract=contract, node_id=node_id, **kwargs)
        init_routing_from_contract(self)

    async def process(self, envelope: ModelEventEnvelope[Any]) -> list[ModelHandlerOutput]:
        """Route ``envelope`` by (payload type, category), await each handler in order.

        Returns the handlers' outputs in routing order (empty when no handler matches).
        Raises ``ModelOnexError``: ``INVALID_PARAMETER`` when the envelope lacks its routing
        key; ``INVALID_STATE`` when routing is not initialised or the registry not frozen;
        ``HANDLER_EXECUTION_ERROR`` naming the handler and envelope when a handler fails.
        """
        routing_key = self._routing_key_of(envelope, self.default_routing_strategy)
        handlers = self.route_to_handlers(routing_key, envelope.category)
        return await self.execute_workflow_step(envelope, handlers)
