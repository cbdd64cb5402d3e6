"""ModelEventEnvelope: defaults, strict validation, immutability and JSON round trip."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from omnibase_core.enums import EnumMessageCategory
from omnibase_core.models.events import ModelEventEnvelope


class ModelThing(BaseModel):
    value: int = 1


def test_envelope_defaults() -> None:
    envelope = ModelEventEnvelope[ModelThing](payload=ModelThing())
    assert envelope.payload_type == "ModelThing"
    assert isinstance(envelope.envelope_id, UUID)
    assert envelope.envelope_timestamp.tzinfo is not None
    assert envelope.category is EnumMessageCategory.EVENT
    assert envelope.operation is None
    assert ModelEventEnvelope[ModelThing](payload=ModelThing()).envelope_id != envelope.envelope_id


def test_envelope_keeps_explicit_payload_type() -> None:
    envelope = ModelEventEnvelope[Any](payload=ModelThing(), payload_type="Other")
    assert envelope.payload_type == "Other"


def test_envelope_rejects_naive_timestamp_and_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        ModelEventEnvelope[Any](payload=1, envelope_timestamp=datetime(2026, 1, 1))
    with pytest.raises(ValidationError):
        ModelEventEnvelope[Any].model_validate({"payload": 1, "topik": "x"})


def test_envelope_is_frozen_and_round_trips() -> None:
    envelope = ModelEventEnvelope[ModelThing](
        payload=ModelThing(value=3),
        topic="onex.evt.x.v1",
        category="command",  # type: ignore[arg-type]
        operation="op",
    )
    with pytest.raises(ValidationError):
        envelope.topic = "other"  # type: ignore[misc]
    clone = ModelEventEnvelope[ModelThing].model_validate_json(envelope.model_dump_json())
    assert clone == envelope
    assert clone.category is EnumMessageCategory.COMMAND
