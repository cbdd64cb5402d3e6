"""Handler classes that ``test_live_shape_node.py``'s contracts name by class reference.

Imported by the node itself, by module name ``live_shape_handlers`` (the test puts this folder
on ``sys.path``); nothing registers them by hand.
"""

from __future__ import annotations

from typing import Any, ClassVar

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope


class _Recording:
    """Records each construction and each envelope handled, process-wide."""

    constructed: ClassVar[list[tuple[str, ModelONEXContainer]]] = []
    handled: ClassVar[list[tuple[str, Any]]] = []
    category = EnumMessageCategory.EVENT
    node_kind = EnumNodeKind.ORCHESTRATOR
    message_types: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, container: ModelONEXContainer) -> None:
        self.container = container
        _Recording.constructed.append((type(self).__name__, container))

    @property
    def handler_id(self) -> str:
        return "handler-" + type(self).__name__.removeprefix("Handler").lower()

    async def handle(self, envelope: ModelEventEnvelope[Any]) -> ModelHandlerOutput:
        _Recording.handled.append((self.handler_id, envelope.envelope_id))
        return ModelHandlerOutput(
            handler_id=self.handler_id,
            input_envelope_id=envelope.envelope_id,
            correlation_id=envelope.correlation_id,
            events=({"handled": envelope.payload_type or envelope.operation},),
        )


class HandlerOrderPlaced(_Recording):
    message_types = frozenset({"ModelOrderPlaced"})


class HandlerOrderAudit(_Recording):
    pass


class HandlerCancelOrder(_Recording):
    category = EnumMessageCategory.COMMAND
    message_types = frozenset({"ModelCancelOrder"})


class HandlerCharge(_Recording):
    category = EnumMessageCategory.COMMAND
    node_kind = EnumNodeKind.EFFECT


class HandlerRefund(_Recording):
    category = EnumMessageCategory.COMMAND
    node_kind = EnumNodeKind.EFFECT
