"""Intent: move a partition's tick clock forward."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import AwareDatetime, BaseModel, ConfigDict

if TYPE_CHECKING:
    from omnibase_infra.stores.protocol_registration_transaction import (
        ProtocolRegistrationTransaction,
    )


class ModelIntentAdvanceTickClock(BaseModel):
    """Record ``now`` as the newest tick applied by partition ``partition_key`` (``"I/N"``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    partition_key: str
    now: AwareDatetime

    def apply_to(self, txn: ProtocolRegistrationTransaction) -> None:
        """Write the partition's tick clock in the engine's transaction."""
        txn.set_tick_clock(self.partition_key, self.now)
