"""ModelRuntimeTick: aware ``now``, non-negative sequence, positive interval, named scheduler."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from omnibase_infra.nodes.node_registration_orchestrator.models import ModelRuntimeTick

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def payload(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tick_id": str(UUID(int=1)),
        "now": "2026-03-01T12:00:00Z",
        "sequence_number": 0,
        "scheduler_id": "scheduler-1",
        "tick_interval_ms": 1000,
    }
    data.update(changes)
    return data


def test_valid_tick() -> None:
    tick = ModelRuntimeTick.model_validate(payload())
    assert tick.now == T0
    assert (tick.sequence_number, tick.scheduler_id, tick.tick_interval_ms) == (
        0,
        "scheduler-1",
        1000,
    )


@pytest.mark.parametrize("now", ["2026-03-01T12:00:00", datetime(2026, 3, 1, 12, 0)])
def test_naive_now_rejected(now: Any) -> None:
    with pytest.raises(ValidationError, match="now"):
        ModelRuntimeTick.model_validate(payload(now=now))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sequence_number", -1),
        ("scheduler_id", ""),
        ("tick_interval_ms", 0),
        ("tick_interval_ms", -5),
    ],
)
def test_out_of_range_values_rejected(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        ModelRuntimeTick.model_validate(payload(**{field: value}))


def test_unknown_field_rejected() -> None:
    with pytest.raises(ValidationError, match="partition"):
        ModelRuntimeTick.model_validate(payload(partition="0/1"))
