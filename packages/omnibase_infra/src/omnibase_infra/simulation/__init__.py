"""A deterministic simulated cluster, for the demo, the tests and the benchmark."""

from omnibase_infra.simulation.enum_simulated_fate import EnumSimulatedFate
from omnibase_infra.simulation.model_bus_demo_setup import ModelBusDemoSetup
from omnibase_infra.simulation.model_cluster_history import ModelClusterHistory
from omnibase_infra.simulation.model_demo_report import ModelDemoReport
from omnibase_infra.simulation.model_invariant_result import ModelInvariantResult
from omnibase_infra.simulation.model_simulated_node import ModelSimulatedNode
from omnibase_infra.simulation.service_bus_demo import ServiceBusDemo
from omnibase_infra.simulation.service_cluster_simulator import ServiceClusterSimulator
from omnibase_infra.simulation.service_demo_invariants import ServiceDemoInvariants
from omnibase_infra.simulation.service_registration_demo import ServiceRegistrationDemo
from omnibase_infra.simulation.service_serve_fleet import ServiceServeFleet
from omnibase_infra.simulation.service_wire_stream_writer import ServiceWireStreamWriter

__all__ = [
    "EnumSimulatedFate",
    "ModelBusDemoSetup",
    "ModelClusterHistory",
    "ModelDemoReport",
    "ModelInvariantResult",
    "ModelSimulatedNode",
    "ServiceBusDemo",
    "ServiceClusterSimulator",
    "ServiceDemoInvariants",
    "ServiceRegistrationDemo",
    "ServiceServeFleet",
    "ServiceWireStreamWriter",
]
