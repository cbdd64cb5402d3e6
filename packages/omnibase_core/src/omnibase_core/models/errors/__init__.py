"""Framework errors."""

from omnibase_core.models.errors.model_onex_error import ModelOnexError
from omnibase_core.models.errors.model_unavailable_error import ModelUnavailableError

__all__ = ["ModelOnexError", "ModelUnavailableError"]
