"""ModelNodeHeartbeatEvent: aware timestamp, non-negative counters, no unknown fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from omnibase_infra.nodes.node_registration_orchestrator.models import ModelNodeHeartbeatEvent

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def payload(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "node_id": str(UUID(int=1)),
        "epoch": 3,
        "uptime_seconds": 120.5,
        "timestamp": "2026-03-01T12:00:00+00:00",
    }
    data.update(changes)
    return data


def test_valid_payload_and_default() -> None:
    event = ModelNodeHeartbeatEvent.model_validate(payload())
    assert (event.epoch, event.uptime_seconds, event.active_operations) == (3, 120.5, 0)
    assert event.timestamp == T0
    assert ModelNodeHeartbeatEvent.model_validate_json(event.model_dump_json()) == event


def test_zero_is_allowed() -> None:
    event = ModelNodeHeartbeatEvent.model_validate(
        payload(epoch=0, uptime_seconds=0.0, active_operations=0)
    )
    assert (event.epoch, event.uptime_seconds, event.active_operations) == (0, 0.0, 0)


@pytest.mark.parametrize("timestamp", ["2026-03-01T12:00:00", datetime(2026, 3, 1, 12, 0)])
def test_naive_timestamp_rejected(timestamp: Any) -> None:
    with pytest.raises(ValidationError, match="timestamp"):
        ModelNodeHeartbeatEvent.model_validate(payload(timestamp=timestamp))


@pytest.mark.parametrize(
    ("field", "value"),
    [("epoch", -1), ("uptime_seconds", -0.5), ("active_operations", -1)],
)
def test_negative_values_rejected(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match=field):
        ModelNodeHeartbeatEvent.model_validate(payload(**{field: value}))


def test_unknown_field_rejected() -> None:
    with pytest.raises(ValidationError, match="uptime"):
        ModelNodeHeartbeatEvent.model_validate(payload(uptime=1.0))
