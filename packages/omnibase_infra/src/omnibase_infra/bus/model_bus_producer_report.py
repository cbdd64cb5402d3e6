"""What a producer run published."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelBusProducerReport(BaseModel):
    """Counts of one :class:`ServiceBusProducer` run.

    ``keyed`` envelopes went to their node's partition; ``broadcast`` envelopes (no node id:
    ticks) went to every partition, ``copies`` messages in all; ``duplicates`` of those were
    already stored (same idempotency id within the window), so publishing again is harmless.
    ``refused`` lines were not envelopes the bus can route and were skipped (only when the
    producer was asked to go on past them).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    envelopes: int = Field(default=0, ge=0)
    keyed: int = Field(default=0, ge=0)
    broadcast: int = Field(default=0, ge=0)
    copies: int = Field(default=0, ge=0)
    duplicates: int = Field(default=0, ge=0)
    refused: int = Field(default=0, ge=0)

    @property
    def stored(self) -> int:
        """Messages the bus stored now (copies that were not duplicates)."""
        return self.copies - self.duplicates
