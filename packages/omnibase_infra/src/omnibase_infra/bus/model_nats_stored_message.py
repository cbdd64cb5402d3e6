"""One message as a JetStream partition stream stores it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelNatsStoredMessage(BaseModel):
    """A stored message read back from a partition stream: its stream sequence, subject,
    idempotency id (the ``Nats-Msg-Id`` header, ``None`` when it had none) and bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sequence: int = Field(ge=1)
    subject: str
    idempotency_id: str | None
    value: bytes
