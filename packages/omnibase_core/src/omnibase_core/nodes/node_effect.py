"""The effect node: routes each message to its effect handlers by operation."""

from __future__ import annotations

from typing import ClassVar

from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.mixins.mixin_effect_execution import MixinEffectExecution
from omnibase_core.nodes.node_routing_base import NodeRoutingBase


class NodeEffect(NodeRoutingBase, MixinEffectExecution):
    """A node that performs the side effects its contract maps to each operation.

    Routes by ``envelope.operation`` (``operation_match``, the default; a contract
    declaring ``payload_type_match`` or ``topic_pattern`` routes by ``payload_type`` or
    ``topic``). Routing is initialised in ``__init__`` from ``contract.handler_routing`` and
    the container's handler registry (see :class:`NodeRoutingBase`); a node whose contract
    has no ``handler_routing`` routes nothing and returns no outputs. :meth:`process` runs
    the effects one after another and stops at the first failure.
    """

    default_routing_strategy: ClassVar[EnumHandlerRoutingStrategy] = (
        EnumHandlerRoutingStrategy.OPERATION_MATCH
    )
