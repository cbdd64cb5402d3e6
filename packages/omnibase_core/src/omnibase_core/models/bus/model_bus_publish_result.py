"""What the bus answered to a publish."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelBusPublishResult(BaseModel):
    """Where a published message is stored.

    ``duplicate`` is true when the idempotency id was already stored within the duplicate
    window: nothing new was appended and ``sequence`` is the earlier copy's position.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    stream: str
    partition: int = Field(ge=0)
    sequence: int = Field(ge=1)
    duplicate: bool = False
