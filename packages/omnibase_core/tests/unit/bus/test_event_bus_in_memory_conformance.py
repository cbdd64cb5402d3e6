"""The in-memory bus passes the event bus conformance suite."""

from __future__ import annotations

import pytest

from omnibase_core.bus import EventBusInMemory, EventBusInMemoryBroker
from omnibase_core.models.bus import ModelEventBusSettings
from omnibase_core.protocols import ProtocolEventBus
from omnibase_core.testing.event_bus_conformance import EventBusConformance, EventBusOpener


class TestEventBusInMemoryConformance(EventBusConformance):
    """Every bus opened by one test shares one broker, as clients of one server do."""

    ack_wait_seconds = 0.2

    @pytest.fixture
    def open_event_bus(self) -> EventBusOpener:
        broker = EventBusInMemoryBroker()

        async def open_bus(settings: ModelEventBusSettings) -> ProtocolEventBus:
            return EventBusInMemory(settings, broker)

        return open_bus
