"""ModelDeadLetter: an aware recording time, a known reason and no unknown fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from omnibase_infra.enums import EnumDeadLetterReason
from omnibase_infra.models import ModelDeadLetter

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def letter(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "dead_letter_id": UUID(int=1),
        "envelope_id": UUID(int=2),
        "reason": "clock_skew",
        "detail": "timestamp 31 s ahead",
        "raw": "{}",
        "recorded_at": T0,
    }
    data.update(changes)
    return data


def test_valid_letter_and_defaults() -> None:
    dead = ModelDeadLetter.model_validate(letter())
    assert dead.reason is EnumDeadLetterReason.CLOCK_SKEW
    assert (dead.source, dead.line_number) == (None, None)


def test_unreadable_input_is_located_by_source_and_line() -> None:
    dead = ModelDeadLetter.model_validate(
        letter(envelope_id=None, reason="unparseable", source="events.jsonl", line_number=7)
    )
    assert dead.envelope_id is None
    assert (dead.source, dead.line_number) == ("events.jsonl", 7)
    assert ModelDeadLetter.model_validate_json(dead.model_dump_json()) == dead


def test_envelope_id_is_required_even_when_none() -> None:
    data = letter()
    del data["envelope_id"]
    with pytest.raises(ValidationError, match="envelope_id"):
        ModelDeadLetter.model_validate(data)


def test_naive_timestamp_rejected() -> None:
    with pytest.raises(ValidationError, match="recorded_at"):
        ModelDeadLetter.model_validate(letter(recorded_at=datetime(2026, 3, 1, 12, 0)))


@pytest.mark.parametrize("reason", ["CLOCK_SKEW", "timeout", ""])
def test_unknown_reason_rejected(reason: str) -> None:
    with pytest.raises(ValidationError, match="reason"):
        ModelDeadLetter.model_validate(letter(reason=reason))


def test_extra_field_rejected_and_letter_frozen() -> None:
    with pytest.raises(ValidationError, match="retry_count"):
        ModelDeadLetter.model_validate(letter(retry_count=1))
    dead = ModelDeadLetter.model_validate(letter())
    with pytest.raises(ValidationError):
        dead.detail = "other"  # type: ignore[misc]
