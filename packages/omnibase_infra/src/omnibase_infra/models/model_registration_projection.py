"""One row of the node registry."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from omnibase_core.enums import EnumNodeKind
from omnibase_infra.enums import EnumRegistrationState


class ModelRegistrationProjection(BaseModel):
    """The registry's view of one node (``nodes --json`` prints one per line).

    ``last_introspection_at`` is the node's own timestamp of its newest applied introspection
    (ordering only); every deadline is computed from the runtime's clock.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    node_id: UUID
    node_name: str
    state: EnumRegistrationState
    node_type: EnumNodeKind
    node_version: str
    epoch: int = Field(ge=0)
    capabilities: dict[str, object] = Field(default_factory=dict)
    endpoints: dict[str, str] = Field(default_factory=dict)
    registered_at: AwareDatetime
    last_heartbeat_at: AwareDatetime | None = None
    liveness_deadline: AwareDatetime | None = None
    last_introspection_at: AwareDatetime | None = None
    updated_at: AwareDatetime
