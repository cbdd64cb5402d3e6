"""A message that could not be applied, with the reason."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from omnibase_infra.enums import EnumDeadLetterReason


class ModelDeadLetter(BaseModel):
    """A dead-lettered input: why, where it came from and the raw text, so nothing is lost.

    ``envelope_id`` is ``None`` when the input was not even a readable envelope; then
    ``source`` and ``line_number`` locate it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    dead_letter_id: UUID
    envelope_id: UUID | None
    reason: EnumDeadLetterReason
    detail: str
    source: str | None = None
    line_number: int | None = None
    raw: str
    recorded_at: AwareDatetime
