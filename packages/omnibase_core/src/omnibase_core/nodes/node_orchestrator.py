"""The orchestrator node: routes each message to its workflow handlers by payload type."""

from __future__ import annotations

from typing import ClassVar

from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.mixins.mixin_workflow_execution import MixinWorkflowExecution
from omnibase_core.nodes.node_routing_base import NodeRoutingBase


class NodeOrchestrator(NodeRoutingBase, MixinWorkflowExecution):
    """A node that turns each message into the work of the handlers its contract names.

    Routes by ``envelope.payload_type`` (``payload_type_match``, the default; a contract
    declaring ``operation_match`` or ``topic_pattern`` routes by ``operation`` or ``topic``).
    Routing is initialised in ``__init__`` from ``contract.handler_routing`` and the
    container's handler registry (see :class:`NodeRoutingBase`); a node whose contract has no
    ``handler_routing`` routes nothing and returns no outputs. :meth:`process` runs the
    workflow handlers one after another and stops at the first failure.
    """

    default_routing_strategy: ClassVar[EnumHandlerRoutingStrategy] = (
        EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH
    )
