"""A handler registry for the example contracts.

Use it to check that every handler key in ``examples/contracts`` resolves::

    onex contract validate examples/contracts --registry examples.example_registry:create_registry
"""

from __future__ import annotations

import time
from typing import Any

from examples.example_handlers import HandlerInventoryRelease, HandlerInventoryReserve

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.services import ServiceHandlerRegistry

EVENT, COMMAND = EnumMessageCategory.EVENT, EnumMessageCategory.COMMAND
ORCHESTRATOR, EFFECT = EnumNodeKind.ORCHESTRATOR, EnumNodeKind.EFFECT


class HandlerExample:
    """A handler that records what it saw as one emitted event.

    Real handlers decide and emit domain events; this one emits ``{"handled": payload_type}``
    so the examples can be routed end to end.
    """

    def __init__(
        self,
        handler_id: str,
        category: EnumMessageCategory,
        node_kind: EnumNodeKind,
        message_types: set[str] | None = None,
    ) -> None:
        self.handler_id = handler_id
        self.category = category
        self.node_kind = node_kind
        self.message_types = message_types or set()

    async def handle(self, envelope: ModelEventEnvelope[Any]) -> ModelHandlerOutput:
        """Emit one event naming the handled payload type (or operation)."""
        started = time.perf_counter()
        handled = envelope.operation or envelope.payload_type or envelope.topic
        return ModelHandlerOutput(
            handler_id=self.handler_id,
            input_envelope_id=envelope.envelope_id,
            correlation_id=envelope.correlation_id,
            events=({"handled": handled, "by": self.handler_id},),
            processing_time_ms=(time.perf_counter() - started) * 1000.0,
        )


def create_registry() -> ServiceHandlerRegistry:
    """A frozen registry holding every handler the example contracts refer to (the live-shape
    contract's classes included, one instance each)."""
    registry = ServiceHandlerRegistry()
    container = ModelONEXContainer()
    for handler in (
        HandlerExample("handler-order-placed", EVENT, ORCHESTRATOR, {"ModelOrderPlaced"}),
        HandlerExample("handler-payment-captured", EVENT, ORCHESTRATOR, {"ModelPaymentCaptured"}),
        HandlerExample("handler-order-audit", EVENT, ORCHESTRATOR),
        HandlerExample("handler-heartbeat-watch", EVENT, ORCHESTRATOR),
        HandlerExample("handler-platform-event", EVENT, ORCHESTRATOR),
        HandlerExample("handler-kv-put", COMMAND, EFFECT, {"ModelPutRequest"}),
        HandlerExample("handler-kv-delete", COMMAND, EFFECT, {"ModelDeleteRequest"}),
        HandlerInventoryReserve(container),
        HandlerInventoryRelease(container),
    ):
        registry.register_handler(handler)
    registry.freeze()
    return registry
