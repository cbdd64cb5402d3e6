"""ModelIntentAdvanceTickClock: an aware ``now`` and no unknown fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelIntentAdvanceTickClock,
)


def test_valid_intent() -> None:
    intent = ModelIntentAdvanceTickClock(
        partition_key="0/2", now=datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    )
    assert intent.partition_key == "0/2"
    assert intent.now.tzinfo is UTC


def test_naive_now_and_unknown_field_rejected() -> None:
    with pytest.raises(ValidationError, match="now"):
        ModelIntentAdvanceTickClock.model_validate(
            {"partition_key": "0/1", "now": datetime(2026, 3, 1, 12, 0)}
        )
    with pytest.raises(ValidationError, match="sequence"):
        ModelIntentAdvanceTickClock.model_validate(
            {"partition_key": "0/1", "now": "2026-03-01T12:00:00Z", "sequence": 1}
        )
