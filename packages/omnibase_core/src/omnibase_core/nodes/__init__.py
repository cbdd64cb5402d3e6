"""Nodes: the base, the routing base, the orchestrator and the effect node."""

from omnibase_core.nodes.node_core_base import NodeCoreBase
from omnibase_core.nodes.node_effect import NodeEffect
from omnibase_core.nodes.node_orchestrator import NodeOrchestrator
from omnibase_core.nodes.node_routing_base import NodeRoutingBase

__all__ = ["NodeCoreBase", "NodeEffect", "NodeOrchestrator", "NodeRoutingBase"]
