"""Services of the core: the handler registry."""

from omnibase_core.services.service_handler_registry import ServiceHandlerRegistry

__all__ = ["ServiceHandlerRegistry"]
