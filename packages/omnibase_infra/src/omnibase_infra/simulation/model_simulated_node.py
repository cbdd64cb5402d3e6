"""Ground truth about one simulated node."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from omnibase_infra.simulation.enum_simulated_fate import EnumSimulatedFate


class ModelSimulatedNode(BaseModel):
    """What the simulator did to one node: how often it crashed, shut down, restarted and
    stalled (heartbeats lost until it expired, then answered an introspection request), and
    how it ended. The demo compares the registry with this."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    node_id: UUID
    node_name: str
    fate: EnumSimulatedFate
    final_epoch: int = Field(ge=0)
    final_version: str
    crashes: int = Field(default=0, ge=0)
    shutdowns: int = Field(default=0, ge=0)
    restarts: int = Field(default=0, ge=0)
    stalls: int = Field(default=0, ge=0)
