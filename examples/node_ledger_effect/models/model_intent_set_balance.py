"""Intent: write an account's balance record."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from omnibase_infra.stores.protocol_record_transaction import ProtocolRecordTransaction

#: The record kind the ledger keeps its balances under.
BALANCE_KIND = "ledger.balance"


class ModelIntentSetBalance(BaseModel):
    """Store ``balance`` (after ``entries`` applied commands) as the account's record."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: UUID
    balance: int
    entries: int
    last_reference: str

    def apply_to(self, txn: ProtocolRecordTransaction) -> None:
        """Write the balance record in the engine's transaction."""
        txn.put_record(
            BALANCE_KIND,
            str(self.account_id),
            {
                "balance": self.balance,
                "entries": self.entries,
                "last_reference": self.last_reference,
            },
        )
