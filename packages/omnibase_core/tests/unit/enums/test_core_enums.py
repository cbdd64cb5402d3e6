"""The core enums: wire values and str-equality."""

from __future__ import annotations

import pytest

from omnibase_core.enums import (
    EnumCoreErrorCode,
    EnumHandlerRoutingStrategy,
    EnumMessageCategory,
    EnumNodeKind,
)


@pytest.mark.parametrize(
    ("member", "value"),
    [
        (EnumMessageCategory.EVENT, "event"),
        (EnumMessageCategory.COMMAND, "command"),
        (EnumMessageCategory.INTENT, "intent"),
        (EnumNodeKind.ORCHESTRATOR, "orchestrator"),
        (EnumNodeKind.EFFECT, "effect"),
        (EnumNodeKind.COMPUTE, "compute"),
        (EnumNodeKind.REDUCER, "reducer"),
        (EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH, "payload_type_match"),
        (EnumHandlerRoutingStrategy.OPERATION_MATCH, "operation_match"),
        (EnumHandlerRoutingStrategy.TOPIC_PATTERN, "topic_pattern"),
    ],
)
def test_wire_values_and_str_equality(member: object, value: str) -> None:
    assert member == value
    assert str(member) == value
    assert type(member)(value) is member
    assert hash(member) == hash(value)


@pytest.mark.parametrize(
    "name",
    [
        "INVALID_PARAMETER",
        "INVALID_STATE",
        "VALIDATION_ERROR",
        "DUPLICATE_REGISTRATION",
        "ITEM_NOT_REGISTERED",
        "CONTRACT_VALIDATION_ERROR",
        "SERVICE_NOT_FOUND",
        "HANDLER_EXECUTION_ERROR",
    ],
)
def test_required_error_codes_exist(name: str) -> None:
    code = EnumCoreErrorCode[name]
    assert code.value.endswith(name)


def test_error_code_values_are_unique() -> None:
    values = [code.value for code in EnumCoreErrorCode]
    assert len(values) == len(set(values))


@pytest.mark.parametrize("bad", ["EVENT", "events", ""])
def test_unknown_category_value_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a valid EnumMessageCategory"):
        EnumMessageCategory(bad)
