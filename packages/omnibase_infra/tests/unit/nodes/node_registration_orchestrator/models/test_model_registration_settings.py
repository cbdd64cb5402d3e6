"""ModelRegistrationSettings: the documented defaults and the bounds of every setting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from omnibase_infra.nodes.node_registration_orchestrator.models import ModelRegistrationSettings


def test_defaults_match_the_design() -> None:
    settings = ModelRegistrationSettings()
    assert settings.liveness_interval == timedelta(seconds=60)
    assert settings.liveness_window == timedelta(seconds=90)
    assert settings.max_clock_skew == timedelta(seconds=30)
    assert settings.expiry_batch_size == 1000


def test_accepts_seconds_and_iso_durations() -> None:
    settings = ModelRegistrationSettings.model_validate(
        {"liveness_interval": 5, "liveness_window": "PT7.5S", "max_clock_skew": 0}
    )
    assert settings.liveness_interval == timedelta(seconds=5)
    assert settings.liveness_window == timedelta(seconds=7.5)
    assert settings.max_clock_skew == timedelta(0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("liveness_interval", timedelta(microseconds=1)),
        ("liveness_window", timedelta(microseconds=1)),
        ("max_clock_skew", timedelta(0)),
        ("expiry_batch_size", 1),
        ("expiry_batch_size", 100_000),
    ],
)
def test_bounds_inclusive(field: str, value: Any) -> None:
    settings = ModelRegistrationSettings.model_validate({field: value})
    assert getattr(settings, field) == value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("liveness_interval", timedelta(0)),
        ("liveness_interval", timedelta(seconds=-1)),
        ("liveness_window", timedelta(0)),
        ("max_clock_skew", timedelta(seconds=-1)),
        ("expiry_batch_size", 0),
        ("expiry_batch_size", 100_001),
    ],
)
def test_bounds_exceeded_rejected(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        ModelRegistrationSettings.model_validate({field: value})


def test_unknown_field_rejected_and_frozen() -> None:
    with pytest.raises(ValidationError, match="liveness_timeout"):
        ModelRegistrationSettings.model_validate({"liveness_timeout": 60})
    with pytest.raises(ValidationError):
        ModelRegistrationSettings().expiry_batch_size = 5  # type: ignore[misc]
