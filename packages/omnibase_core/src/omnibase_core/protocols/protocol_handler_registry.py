"""The read side of a handler registry."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from omnibase_core.enums.enum_message_category import EnumMessageCategory
from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler


@runtime_checkable
class ProtocolHandlerRegistry(Protocol):
    """A registry of handlers that is filled, then frozen, then only read."""

    @property
    def is_frozen(self) -> bool: ...

    @property
    def handler_count(self) -> int: ...

    def get_handler_by_id(self, handler_id: str) -> ProtocolMessageHandler | None: ...

    def get_handlers(
        self,
        category: EnumMessageCategory | None = None,
        message_type: str | None = None,
    ) -> list[ProtocolMessageHandler]: ...
