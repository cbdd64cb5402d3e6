"""Subcontracts: sections of a node contract."""

from omnibase_core.models.contracts.subcontracts.model_class_reference import (
    ModelClassReference,
)
from omnibase_core.models.contracts.subcontracts.model_handler_dependency import (
    ModelHandlerDependency,
)
from omnibase_core.models.contracts.subcontracts.model_handler_routing_entry import (
    ModelHandlerRoutingEntry,
)
from omnibase_core.models.contracts.subcontracts.model_handler_routing_subcontract import (
    ModelHandlerRoutingSubcontract,
)

__all__ = [
    "ModelClassReference",
    "ModelHandlerDependency",
    "ModelHandlerRoutingEntry",
    "ModelHandlerRoutingSubcontract",
]
