"""ModelLifecycleEvent: deterministic ids, topic from the type, flat wire form, aware times."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from omnibase_infra.enums import EnumLifecycleEventType
from omnibase_infra.models import ModelLifecycleEvent

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NODE = UUID(int=1)
OTHER_NODE = UUID(int=2)
CAUSE = UUID(int=10)
CORRELATION = UUID(int=20)
ACTIVE = EnumLifecycleEventType.NODE_BECAME_ACTIVE
INITIATED = EnumLifecycleEventType.NODE_REGISTRATION_INITIATED


def make(
    event_type: EnumLifecycleEventType = ACTIVE,
    *,
    node_id: UUID = NODE,
    causation_id: UUID = CAUSE,
    position: int = 0,
    data: dict[str, Any] | None = None,
) -> ModelLifecycleEvent:
    return ModelLifecycleEvent.create(
        event_type,
        node_id=node_id,
        causation_id=causation_id,
        correlation_id=CORRELATION,
        emitted_at=T0,
        position=position,
        data=data,
    )


def test_create_fills_common_fields() -> None:
    event = make(data={"node_name": "n"})
    assert event.event_type is ACTIVE
    assert event.topic == "onex.evt.platform.node-became-active.v1"
    assert (event.node_id, event.causation_id, event.correlation_id) == (NODE, CAUSE, CORRELATION)
    assert event.emitted_at == T0
    assert event.data == {"node_name": "n"}
    assert event.sequence is None
    assert make().data == {}


def test_create_gives_the_same_id_for_the_same_input() -> None:
    assert make().event_id == make().event_id
    assert make().event_id.version == 5


@pytest.mark.parametrize(
    "changed",
    [
        {"position": 1},
        {"event_type": INITIATED},
        {"node_id": OTHER_NODE},
        {"causation_id": UUID(int=11)},
    ],
)
def test_create_id_depends_on_position_type_node_and_cause(changed: dict[str, Any]) -> None:
    assert make(**changed).event_id != make().event_id


def test_create_ids_are_unique_across_a_batch() -> None:
    ids = {
        make(event_type, node_id=node_id, position=position).event_id
        for event_type in EnumLifecycleEventType
        for node_id in (NODE, OTHER_NODE)
        for position in range(3)
    }
    assert len(ids) == len(EnumLifecycleEventType) * 2 * 3


def test_id_does_not_depend_on_data_or_time() -> None:
    later = ModelLifecycleEvent.create(
        ACTIVE,
        node_id=NODE,
        causation_id=CAUSE,
        correlation_id=UUID(int=21),
        emitted_at=T0 + timedelta(hours=1),
        position=0,
        data={"x": 1},
    )
    assert later.event_id == make().event_id


def test_to_wire_puts_data_beside_common_fields() -> None:
    event = make(INITIATED, data={"node_name": "alpha", "node_version": "1.0.0"})
    wire = event.to_wire()
    assert wire == {
        "event_id": str(event.event_id),
        "event_type": "NodeRegistrationInitiated",
        "topic": "onex.evt.platform.node-registration-initiated.v1",
        "node_id": str(NODE),
        "causation_id": str(CAUSE),
        "correlation_id": str(CORRELATION),
        "emitted_at": "2026-03-01T12:00:00Z",
        "sequence": None,
        "node_name": "alpha",
        "node_version": "1.0.0",
    }
    assert json.loads(json.dumps(wire)) == wire


def test_to_wire_serialises_nested_data_as_json() -> None:
    wire = make(data={"when": T0, "ids": [NODE]}).to_wire()
    assert wire["when"] == "2026-03-01T12:00:00Z"
    assert wire["ids"] == [str(NODE)]
    assert "data" not in wire


def test_to_wire_keeps_the_offset() -> None:
    plus_two = T0.astimezone(timezone(timedelta(hours=2)))
    event = make().model_copy(update={"emitted_at": plus_two})
    assert event.to_wire()["emitted_at"] == "2026-03-01T14:00:00+02:00"


def test_naive_timestamp_rejected() -> None:
    with pytest.raises(ValidationError, match="emitted_at"):
        ModelLifecycleEvent.create(
            ACTIVE,
            node_id=NODE,
            causation_id=CAUSE,
            correlation_id=CORRELATION,
            emitted_at=datetime(2026, 3, 1, 12, 0),
            position=0,
        )


def test_round_trips_and_forbids_extra_fields() -> None:
    event = make(data={"k": 1}).model_copy(update={"sequence": 7})
    assert ModelLifecycleEvent.model_validate_json(event.model_dump_json()) == event
    with pytest.raises(ValidationError, match="payload"):
        ModelLifecycleEvent.model_validate({**event.model_dump(), "payload": {}})
    with pytest.raises(ValidationError):
        event.sequence = 8  # type: ignore[misc]


def test_data_may_not_shadow_a_common_wire_field() -> None:
    with pytest.raises(ValidationError, match="data repeats the common field"):
        ModelLifecycleEvent.create(
            EnumLifecycleEventType.NODE_BECAME_ACTIVE,
            node_id=uuid4(),
            causation_id=uuid4(),
            correlation_id=uuid4(),
            emitted_at=datetime(2026, 3, 1, tzinfo=UTC),
            position=0,
            data={"topic": "elsewhere"},
        )
