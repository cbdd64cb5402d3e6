"""ModelRegistrationProjection: a registry row accepts only aware times and known fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from omnibase_core.enums import EnumNodeKind
from omnibase_infra.enums import EnumRegistrationState
from omnibase_infra.models import ModelRegistrationProjection

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NAIVE = datetime(2026, 3, 1, 12, 0)


def row(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "node_id": str(UUID(int=1)),
        "node_name": "alpha",
        "state": "active",
        "node_type": "effect",
        "node_version": "1.0.0",
        "epoch": 0,
        "registered_at": T0,
        "updated_at": T0,
    }
    data.update(changes)
    return data


def test_minimal_row_and_defaults() -> None:
    projection = ModelRegistrationProjection.model_validate(row())
    assert projection.state is EnumRegistrationState.ACTIVE
    assert projection.node_type is EnumNodeKind.EFFECT
    assert projection.capabilities == {}
    assert projection.endpoints == {}
    assert projection.last_heartbeat_at is None
    assert projection.liveness_deadline is None
    assert projection.last_introspection_at is None


def test_json_row_has_the_design_fields_in_lower_case() -> None:
    wire = ModelRegistrationProjection.model_validate(
        row(state="liveness_expired", liveness_deadline=T0)
    ).model_dump(mode="json")
    required = {
        "node_id",
        "node_name",
        "state",
        "node_type",
        "node_version",
        "epoch",
        "capabilities",
        "endpoints",
        "registered_at",
        "last_heartbeat_at",
        "liveness_deadline",
        "updated_at",
    }
    assert required <= wire.keys()
    assert (wire["state"], wire["node_type"]) == ("liveness_expired", "effect")
    assert wire["liveness_deadline"] == "2026-03-01T12:00:00Z"


@pytest.mark.parametrize(
    "field",
    [
        "registered_at",
        "updated_at",
        "last_heartbeat_at",
        "liveness_deadline",
        "last_introspection_at",
    ],
)
def test_naive_timestamp_rejected(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        ModelRegistrationProjection.model_validate(row(**{field: NAIVE}))


@pytest.mark.parametrize(
    "changes",
    [
        {"epoch": -1},
        {"state": "ACTIVE"},
        {"state": "expired"},
        {"node_type": "Effect"},
        {"node_id": "not-a-uuid"},
    ],
)
def test_invalid_values_rejected(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match=next(iter(changes))):
        ModelRegistrationProjection.model_validate(row(**changes))


def test_extra_field_rejected_and_row_frozen() -> None:
    with pytest.raises(ValidationError, match="node_status"):
        ModelRegistrationProjection.model_validate(row(node_status="active"))
    projection = ModelRegistrationProjection.model_validate(row())
    with pytest.raises(ValidationError):
        projection.epoch = 1  # type: ignore[misc]


def test_round_trips_through_json() -> None:
    projection = ModelRegistrationProjection.model_validate(
        row(capabilities={"gpu": True}, endpoints={"http": "http://alpha"}, last_heartbeat_at=T0)
    )
    clone = ModelRegistrationProjection.model_validate_json(projection.model_dump_json())
    assert clone == projection
