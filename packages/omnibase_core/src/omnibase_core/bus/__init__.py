"""Event buses: the shared base, the in-memory bus and its broker.

The protocol is :class:`omnibase_core.protocols.ProtocolEventBus`; its models live in
:mod:`omnibase_core.models.bus`; :mod:`omnibase_core.testing.event_bus_conformance` holds the
suite every implementation passes.
"""

from omnibase_core.bus.bus_publish_target import BusPublishTarget
from omnibase_core.bus.event_bus_base import EventBusBase
from omnibase_core.bus.event_bus_in_memory import EventBusInMemory, crc32_of_key
from omnibase_core.bus.event_bus_in_memory_broker import EventBusInMemoryBroker

__all__ = [
    "BusPublishTarget",
    "EventBusBase",
    "EventBusInMemory",
    "EventBusInMemoryBroker",
    "crc32_of_key",
]
