"""Models built from already validated values equal the validated models, field for field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from omnibase_core.enums import EnumNodeKind
from omnibase_infra.enums import (
    EnumDeadLetterReason,
    EnumLifecycleEventType,
    EnumRegistrationState,
)
from omnibase_infra.models import (
    ModelDeadLetter,
    ModelLifecycleEvent,
    ModelRegistrationProjection,
)
from omnibase_infra.models.trusted_models import construct_trusted, replace_trusted

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _projection_values() -> dict[str, object]:
    return {
        "node_id": uuid4(),
        "node_name": "catalog-012",
        "state": EnumRegistrationState.ACTIVE,
        "node_type": EnumNodeKind.EFFECT,
        "node_version": "1.3.0",
        "epoch": 5,
        "capabilities": {"max_concurrency": 16, "protocols": ["http", "grpc"]},
        "endpoints": {"api": "http://catalog-012:8080"},
        "registered_at": T0,
        "last_heartbeat_at": None,
        "liveness_deadline": T0 + timedelta(seconds=60),
        "last_introspection_at": T0,
        "updated_at": T0,
    }


def test_a_trusted_projection_equals_the_validated_one_and_dumps_the_same() -> None:
    values = _projection_values()
    validated = ModelRegistrationProjection.model_validate(values)
    shuffled = dict(reversed(list(values.items())))  # the declared order is restored
    trusted = construct_trusted(ModelRegistrationProjection, shuffled)
    assert trusted == validated
    assert trusted.model_dump(mode="json") == validated.model_dump(mode="json")
    assert list(trusted.model_dump()) == list(ModelRegistrationProjection.model_fields)
    assert trusted.model_dump_json() == validated.model_dump_json()
    assert trusted.model_fields_set == validated.model_fields_set
    assert hash(trusted.node_id) == hash(validated.node_id)
    with pytest.raises(Exception, match="frozen"):
        trusted.epoch = 6  # type: ignore[misc]


def test_a_trusted_event_and_dead_letter_equal_the_validated_ones() -> None:
    cause = uuid4()
    event = ModelLifecycleEvent.create(
        EnumLifecycleEventType.NODE_BECAME_ACTIVE,
        node_id=uuid4(),
        causation_id=cause,
        correlation_id=cause,
        emitted_at=T0,
        position=0,
        data={"epoch": 1},
    )
    stored = event.model_copy(update={"sequence": 7})
    assert replace_trusted(event, sequence=7) == stored
    assert replace_trusted(event, sequence=7).to_wire() == stored.to_wire()
    assert construct_trusted(ModelLifecycleEvent, dict(stored.__dict__)) == stored
    letter = ModelDeadLetter(
        dead_letter_id=uuid4(),
        envelope_id=None,
        reason=EnumDeadLetterReason.UNPARSEABLE,
        detail="not JSON",
        source="in.jsonl",
        line_number=3,
        raw="{oops",
        recorded_at=T0,
    )
    rebuilt = construct_trusted(ModelDeadLetter, dict(reversed(list(letter.__dict__.items()))))
    assert rebuilt == letter
    assert rebuilt.model_dump_json() == letter.model_dump_json()


def test_replace_trusted_is_model_copy_for_valid_changes() -> None:
    row = ModelRegistrationProjection.model_validate(_projection_values())
    later = T0 + timedelta(seconds=30)
    changes = {"last_heartbeat_at": later, "updated_at": later, "epoch": 6}
    replaced = replace_trusted(row, **changes)
    assert replaced == row.model_copy(update=changes)
    assert replaced.capabilities is row.capabilities  # shared, as model_copy shares them
    assert row.epoch == 5  # the original is unchanged


def test_a_missing_field_is_named() -> None:
    values = _projection_values()
    del values["updated_at"]
    with pytest.raises(KeyError, match="updated_at"):
        construct_trusted(ModelRegistrationProjection, values)
