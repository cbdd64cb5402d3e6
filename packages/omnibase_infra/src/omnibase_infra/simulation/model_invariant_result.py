"""The verdict on one lifecycle invariant."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ModelInvariantResult(BaseModel):
    """One checked invariant: its statement, whether it held, and the evidence or offenders."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    statement: str
    passed: bool
    detail: str
