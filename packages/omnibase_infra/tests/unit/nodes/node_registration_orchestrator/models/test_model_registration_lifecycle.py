"""ModelRegistrationLifecycle: the contract's seconds, their bounds, and the durations they give."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelRegistrationLifecycle,
    ModelRegistrationSettings,
)
from omnibase_infra.nodes.node_registration_orchestrator.models.model_registration_lifecycle import (  # noqa: E501
    MAX_LIFECYCLE_SECONDS,
    MIN_LIVENESS_SECONDS,
)

LIVENESS = ("liveness_interval_seconds", "liveness_window_seconds")
SECONDS = (*LIVENESS, "max_clock_skew_seconds")


def test_the_defaults_give_the_default_settings() -> None:
    assert ModelRegistrationLifecycle().to_settings() == ModelRegistrationSettings()


@given(
    field=st.sampled_from(SECONDS),
    seconds=st.floats(min_value=MIN_LIVENESS_SECONDS, max_value=MAX_LIFECYCLE_SECONDS)
    | st.integers(min_value=1, max_value=int(MAX_LIFECYCLE_SECONDS)),
)
def test_any_seconds_within_the_bounds_become_that_duration(field: str, seconds: float) -> None:
    settings = ModelRegistrationLifecycle.model_validate({field: seconds}).to_settings()
    duration = getattr(settings, field.removesuffix("_seconds"))
    assert duration == timedelta(seconds=seconds)
    assert duration > timedelta(0)


@given(
    field=st.sampled_from(SECONDS),
    seconds=st.floats(allow_nan=True, allow_infinity=True).filter(
        lambda x: not (0 <= x <= MAX_LIFECYCLE_SECONDS)
    ),
)
def test_seconds_outside_the_bounds_or_not_finite_are_refused(field: str, seconds: float) -> None:
    with pytest.raises(ValidationError) as caught:
        ModelRegistrationLifecycle.model_validate({field: seconds})
    (error,) = caught.value.errors()
    assert error["loc"] == (field,)
    assert error["type"] in {"finite_number", "greater_than_equal", "less_than_equal"}
    assert math.isfinite(seconds) or error["type"] == "finite_number"


@pytest.mark.parametrize("field", LIVENESS)
def test_a_liveness_duration_is_at_least_a_millisecond(field: str) -> None:
    with pytest.raises(ValidationError):
        ModelRegistrationLifecycle.model_validate({field: 0})
    assert ModelRegistrationLifecycle.model_validate({"max_clock_skew_seconds": 0})


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ({"liveness_interval_seconds": "60"}, "float_type"),
        ({"liveness_window_seconds": True}, "float_type"),
        ({"max_clock_skew_seconds": None}, "float_type"),
        ({"expiry_batch_size": 10.0}, "int_type"),
        ({"expiry_batch_size": "10"}, "int_type"),
        ({"expiry_batch_size": False}, "int_type"),
        ({"expiry_batch_size": 0}, "greater_than"),
        ({"expiry_batch_size": 100_001}, "less_than_equal"),
        ({"expiry_batch_sise": 10}, "extra_forbidden"),
    ],
)
def test_strings_booleans_other_types_and_unknown_keys_are_refused(
    values: dict[str, Any], kind: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        ModelRegistrationLifecycle.model_validate(values)
    assert [error["type"] for error in caught.value.errors()] == [kind]


def test_overrides_win_and_an_invalid_override_is_named() -> None:
    lifecycle = ModelRegistrationLifecycle(liveness_interval_seconds=5)
    settings = lifecycle.to_settings(expiry_batch_size=7)
    assert (settings.liveness_interval, settings.expiry_batch_size) == (timedelta(seconds=5), 7)

    for overrides, field in (
        ({"expiry_batch_size": 0}, "expiry_batch_size"),
        ({"nope": 1}, "nope"),
    ):
        with pytest.raises(ModelOnexError) as caught:
            lifecycle.to_settings(**overrides)
        assert caught.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
        assert f"override {field}=" in caught.value.message


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (0, "greater_than_equal"),
        (0.009, "greater_than_equal"),
        (86_401, "less_than_equal"),
        (math.inf, "finite_number"),
        ("5", "float_type"),
        (True, "float_type"),
    ],
)
def test_the_tick_interval_is_a_number_of_seconds_within_its_bounds(value: Any, kind: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ModelRegistrationLifecycle.model_validate({"tick_interval_seconds": value})
    assert [error["type"] for error in caught.value.errors()] == [kind]
    assert ModelRegistrationLifecycle().tick_interval_seconds == 5.0
    assert ModelRegistrationLifecycle(tick_interval_seconds=0.01).tick_interval_seconds == 0.01
    # the service's clock, not a lifecycle rule: it does not reach the handlers' settings
    assert ModelRegistrationLifecycle(tick_interval_seconds=1).to_settings() == (
        ModelRegistrationSettings()
    )
