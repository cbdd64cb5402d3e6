"""Primitive value models and the shared contract key type."""

from omnibase_core.models.primitives.contract_key import ContractKey
from omnibase_core.models.primitives.model_sem_ver import ModelSemVer

__all__ = ["ContractKey", "ModelSemVer"]
