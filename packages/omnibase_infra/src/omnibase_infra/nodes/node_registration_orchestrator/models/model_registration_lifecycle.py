"""The ``lifecycle`` section of the registration orchestrator's contract."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.nodes.node_registration_orchestrator.models.model_registration_settings import (
    ModelRegistrationSettings,
)

#: The longest duration a lifecycle setting may name: one day.
MAX_LIFECYCLE_SECONDS: Final = 86_400.0
#: The shortest liveness interval or window: one millisecond (durations keep microseconds).
MIN_LIVENESS_SECONDS: Final = 0.001
#: The shortest tick interval: ten milliseconds (each tick is a store transaction).
MIN_TICK_SECONDS: Final = 0.01


class ModelRegistrationLifecycle(BaseModel):
    """Timing and batching of the lifecycle, as the contract writes them (seconds).

    Every key is optional (the defaults are those of the lifecycle table in
    docs/registration.md) and unknown keys are refused, so a typo is reported at its line with
    the key it resembles. Seconds are finite numbers (YAML integers or floats, never strings or
    booleans) within the bounds below; :meth:`to_settings` turns them into durations.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    liveness_interval_seconds: float = Field(
        default=60.0,
        ge=MIN_LIVENESS_SECONDS,
        le=MAX_LIFECYCLE_SECONDS,
        strict=True,
        allow_inf_nan=False,
        description="deadline after an introspection; least gap between two introspection "
        "requests to one node",
    )
    liveness_window_seconds: float = Field(
        default=90.0,
        ge=MIN_LIVENESS_SECONDS,
        le=MAX_LIFECYCLE_SECONDS,
        strict=True,
        allow_inf_nan=False,
        description="deadline after a heartbeat",
    )
    max_clock_skew_seconds: float = Field(
        default=30.0,
        ge=0.0,
        le=MAX_LIFECYCLE_SECONDS,
        strict=True,
        allow_inf_nan=False,
        description="how far in the future of the envelope a node's own timestamp may be",
    )
    expiry_batch_size: int = Field(
        default=1000, gt=0, le=100_000, strict=True, description="most nodes one tick expires"
    )
    tick_interval_seconds: float = Field(
        default=5.0,
        ge=MIN_TICK_SECONDS,
        le=MAX_LIFECYCLE_SECONDS,
        strict=True,
        allow_inf_nan=False,
        description="how often a live service ticks each partition it owns (onex-registration "
        "serve); a fraction of the liveness window keeps expiry prompt",
    )

    def to_settings(self, **overrides: Any) -> ModelRegistrationSettings:
        """The settings these values give (seconds become durations), then ``overrides``
        (settings field names, e.g. ``expiry_batch_size=50`` or
        ``liveness_interval=timedelta(seconds=5)``).

        Raises ``ModelOnexError(INVALID_PARAMETER)`` naming the override when an override is
        unknown or invalid; the section's own values always make valid settings.
        """
        # tick_interval_seconds is the service's clock, not a lifecycle rule: not a setting.
        values: dict[str, Any] = {
            "liveness_interval": timedelta(seconds=self.liveness_interval_seconds),
            "liveness_window": timedelta(seconds=self.liveness_window_seconds),
            "max_clock_skew": timedelta(seconds=self.max_clock_skew_seconds),
            "expiry_batch_size": self.expiry_batch_size,
            **overrides,
        }
        try:
            return ModelRegistrationSettings.model_validate(values)
        except ValidationError as exc:
            problem = exc.errors(include_url=False)[0]
            field = ".".join(str(part) for part in problem["loc"])
            raise ModelOnexError(
                f"ModelRegistrationLifecycle.to_settings: override {field}="
                f"{overrides.get(field, '?')!r}: {problem['msg']}; pass a valid "
                "ModelRegistrationSettings field",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"field": field},
            ) from None
