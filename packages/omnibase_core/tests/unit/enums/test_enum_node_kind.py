"""EnumNodeKind: lower-case wire values and str-equality."""

from __future__ import annotations

import pytest

from omnibase_core.enums import EnumNodeKind


@pytest.mark.parametrize(
    ("member", "value"),
    [
        (EnumNodeKind.ORCHESTRATOR, "orchestrator"),
        (EnumNodeKind.EFFECT, "effect"),
        (EnumNodeKind.COMPUTE, "compute"),
        (EnumNodeKind.REDUCER, "reducer"),
    ],
)
def test_wire_values_and_str_equality(member: EnumNodeKind, value: str) -> None:
    assert member == value
    assert str(member) == value
    assert type(member)(value) is member
    assert hash(member) == hash(value)
