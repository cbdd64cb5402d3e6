"""ModelNodeIntrospectionEvent: the announce payload validates times, epochs, enums and fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from omnibase_core.enums import EnumNodeKind
from omnibase_infra.enums import EnumIntrospectionReason
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelNodeIntrospectionEvent,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def payload(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "node_id": str(UUID(int=1)),
        "node_name": "alpha",
        "node_type": "orchestrator",
        "node_version": "1.0.0",
        "epoch": 0,
        "timestamp": "2026-03-01T12:00:00Z",
    }
    data.update(changes)
    return data


def test_minimal_payload_and_defaults() -> None:
    event = ModelNodeIntrospectionEvent.model_validate(payload())
    assert event.node_type is EnumNodeKind.ORCHESTRATOR
    assert event.reason is EnumIntrospectionReason.STARTUP
    assert event.timestamp == T0
    assert (event.capabilities, event.endpoints) == ({}, {})


@pytest.mark.parametrize(
    ("field", "value", "member"),
    [
        ("node_type", "reducer", EnumNodeKind.REDUCER),
        ("reason", "shutdown", EnumIntrospectionReason.SHUTDOWN),
        ("reason", "capability_change", EnumIntrospectionReason.CAPABILITY_CHANGE),
    ],
)
def test_lower_case_enum_values_accepted_and_dumped(field: str, value: str, member: Any) -> None:
    event = ModelNodeIntrospectionEvent.model_validate(payload(**{field: value}))
    assert getattr(event, field) is member
    assert event.model_dump(mode="json")[field] == value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("node_type", "ORCHESTRATOR"),
        ("node_type", "Orchestrator"),
        ("node_type", "gateway"),
        ("reason", "SHUTDOWN"),
        ("reason", "crash"),
    ],
)
def test_other_enum_spellings_rejected(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=field):
        ModelNodeIntrospectionEvent.model_validate(payload(**{field: value}))


@pytest.mark.parametrize("timestamp", ["2026-03-01T12:00:00", datetime(2026, 3, 1, 12, 0)])
def test_naive_timestamp_rejected(timestamp: Any) -> None:
    with pytest.raises(ValidationError, match="timestamp"):
        ModelNodeIntrospectionEvent.model_validate(payload(timestamp=timestamp))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("epoch", -1),
        ("node_name", ""),
        ("node_name", "x" * 257),
        ("node_version", ""),
        ("node_version", "v" * 65),
        ("node_id", "alpha"),
    ],
)
def test_out_of_range_values_rejected(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        ModelNodeIntrospectionEvent.model_validate(payload(**{field: value}))


def test_unknown_field_rejected_and_payload_frozen() -> None:
    with pytest.raises(ValidationError, match="node_typ"):
        ModelNodeIntrospectionEvent.model_validate(payload(node_typ="effect"))
    event = ModelNodeIntrospectionEvent.model_validate(payload())
    with pytest.raises(ValidationError):
        event.epoch = 1  # type: ignore[misc]
