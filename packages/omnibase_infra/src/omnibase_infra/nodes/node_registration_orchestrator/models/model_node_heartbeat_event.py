"""A node saying it is alive."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ModelNodeHeartbeatEvent(BaseModel):
    """Payload of ``onex.evt.platform.node-heartbeat.v1``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    node_id: UUID
    epoch: int = Field(ge=0)
    uptime_seconds: float = Field(ge=0.0)
    active_operations: int = Field(default=0, ge=0)
    timestamp: AwareDatetime
