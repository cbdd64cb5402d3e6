"""Types of the events the registration orchestrator emits."""

from enum import StrEnum
from functools import cache


class EnumLifecycleEventType(StrEnum):
    """Emitted event types; each is published to ``onex.evt.platform.<kebab-name>.v1``."""

    NODE_REGISTRATION_INITIATED = "NodeRegistrationInitiated"
    NODE_BECAME_ACTIVE = "NodeBecameActive"
    NODE_REGISTRATION_UPDATED = "NodeRegistrationUpdated"
    NODE_DEREGISTERED = "NodeDeregistered"
    NODE_INTROSPECTION_REQUESTED = "NodeIntrospectionRequested"
    NODE_LIVENESS_EXPIRED = "NodeLivenessExpired"

    @property
    def topic(self) -> str:
        """Its topic, e.g. ``onex.evt.platform.node-became-active.v1``."""
        return _topic_of(self.value)


@cache
def _topic_of(event_type: str) -> str:
    """The topic of an event type name (computed once per name: it is on the hot path)."""
    kebab = "".join(f"-{c.lower()}" if c.isupper() else c for c in event_type).lstrip("-")
    return f"onex.evt.platform.{kebab}.v1"
