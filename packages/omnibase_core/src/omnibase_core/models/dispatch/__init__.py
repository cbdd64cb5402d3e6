"""Dispatch results."""

from omnibase_core.models.dispatch.model_handler_output import ModelHandlerOutput

__all__ = ["ModelHandlerOutput"]
