"""Protocols of the core."""

from omnibase_core.protocols.protocol_bus_partition_listener import ProtocolBusPartitionListener
from omnibase_core.protocols.protocol_event_bus import ProtocolEventBus
from omnibase_core.protocols.protocol_handler_registry import ProtocolHandlerRegistry
from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler

__all__ = [
    "ProtocolBusPartitionListener",
    "ProtocolEventBus",
    "ProtocolHandlerRegistry",
    "ProtocolMessageHandler",
]
