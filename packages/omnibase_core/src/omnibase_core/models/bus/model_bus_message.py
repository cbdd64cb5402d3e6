"""A message delivered by a bus to a consumer."""

from __future__ import annotations

from dataclasses import dataclass, field

from omnibase_core.models.bus.model_bus_partition import ModelBusPartition


@dataclass(frozen=True, slots=True)
class ModelBusMessage:
    """One delivery of a stored message.

    - ``sequence``: its position in the partition's log (strictly increasing in publish
      order); a redelivery has the same sequence and a higher ``delivery_count``.
    - ``key``: the partition key it was published with; ``None`` for a message addressed to a
      partition directly (a tick sent to every partition).
    - ``idempotency_id``: the id it was published with (de-duplicated within the stream's
      window); the consumer's inbox de-duplicates beyond that.
    - ``receipt``: an opaque handle the bus that delivered it uses to acknowledge it.
    - ``stored_at_ns``: when the broker stored it (nanoseconds since the Unix epoch, UTC), the
      same on every delivery; ``None`` when the bus cannot tell. A consumer that must stamp a
      message deterministically (an envelope without its own timestamp) uses it.

    A frozen dataclass rather than a pydantic model: one is built for every delivered message
    on the consumer's hot path, from broker data the bus already checked, and validating it
    again would cost more than the rest of the delivery.
    """

    stream: str
    partition: int
    topic: str
    key: str | None
    value: bytes
    sequence: int
    delivery_count: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    idempotency_id: str | None = None
    receipt: str = ""
    stored_at_ns: int | None = None

    @property
    def partition_ref(self) -> ModelBusPartition:
        """The partition this message belongs to."""
        return ModelBusPartition(stream=self.stream, index=self.partition)

    @property
    def redelivered(self) -> bool:
        """Whether this message was delivered before (and not acknowledged in time)."""
        return self.delivery_count > 1
