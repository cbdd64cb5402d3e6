"""The ``ledger`` section of the ledger node's contract."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelLedgerSettings(BaseModel):
    """How far a balance may go below zero, and the largest amount one command may move."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    overdraft_limit: int = Field(default=0, ge=0)
    max_amount: int = Field(default=1_000_000, gt=0)
