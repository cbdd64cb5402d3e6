"""ModelOnexError: rendered text, read-only context, code coercion and pickling."""

from __future__ import annotations

import pickle

import pytest

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError


def test_error_text_starts_with_code() -> None:
    error = ModelOnexError("it broke", EnumCoreErrorCode.INVALID_STATE, {"k": 1})
    assert str(error) == "ONEX_CORE_INVALID_STATE: it broke"
    assert error.message == "it broke"
    assert error.context == {"k": 1}
    assert "INVALID_STATE" in repr(error)


def test_error_context_is_read_only_and_copied() -> None:
    source = {"k": 1}
    error = ModelOnexError("m", EnumCoreErrorCode.VALIDATION_ERROR, source)
    source["k"] = 2
    assert error.context["k"] == 1
    with pytest.raises(TypeError):
        error.context["k"] = 3  # type: ignore[index]


def test_error_code_from_value_and_default() -> None:
    from_value = ModelOnexError("m", "ONEX_CORE_INVALID_PARAMETER")  # type: ignore[arg-type]
    assert from_value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert ModelOnexError("m").error_code is EnumCoreErrorCode.VALIDATION_ERROR


def test_error_pickles() -> None:
    error = ModelOnexError("m", EnumCoreErrorCode.SERVICE_NOT_FOUND, {"key": "x"})
    clone = pickle.loads(pickle.dumps(error))
    assert str(clone) == str(error)
    assert clone.context == {"key": "x"}
