"""Intent: remember that introspection was requested from a node."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict


class ModelIntentRecordIntrospectionRequest(BaseModel):
    """Record ``requested_at`` so a node is asked at most once per liveness interval."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    node_id: UUID
    requested_at: AwareDatetime
