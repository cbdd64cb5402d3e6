"""Every core enum: values as written on the wire and in contracts, equal to their strings."""

from __future__ import annotations

import enum

import pytest

from omnibase_core import enums
from omnibase_core.enums import EnumCoreErrorCode, EnumHandlerRoutingStrategy, EnumMessageCategory

#: Every enum the package exports.
ALL_ENUMS: list[type[enum.StrEnum]] = [getattr(enums, name) for name in enums.__all__]
#: The vocabulary read from contracts and envelopes: lower-case names.
WIRE_ENUMS = [cls for cls in ALL_ENUMS if cls is not EnumCoreErrorCode]


def test_every_export_is_a_str_enum_without_aliases() -> None:
    assert ALL_ENUMS
    for cls in ALL_ENUMS:
        assert issubclass(cls, enum.StrEnum), cls
        assert len(cls) == len(cls.__members__), cls  # __members__ also lists aliases


@pytest.mark.parametrize(
    "member", [member for cls in WIRE_ENUMS for member in cls], ids=lambda member: repr(member)
)
def test_wire_value_is_the_lower_case_name_and_behaves_as_it(member: enum.StrEnum) -> None:
    value = member.name.lower()
    assert member.value == value
    assert member == value
    assert str(member) == value
    assert type(member)(value) is member
    assert hash(member) == hash(value)
    assert {value: 1}[member] == 1


@pytest.mark.parametrize("code", list(EnumCoreErrorCode))
def test_error_code_value_is_the_prefixed_name(code: EnumCoreErrorCode) -> None:
    assert code.value == f"ONEX_CORE_{code.name}"


@pytest.mark.parametrize("bad", ["EVENT", "events", ""])
def test_unknown_category_value_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a valid EnumMessageCategory"):
        EnumMessageCategory(bad)


def test_topic_match_is_read_as_topic_pattern() -> None:
    assert EnumHandlerRoutingStrategy("topic_match") is EnumHandlerRoutingStrategy.TOPIC_PATTERN
    assert "topic_match" not in {member.value for member in EnumHandlerRoutingStrategy}
    with pytest.raises(ValueError, match="is not a valid EnumHandlerRoutingStrategy"):
        EnumHandlerRoutingStrategy("topic")
