"""Intent: write a node's registry row."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from omnibase_infra.models.model_registration_projection import ModelRegistrationProjection


class ModelIntentUpsertNode(BaseModel):
    """Ask the runtime to store ``projection`` as the node's new row (insert or replace)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    projection: ModelRegistrationProjection
