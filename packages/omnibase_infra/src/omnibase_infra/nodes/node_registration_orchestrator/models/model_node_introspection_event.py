"""A node announcing itself."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from omnibase_core.enums import EnumNodeKind
from omnibase_infra.enums import EnumIntrospectionReason


class ModelNodeIntrospectionEvent(BaseModel):
    """Payload of ``onex.evt.platform.node-introspection.v1``.

    ``epoch`` grows on every restart of the node; ``timestamp`` is the node's own clock and is
    used only for ordering and the clock-skew check.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    node_id: UUID
    node_name: str = Field(min_length=1, max_length=256)
    node_type: EnumNodeKind
    node_version: str = Field(min_length=1, max_length=64)
    capabilities: dict[str, object] = Field(default_factory=dict)
    endpoints: dict[str, str] = Field(default_factory=dict)
    reason: EnumIntrospectionReason = EnumIntrospectionReason.STARTUP
    epoch: int = Field(ge=0)
    timestamp: AwareDatetime
