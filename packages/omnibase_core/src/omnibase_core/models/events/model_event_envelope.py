"""The envelope every message travels in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from omnibase_core.enums.enum_message_category import EnumMessageCategory

PayloadT = TypeVar("PayloadT")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ModelEventEnvelope(BaseModel, Generic[PayloadT]):
    """A message with its routing metadata.

    ``envelope_id`` is the idempotency key: a runtime applies each id at most once.
    ``envelope_timestamp`` is when the runtime accepted the message and must be timezone-aware.
    ``payload_type`` defaults to the payload model's class name, which is what
    ``payload_type_match`` routing matches.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    envelope_id: UUID = Field(default_factory=uuid4)
    envelope_timestamp: AwareDatetime = Field(default_factory=_utc_now)
    correlation_id: UUID = Field(default_factory=uuid4)
    topic: str = ""
    payload_type: str = ""
    category: EnumMessageCategory = EnumMessageCategory.EVENT
    operation: str | None = None
    payload: PayloadT

    @model_validator(mode="before")
    @classmethod
    def _default_payload_type(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("payload_type"):
            payload = data.get("payload")
            if isinstance(payload, BaseModel):
                data = {**data, "payload_type": type(payload).__name__}
        return data
