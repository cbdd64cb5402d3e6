"""Which nodes a process owns."""

from __future__ import annotations

import re
import zlib
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_MAX_COUNT = 1_000_000


def partition_hash(node_id: UUID) -> int:
    """CRC-32 of the canonical lower-case hyphenated id: the producer's partitioning function."""
    return zlib.crc32(str(node_id).encode("ascii"))


class ModelPartition(BaseModel):
    """Partition ``index`` of ``count``: owns nodes whose ``partition_hash(id) % count == index``.

    ``ModelPartition()`` (1 partition) owns every node.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int = Field(default=0, ge=0)
    count: int = Field(default=1, ge=1, le=_MAX_COUNT)

    @model_validator(mode="after")
    def _index_below_count(self) -> ModelPartition:
        if self.index >= self.count:
            raise ValueError(f"partition index {self.index} must be below the count {self.count}")
        return self

    @classmethod
    def parse(cls, spec: str) -> ModelPartition:
        """Parse ``"I/N"``; raises ``ModelOnexError(INVALID_PARAMETER)`` on a malformed spec."""
        match = _SPEC.match(spec)
        if match is None or not int(match.group(1)) < int(match.group(2)) <= _MAX_COUNT:
            raise ModelOnexError(
                f"partition {spec!r} is not of the form I/N with 0 <= I < N <= {_MAX_COUNT} "
                "(e.g. 0/2)",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"partition": spec},
            )
        return cls(index=int(match.group(1)), count=int(match.group(2)))

    @property
    def key(self) -> str:
        """Stable name of the partition, ``"I/N"``: the key of its tick clock in the store."""
        return f"{self.index}/{self.count}"

    def owns(self, node_id: UUID) -> bool:
        """Whether this partition owns ``node_id``."""
        return self.count == 1 or partition_hash(node_id) % self.count == self.index
