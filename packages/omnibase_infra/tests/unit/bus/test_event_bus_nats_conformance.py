"""EventBusNats passes the event bus conformance suite against a private nats-server."""

from __future__ import annotations

import pytest
from nats_fixtures import nats_server
from nats_server import NatsTestServer

from omnibase_core.models.bus import ModelEventBusSettings
from omnibase_core.protocols import ProtocolEventBus
from omnibase_core.testing.event_bus_conformance import EventBusConformance, EventBusOpener
from omnibase_infra.bus.event_bus_nats import EventBusNats

pytestmark = pytest.mark.nats

__all__ = ["nats_server"]


class TestEventBusNatsConformance(EventBusConformance):
    """Every bus a test opens is its own connection to the session's server."""

    ack_wait_seconds = 0.3

    @pytest.fixture
    def open_event_bus(self, nats_server: NatsTestServer) -> EventBusOpener:
        async def open_bus(settings: ModelEventBusSettings) -> ProtocolEventBus:
            return await EventBusNats.connect(nats_server.url, settings)

        return open_bus
