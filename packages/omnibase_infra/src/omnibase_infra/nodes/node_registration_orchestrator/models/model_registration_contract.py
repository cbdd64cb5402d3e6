"""The typed contract of the registration orchestrator."""

from __future__ import annotations

from pydantic import Field

from omnibase_core.models.contracts import ModelContract
from omnibase_infra.nodes.node_registration_orchestrator.models.model_registration_lifecycle import (  # noqa: E501
    ModelRegistrationLifecycle,
)


class ModelRegistrationContract(ModelContract):
    """``contract.yaml`` of the registration orchestrator, with its ``lifecycle`` section typed.

    Declared for the contract name ``node_registration_orchestrator`` in the entry-point group
    ``onex.contract_models`` (omnibase-infra's pyproject), so ``load_contract`` and
    ``onex contract validate`` check the section like ``handler_routing``: a typo or a bad value
    is one ``path:line:column`` line.
    """

    lifecycle: ModelRegistrationLifecycle = Field(default_factory=ModelRegistrationLifecycle)
