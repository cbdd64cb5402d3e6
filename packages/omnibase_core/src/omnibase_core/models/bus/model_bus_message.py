"""A message delivered by a bus to a consumer."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from omnibase_core.models.bus.model_bus_partition import ModelBusPartition


class ModelBusMessage(BaseModel):
    """One delivery of a stored message.

    - ``sequence``: its position in the partition's log (strictly increasing in publish
      order); a redelivery has the same sequence and a higher ``delivery_count``.
    - ``key``: the partition key it was published with; ``None`` for a message addressed to a
      partition directly (a tick sent to every partition).
    - ``idempotency_id``: the id it was published with (de-duplicated within the stream's
      window); the consumer's inbox de-duplicates beyond that.
    - ``receipt``: an opaque handle the bus that delivered it uses to acknowledge it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    stream: str
    partition: int = Field(ge=0)
    topic: str
    key: str | None
    value: bytes
    headers: dict[str, str] = Field(default_factory=dict)
    idempotency_id: str | None = None
    sequence: int = Field(ge=1)
    delivery_count: int = Field(default=1, ge=1)
    receipt: str = ""

    @property
    def partition_ref(self) -> ModelBusPartition:
        """The partition this message belongs to."""
        return ModelBusPartition(stream=self.stream, index=self.partition)

    @property
    def redelivered(self) -> bool:
        """Whether this message was delivered before (and not acknowledged in time)."""
        return self.delivery_count > 1
