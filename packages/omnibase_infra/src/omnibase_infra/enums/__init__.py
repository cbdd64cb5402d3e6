"""Enumerations of the infrastructure nodes."""

from omnibase_infra.enums.enum_dead_letter_reason import EnumDeadLetterReason
from omnibase_infra.enums.enum_introspection_reason import EnumIntrospectionReason
from omnibase_infra.enums.enum_lifecycle_event_type import EnumLifecycleEventType
from omnibase_infra.enums.enum_message_outcome import EnumMessageOutcome
from omnibase_infra.enums.enum_registration_state import EnumRegistrationState

__all__ = [
    "EnumDeadLetterReason",
    "EnumIntrospectionReason",
    "EnumLifecycleEventType",
    "EnumMessageOutcome",
    "EnumRegistrationState",
]
