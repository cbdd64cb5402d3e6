"""One partition of a bus stream: the unit of ordering, ownership and acknowledgement."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from omnibase_core.models.bus.model_bus_stream_settings import STREAM_NAME_PATTERN


class ModelBusPartition(BaseModel):
    """Partition ``index`` of the stream ``stream``.

    Messages of one partition form one ordered log; a consumer owns a partition as a whole
    (assignment), reads it in order and acknowledges it through a position. Hashable and
    ordered by ``(stream, index)`` so sets of partitions print and compare predictably.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    stream: str = Field(pattern=STREAM_NAME_PATTERN)
    index: int = Field(ge=0)

    def __str__(self) -> str:
        return f"{self.stream}/{self.index}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ModelBusPartition):
            return NotImplemented
        return (self.stream, self.index) < (other.stream, other.index)
