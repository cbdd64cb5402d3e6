"""ModelSemVer: parsing, rejection of malformed versions, numeric ordering and hashing."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from omnibase_core.models.primitives import ModelSemVer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.2.3", (1, 2, 3)),
        (" 0.0.0 ", (0, 0, 0)),
        ("v10.20.30", (10, 20, 30)),
        ({"major": 1, "minor": 0, "patch": 0}, (1, 0, 0)),
    ],
)
def test_semver_parses(raw: Any, expected: tuple[int, int, int]) -> None:
    version = ModelSemVer.model_validate(raw)
    assert version.as_tuple() == expected
    assert str(version) == ".".join(map(str, expected))


@pytest.mark.parametrize(
    "raw",
    ["1.2", "1.2.3.4", "01.2.3", "a.b.c", "", "-1.0.0", {"major": -1, "minor": 0, "patch": 0}],
)
def test_semver_rejects(raw: Any) -> None:
    with pytest.raises(ValidationError):
        ModelSemVer.model_validate(raw)


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("1.0.0", "1.0.1"),
        ("1.0.9", "1.1.0"),
        ("1.9.9", "2.0.0"),
        ("0.0.0", "0.0.1"),
        ("2.0.0", "10.0.0"),
    ],
)
def test_semver_orders_numerically(low: str, high: str) -> None:
    a, b = ModelSemVer.parse(low), ModelSemVer.parse(high)
    assert a < b
    assert a <= b
    assert b > a
    assert b >= a
    assert a != b
    assert sorted([b, a]) == [a, b]


def test_semver_equality_and_hash() -> None:
    assert ModelSemVer.parse("1.2.3") == ModelSemVer(major=1, minor=2, patch=3)
    assert len({ModelSemVer.parse("1.2.3"), ModelSemVer(major=1, minor=2, patch=3)}) == 1
