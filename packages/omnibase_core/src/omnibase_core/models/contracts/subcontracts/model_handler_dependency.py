"""One entry of a routing section's ``handler_dependencies``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from omnibase_core.models.primitives.contract_key import ContractKey


class ModelHandlerDependency(BaseModel):
    """A service the section's handlers share, as upstream ONEX contracts declare it.

    ``protocol`` names the interface, ``implementation`` and ``module`` the class providing
    it, ``shared`` whether one instance serves every handler. Documentation only: this
    framework does not construct or inject these services; handlers built from class
    references receive the node's container and look their services up there.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol: ContractKey | None = None
    implementation: ContractKey | None = None
    module: ContractKey | None = None
    shared: bool = False
    description: str = ""
