"""A message to publish, as one item of a batch publish."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelBusOutboundMessage(BaseModel):
    """What to append to a topic.

    Exactly one way of choosing the partition: ``key`` (partition ``hash(key) % P``; a
    key's messages stay in order) or ``partition`` (an explicit index, for messages about no
    key, such as a tick). Giving both is allowed when they agree. ``idempotency_id`` is
    required: publishing the same id again within the stream's duplicate window stores
    nothing, so a publish can always be retried safely.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str
    value: bytes
    key: str | None = None
    partition: int | None = None
    idempotency_id: str
    headers: dict[str, str] = Field(default_factory=dict)
