"""Intent: write a node's registry row."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from omnibase_infra.models.model_registration_projection import ModelRegistrationProjection

if TYPE_CHECKING:
    from omnibase_infra.stores.protocol_registration_transaction import (
        ProtocolRegistrationTransaction,
    )


class ModelIntentUpsertNode(BaseModel):
    """Ask the engine to store ``projection`` as the node's new row (insert or replace)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    projection: ModelRegistrationProjection

    def apply_to(self, txn: ProtocolRegistrationTransaction) -> None:
        """Write the row in the engine's transaction."""
        txn.upsert_node(self.projection)
