"""Primitive value models."""

from omnibase_core.models.primitives.model_sem_ver import ModelSemVer

__all__ = ["ModelSemVer"]
