"""EnumMessageCategory: lower-case wire values, str-equality and rejection of unknown values."""

from __future__ import annotations

import pytest

from omnibase_core.enums import EnumMessageCategory


@pytest.mark.parametrize(
    ("member", "value"),
    [
        (EnumMessageCategory.EVENT, "event"),
        (EnumMessageCategory.COMMAND, "command"),
        (EnumMessageCategory.INTENT, "intent"),
    ],
)
def test_wire_values_and_str_equality(member: EnumMessageCategory, value: str) -> None:
    assert member == value
    assert str(member) == value
    assert type(member)(value) is member
    assert hash(member) == hash(value)


@pytest.mark.parametrize("bad", ["EVENT", "events", ""])
def test_unknown_category_value_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a valid EnumMessageCategory"):
        EnumMessageCategory(bad)
