"""A node contract: identity, kind, and the sections that configure the node."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from omnibase_core.enums.enum_node_kind import EnumNodeKind
from omnibase_core.models.contracts.subcontracts.model_handler_routing_subcontract import (
    ModelHandlerRoutingSubcontract,
)
from omnibase_core.models.primitives.contract_key import ContractKey
from omnibase_core.models.primitives.model_sem_ver import ModelSemVer

#: Suffix of upstream ONEX node kinds (``EFFECT_GENERIC`` is the effect kind).
_UPSTREAM_KIND_SUFFIX: Final = "_generic"
#: Stands in for ``handler_routing.version`` only when ``contract_version`` is itself missing
#: or invalid: that contract is rejected anyway, and the one mistake is reported once.
_UNREPORTED_VERSION: Final = {"major": 0, "minor": 0, "patch": 0}


class ModelContract(BaseModel):
    """The typed form of a node's ``contract.yaml``.

    ``name``, ``contract_version`` and ``node_type`` are required. ``node_type`` is read in any
    letter case, and upstream ONEX kinds map to the four kinds here: ``EFFECT_GENERIC`` ->
    effect, ``COMPUTE_GENERIC`` -> compute, ``ORCHESTRATOR_GENERIC`` -> orchestrator,
    ``REDUCER_GENERIC`` -> reducer. ``handler_routing`` is checked strictly; when it has no
    ``version``, it takes ``contract_version``. Any other top-level key is one of the node's
    own sections: it is kept as written and read through :attr:`node_sections` (or
    ``model_extra``).

    A node types its own sections in a subclass, one pydantic field per section (unknown keys
    inside a section should be forbidden), and declares the subclass for its contract's
    ``name`` in the ``onex.contract_models`` entry-point group; ``load_contract`` and
    ``onex contract validate`` then report errors in those sections at ``path:line:column``
    (see :mod:`omnibase_core.contracts.contract_models`).
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    name: ContractKey
    contract_version: ModelSemVer
    node_type: EnumNodeKind
    description: str = ""
    handler_routing: ModelHandlerRoutingSubcontract | None = None

    @model_validator(mode="before")
    @classmethod
    def _routing_version_from_contract(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        routing = data.get("handler_routing")
        if not isinstance(routing, dict) or "version" in routing:
            return data
        version: Any = data.get("contract_version")
        try:
            ModelSemVer.model_validate(version)
        except ValidationError:
            version = _UNREPORTED_VERSION
        return {**data, "handler_routing": {**routing, "version": version}}

    @field_validator("node_type", mode="before")
    @classmethod
    def _node_type_any_case(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return value.strip().lower().removesuffix(_UPSTREAM_KIND_SUFFIX)

    @property
    def node_sections(self) -> Mapping[str, Any]:
        """The node's own top-level sections (every key that is not a known field), read-only."""
        return MappingProxyType(dict(self.model_extra or {}))
