"""An event the registration orchestrator emits."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from omnibase_infra.enums import EnumLifecycleEventType


class ModelLifecycleEvent(BaseModel):
    """An emitted lifecycle event, as written to the outbox.

    ``event_id`` is derived from the causing envelope, the event's position among that
    envelope's events, its type and node, so re-running the same input yields the same ids.
    ``sequence`` is the commit order assigned by the store (``None`` before commit).
    ``data`` holds the event's own fields; on the wire they sit beside the common ones.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID
    event_type: EnumLifecycleEventType
    topic: str
    node_id: UUID
    causation_id: UUID
    correlation_id: UUID
    emitted_at: AwareDatetime
    data: dict[str, Any] = Field(default_factory=dict)
    sequence: int | None = None

    @field_validator("data")
    @classmethod
    def _data_keeps_common_fields(cls, data: dict[str, Any]) -> dict[str, Any]:
        # on the wire the event's own fields sit beside the common ones: none may shadow them
        if clash := sorted(data.keys() & cls.model_fields.keys()):
            raise ValueError(f"data repeats the common field(s) {', '.join(clash)}; rename them")
        return data

    @classmethod
    def create(
        cls,
        event_type: EnumLifecycleEventType,
        *,
        node_id: UUID,
        causation_id: UUID,
        correlation_id: UUID,
        emitted_at: AwareDatetime,
        position: int,
        data: dict[str, Any] | None = None,
    ) -> ModelLifecycleEvent:
        """Build an event with its deterministic id (``position``: index among its siblings)."""
        event_id = uuid.uuid5(causation_id, f"{position}:{event_type.value}:{node_id}")
        return cls(
            event_id=event_id,
            event_type=event_type,
            topic=event_type.topic,
            node_id=node_id,
            causation_id=causation_id,
            correlation_id=correlation_id,
            emitted_at=emitted_at,
            data=data or {},
        )

    def to_wire(self) -> dict[str, Any]:
        """The event as one JSON object: common fields, then the event's own fields.

        The format is the one docs/registration.md, *Wire format*, describes.
        """
        wire = self.model_dump(mode="json", exclude={"data"})
        wire.update(self.model_dump(mode="json", include={"data"})["data"])
        return wire
