"""The runtime clock."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ModelRuntimeTick(BaseModel):
    """Payload of ``onex.intent.platform.runtime-tick.v1``; ``now`` drives liveness expiry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tick_id: UUID
    now: AwareDatetime
    sequence_number: int = Field(ge=0)
    scheduler_id: str = Field(min_length=1)
    tick_interval_ms: int = Field(gt=0)
