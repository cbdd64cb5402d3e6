"""The payload of a ledger command."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class ModelLedgerEntry(BaseModel):
    """Move ``amount`` (minor units, > 0) into or out of ``account_id``; ``reference`` is the
    sender's own label, kept with the account's last entry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: UUID
    amount: int = Field(gt=0)
    reference: str = Field(default="", max_length=200)
