"""A message that could not be applied, with the reason."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from omnibase_infra.enums import EnumDeadLetterReason


class ModelDeadLetter(BaseModel):
    """A dead-lettered input: why, where it came from and the raw text, so nothing is lost.

    ``envelope_id`` is ``None`` when the input was not even a readable envelope; then
    ``source`` and ``line_number`` (the input's own line number, from 1) locate it. ``raw`` is
    the line without its ending ``\\n``; when ``raw_escaped`` is true the line was not valid
    UTF-8 or held a NUL byte, and ``raw`` is its escaped form (``\\\\`` for a backslash,
    ``\\xNN`` for a NUL or an undecodable byte): ``omnibase_infra.wire.unescape_raw(raw)``
    gives back the exact bytes.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    dead_letter_id: UUID
    envelope_id: UUID | None
    reason: EnumDeadLetterReason
    detail: str
    source: str | None = None
    line_number: int | None = Field(default=None, ge=1)
    raw: str
    raw_escaped: bool = False
    recorded_at: AwareDatetime
