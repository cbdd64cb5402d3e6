"""Why a node sent an introspection event."""

from enum import StrEnum


class EnumIntrospectionReason(StrEnum):
    """Reason carried by ``ModelNodeIntrospectionEvent``; ``SHUTDOWN`` deregisters the node."""

    STARTUP = "startup"
    SHUTDOWN = "shutdown"
    CAPABILITY_CHANGE = "capability_change"
    REQUEST = "request"
    HEALTH_CHANGE = "health_change"
