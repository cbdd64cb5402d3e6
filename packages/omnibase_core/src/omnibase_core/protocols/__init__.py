"""Protocols of the core."""

from omnibase_core.protocols.protocol_handler_registry import ProtocolHandlerRegistry
from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler

__all__ = ["ProtocolHandlerRegistry", "ProtocolMessageHandler"]
