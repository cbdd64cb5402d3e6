"""Contract models."""

from omnibase_core.models.contracts.model_contract import ModelContract
from omnibase_core.models.contracts.model_contract_problem import ModelContractProblem

__all__ = ["ModelContract", "ModelContractProblem"]
