"""The infrastructure enums: lower-case wire values and one topic per lifecycle event type."""

from __future__ import annotations

from enum import StrEnum

import pytest

from omnibase_infra.enums import (
    EnumDeadLetterReason,
    EnumIntrospectionReason,
    EnumLifecycleEventType,
    EnumMessageOutcome,
    EnumRegistrationState,
)

LOWER_CASE_ENUMS: list[type[StrEnum]] = [
    EnumDeadLetterReason,
    EnumIntrospectionReason,
    EnumMessageOutcome,
    EnumRegistrationState,
]


@pytest.mark.parametrize(
    ("member", "value"),
    [
        (EnumRegistrationState.ACTIVE, "active"),
        (EnumRegistrationState.LIVENESS_EXPIRED, "liveness_expired"),
        (EnumRegistrationState.DEREGISTERED, "deregistered"),
        (EnumIntrospectionReason.STARTUP, "startup"),
        (EnumIntrospectionReason.SHUTDOWN, "shutdown"),
        (EnumIntrospectionReason.CAPABILITY_CHANGE, "capability_change"),
        (EnumIntrospectionReason.REQUEST, "request"),
        (EnumIntrospectionReason.HEALTH_CHANGE, "health_change"),
        (EnumMessageOutcome.APPLIED, "applied"),
        (EnumMessageOutcome.IGNORED, "ignored"),
        (EnumMessageOutcome.DEAD_LETTERED, "dead_lettered"),
        (EnumDeadLetterReason.UNPARSEABLE, "unparseable"),
        (EnumDeadLetterReason.INVALID_ENVELOPE, "invalid_envelope"),
        (EnumDeadLetterReason.INVALID_PAYLOAD, "invalid_payload"),
        (EnumDeadLetterReason.UNROUTABLE, "unroutable"),
        (EnumDeadLetterReason.HANDLER_ERROR, "handler_error"),
        (EnumDeadLetterReason.CLOCK_SKEW, "clock_skew"),
        (EnumDeadLetterReason.MISROUTED_PARTITION, "misrouted_partition"),
        (EnumDeadLetterReason.STORE_REJECTED, "store_rejected"),
    ],
)
def test_wire_values(member: StrEnum, value: str) -> None:
    assert member == value
    assert str(member) == value
    assert type(member)(value) is member


@pytest.mark.parametrize("enum", LOWER_CASE_ENUMS, ids=lambda enum: enum.__name__)
def test_every_value_is_the_lower_case_member_name(enum: type[StrEnum]) -> None:
    assert [member.value for member in enum] == [member.name.lower() for member in enum]


@pytest.mark.parametrize("enum", LOWER_CASE_ENUMS, ids=lambda enum: enum.__name__)
def test_upper_case_value_rejected(enum: type[StrEnum]) -> None:
    first = next(iter(enum))
    with pytest.raises(ValueError, match=f"is not a valid {enum.__name__}"):
        enum(first.value.upper())


@pytest.mark.parametrize(
    ("event_type", "value", "topic"),
    [
        (
            EnumLifecycleEventType.NODE_REGISTRATION_INITIATED,
            "NodeRegistrationInitiated",
            "onex.evt.platform.node-registration-initiated.v1",
        ),
        (
            EnumLifecycleEventType.NODE_BECAME_ACTIVE,
            "NodeBecameActive",
            "onex.evt.platform.node-became-active.v1",
        ),
        (
            EnumLifecycleEventType.NODE_REGISTRATION_UPDATED,
            "NodeRegistrationUpdated",
            "onex.evt.platform.node-registration-updated.v1",
        ),
        (
            EnumLifecycleEventType.NODE_DEREGISTERED,
            "NodeDeregistered",
            "onex.evt.platform.node-deregistered.v1",
        ),
        (
            EnumLifecycleEventType.NODE_INTROSPECTION_REQUESTED,
            "NodeIntrospectionRequested",
            "onex.evt.platform.node-introspection-requested.v1",
        ),
        (
            EnumLifecycleEventType.NODE_LIVENESS_EXPIRED,
            "NodeLivenessExpired",
            "onex.evt.platform.node-liveness-expired.v1",
        ),
    ],
)
def test_lifecycle_event_type_value_and_topic(
    event_type: EnumLifecycleEventType, value: str, topic: str
) -> None:
    # Event types are named in PascalCase on the wire (docs/registration.md, *Wire format*);
    # their topics are kebab-case.
    assert event_type.value == value
    assert event_type.topic == topic


def test_lifecycle_topics_are_distinct_and_cover_every_type() -> None:
    topics = {event_type.topic for event_type in EnumLifecycleEventType}
    assert len(topics) == len(EnumLifecycleEventType) == 6
