"""Handler registry factory of the registration orchestrator."""

from omnibase_infra.nodes.node_registration_orchestrator.registry.registry_infra_node_registration_orchestrator import (  # noqa: E501
    RegistryInfraNodeRegistrationOrchestrator,
)

__all__ = ["RegistryInfraNodeRegistrationOrchestrator"]
