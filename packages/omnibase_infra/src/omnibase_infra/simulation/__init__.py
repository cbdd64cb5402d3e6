"""A deterministic simulated cluster, for the demo, the tests and the benchmark."""

from omnibase_infra.simulation.enum_simulated_fate import EnumSimulatedFate
from omnibase_infra.simulation.model_cluster_history import ModelClusterHistory
from omnibase_infra.simulation.model_simulated_node import ModelSimulatedNode
from omnibase_infra.simulation.service_cluster_simulator import ServiceClusterSimulator

__all__ = [
    "EnumSimulatedFate",
    "ModelClusterHistory",
    "ModelSimulatedNode",
    "ServiceClusterSimulator",
]
