"""EnumHandlerRoutingStrategy: lower-case wire values and str-equality."""

from __future__ import annotations

import pytest

from omnibase_core.enums import EnumHandlerRoutingStrategy


@pytest.mark.parametrize(
    ("member", "value"),
    [
        (EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH, "payload_type_match"),
        (EnumHandlerRoutingStrategy.OPERATION_MATCH, "operation_match"),
        (EnumHandlerRoutingStrategy.TOPIC_PATTERN, "topic_pattern"),
    ],
)
def test_wire_values_and_str_equality(member: EnumHandlerRoutingStrategy, value: str) -> None:
    assert member == value
    assert str(member) == value
    assert type(member)(value) is member
    assert hash(member) == hash(value)
