"""Dependency container."""

from omnibase_core.models.container.model_onex_container import ModelONEXContainer

__all__ = ["ModelONEXContainer"]
