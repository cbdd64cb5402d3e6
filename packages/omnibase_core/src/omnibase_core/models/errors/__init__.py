"""Framework errors."""

from omnibase_core.models.errors.model_onex_error import ModelOnexError

__all__ = ["ModelOnexError"]
