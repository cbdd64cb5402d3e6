"""Enumerations of the core vocabulary."""

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.enums.enum_handler_execution_mode import EnumHandlerExecutionMode
from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.enums.enum_message_category import EnumMessageCategory
from omnibase_core.enums.enum_node_kind import EnumNodeKind

__all__ = [
    "EnumCoreErrorCode",
    "EnumHandlerExecutionMode",
    "EnumHandlerRoutingStrategy",
    "EnumMessageCategory",
    "EnumNodeKind",
]
