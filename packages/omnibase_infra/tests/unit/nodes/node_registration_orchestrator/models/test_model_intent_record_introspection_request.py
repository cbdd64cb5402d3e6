"""ModelIntentRecordIntrospectionRequest: an aware ``requested_at`` and no unknown fields."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import pytest
from pydantic import ValidationError

from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelIntentRecordIntrospectionRequest,
)


def test_naive_requested_at_rejected() -> None:
    with pytest.raises(ValidationError, match="requested_at"):
        ModelIntentRecordIntrospectionRequest(
            node_id=UUID(int=1), requested_at=datetime(2026, 3, 1, 12, 0)
        )


def test_unknown_field_rejected() -> None:
    with pytest.raises(ValidationError, match="reason"):
        ModelIntentRecordIntrospectionRequest.model_validate(
            {"node_id": str(UUID(int=1)), "requested_at": "2026-03-01T12:00:00Z", "reason": "x"}
        )
