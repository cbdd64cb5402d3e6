"""What a handler returns."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class ModelHandlerOutput(BaseModel):
    """The result of one handler on one envelope.

    ``events`` are the events the handler emits, ``intents`` the state changes it asks the
    runtime to apply; both are committed by the runtime together with the envelope's inbox
    record. A handler that deliberately does nothing sets ``ignored_reason``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    handler_id: str
    input_envelope_id: UUID
    correlation_id: UUID | None = None
    events: tuple[Any, ...] = ()
    intents: tuple[Any, ...] = ()
    ignored_reason: str | None = None
    processing_time_ms: float = Field(default=0.0, ge=0.0)
