"""EnumCoreErrorCode: the codes the framework relies on exist and every value is unique."""

from __future__ import annotations

import pytest

from omnibase_core.enums import EnumCoreErrorCode


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
