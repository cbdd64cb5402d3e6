"""A node contract: identity, kind, and the sections that configure the node."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from omnibase_core.enums.enum_node_kind import EnumNodeKind
from omnibase_core.models.contracts.subcontracts.model_handler_routing_subcontract import (
    ModelHandlerRoutingSubcontract,
)
from omnibase_core.models.primitives.model_sem_ver import ModelSemVer


class ModelContract(BaseModel):
    """The typed form of a node's ``contract.yaml``.

    ``name``, ``contract_version`` and ``node_type`` are required; ``node_type`` accepts the
    lower-case kind in any letter case (``orchestrator``, ``Effect``...). ``handler_routing`` is
    checked strictly. Any other top-level key is one of the node's own sections: it is kept
    as written and read through :attr:`node_sections` (or ``model_extra``).
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    contract_version: ModelSemVer
    node_type: EnumNodeKind
    description: str = ""
    handler_routing: ModelHandlerRoutingSubcontract | None = None

    @field_validator("node_type", mode="before")
    @classmethod
    def _node_type_any_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def node_sections(self) -> Mapping[str, Any]:
        """The node's own top-level sections (every key that is not a known field), read-only."""
        return MappingProxyType(dict(self.model_extra or {}))
