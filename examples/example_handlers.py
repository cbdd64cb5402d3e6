"""Handler classes named by class reference in ``contracts/inventory_effect_live.yaml``.

A node whose contract lists its handlers as ``handler: {name, module}`` builds its registry from
these classes itself: each is imported once and constructed with the node's container.
"""

from __future__ import annotations

import time
from typing import Any

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope


class _InventoryHandler:
    """Shared behaviour: emit one event naming the operation handled."""

    handler_id = ""
    category = EnumMessageCategory.COMMAND
    node_kind = EnumNodeKind.EFFECT
    message_types: frozenset[str] = frozenset()

    def __init__(self, container: ModelONEXContainer) -> None:
        self.container = container

    async def handle(self, envelope: ModelEventEnvelope[Any]) -> ModelHandlerOutput:
        """Emit ``{"handled": operation, "by": handler_id}``."""
        started = time.perf_counter()
        return ModelHandlerOutput(
            handler_id=self.handler_id,
            input_envelope_id=envelope.envelope_id,
            correlation_id=envelope.correlation_id,
            events=({"handled": envelope.operation, "by": self.handler_id},),
            processing_time_ms=(time.perf_counter() - started) * 1000.0,
        )


class HandlerInventoryReserve(_InventoryHandler):
    """Holds stock for an order (``inventory.reserve``)."""

    handler_id = "handler-inventory-reserve"
    message_types = frozenset({"ModelReserveStock"})


class HandlerInventoryRelease(_InventoryHandler):
    """Returns held stock (``inventory.release``)."""

    handler_id = "handler-inventory-release"
    message_types = frozenset({"ModelReleaseStock"})
