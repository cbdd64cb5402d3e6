"""Nodes: the base, the orchestrator and the effect node."""

from omnibase_core.nodes.node_core_base import NodeCoreBase
from omnibase_core.nodes.node_effect import NodeEffect
from omnibase_core.nodes.node_orchestrator import NodeOrchestrator

__all__ = ["NodeCoreBase", "NodeEffect", "NodeOrchestrator"]
