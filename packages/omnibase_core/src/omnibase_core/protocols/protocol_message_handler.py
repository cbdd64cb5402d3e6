"""The shape of a message handler."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from omnibase_core.enums.enum_message_category import EnumMessageCategory
from omnibase_core.enums.enum_node_kind import EnumNodeKind
from omnibase_core.models.dispatch.model_handler_output import ModelHandlerOutput
from omnibase_core.models.events.model_event_envelope import ModelEventEnvelope


@runtime_checkable
class ProtocolMessageHandler(Protocol):
    """A handler: serves messages of one category in one kind of node.

    ``handler_id`` is the key contracts refer to; ``message_types`` names the payload types it
    understands; ``handle`` turns one envelope into a :class:`ModelHandlerOutput`.
    """

    @property
    def handler_id(self) -> str: ...

    @property
    def category(self) -> EnumMessageCategory: ...

    @property
    def message_types(self) -> set[str]: ...

    @property
    def node_kind(self) -> EnumNodeKind: ...

    async def handle(self, envelope: ModelEventEnvelope[Any]) -> ModelHandlerOutput: ...
