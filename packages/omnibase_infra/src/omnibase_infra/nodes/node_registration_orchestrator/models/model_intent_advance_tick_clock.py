"""Intent: move a partition's tick clock forward."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict


class ModelIntentAdvanceTickClock(BaseModel):
    """Record ``now`` as the newest tick applied by partition ``partition_key`` (``"I/N"``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    partition_key: str
    now: AwareDatetime
