"""Intent: remember that introspection was requested from a node."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

if TYPE_CHECKING:
    from omnibase_infra.stores.protocol_registration_transaction import (
        ProtocolRegistrationTransaction,
    )


class ModelIntentRecordIntrospectionRequest(BaseModel):
    """Record ``requested_at`` so a node is asked at most once per liveness interval."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    node_id: UUID
    requested_at: AwareDatetime

    def apply_to(self, txn: ProtocolRegistrationTransaction) -> None:
        """Write the request time in the engine's transaction."""
        txn.set_introspection_requested_at(self.node_id, self.requested_at)
