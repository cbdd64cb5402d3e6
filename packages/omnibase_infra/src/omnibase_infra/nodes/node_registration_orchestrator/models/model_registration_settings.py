"""Lifecycle settings of the registration orchestrator."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field


class ModelRegistrationSettings(BaseModel):
    """Timing and batching rules of the lifecycle (the table in docs/registration.md), as
    durations; built from the contract's ``lifecycle`` section by
    :meth:`ModelRegistrationLifecycle.to_settings`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    liveness_interval: timedelta = Field(default=timedelta(seconds=60), gt=timedelta(0))
    liveness_window: timedelta = Field(default=timedelta(seconds=90), gt=timedelta(0))
    max_clock_skew: timedelta = Field(default=timedelta(seconds=30), ge=timedelta(0))
    expiry_batch_size: int = Field(default=1000, gt=0, le=100_000)
