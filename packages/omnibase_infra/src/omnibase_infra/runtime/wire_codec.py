"""The wire format of DESIGN 6.5: one JSON object per envelope, one envelope per line.

:func:`decode_line` never raises for bad input: it returns either a validated
:class:`ModelEventEnvelope` or a :class:`ModelDeadLetter` saying why the line cannot be applied,
so a run never stops on a malformed message. :func:`encode_envelope` is the inverse, for
producers, tests and the demo.

Rules:

- ``category`` may be absent: it then follows the topic's second segment (``evt`` -> event,
  ``cmd`` -> command, ``intent`` -> intent);
- ``envelope_timestamp`` may be absent: the runtime's accept time is used;
- ``correlation_id`` may be absent: the envelope id is used, so re-reading a file gives the
  same correlation ids (random ones would break crash-safe re-runs);
- timestamps must carry an offset; naive ones are refused;
- a known ``payload_type`` is validated into its payload model (``invalid_payload`` on
  failure); an unknown one keeps the raw JSON object so routing reports it ``unroutable``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from omnibase_core.enums import EnumMessageCategory
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import EnumDeadLetterReason
from omnibase_infra.models import ModelDeadLetter
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelNodeHeartbeatEvent,
    ModelNodeIntrospectionEvent,
    ModelRuntimeTick,
)

#: Payload models the codec validates, by ``payload_type``.
PAYLOAD_MODELS: Final[Mapping[str, type[BaseModel]]] = {
    model.__name__: model
    for model in (ModelNodeIntrospectionEvent, ModelNodeHeartbeatEvent, ModelRuntimeTick)
}
#: Category implied by a topic's second segment.
TOPIC_CATEGORIES: Final[Mapping[str, EnumMessageCategory]] = {
    "evt": EnumMessageCategory.EVENT,
    "cmd": EnumMessageCategory.COMMAND,
    "intent": EnumMessageCategory.INTENT,
}
_DEAD_LETTER_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "onex:registration:dead-letter")
#: Envelope classes parametrised by payload model: envelope and payload validate in one call.
_ENVELOPE_CLASSES: Final[Mapping[str, type[ModelEventEnvelope[Any]]]] = {
    name: ModelEventEnvelope[model]  # type: ignore[valid-type]
    for name, model in PAYLOAD_MODELS.items()
}
_ENVELOPE_FIELDS: Final = frozenset(ModelEventEnvelope.model_fields)
_MAX_DETAIL_ERRORS: Final = 5


def dead_letter_id(
    envelope_id: UUID | None, *, source: str | None, line_number: int | None, raw: str
) -> UUID:
    """Deterministic id of a dead letter: from the envelope id when there is one, else from
    where the input came from and its text, so re-reading the same input never doubles it."""
    if envelope_id is not None:
        return uuid.uuid5(_DEAD_LETTER_NAMESPACE, str(envelope_id))
    return uuid.uuid5(_DEAD_LETTER_NAMESPACE, f"{source}\x00{line_number}\x00{raw}")


def make_dead_letter(
    reason: EnumDeadLetterReason,
    detail: str,
    *,
    raw: str,
    envelope_id: UUID | None = None,
    source: str | None = None,
    line_number: int | None = None,
    recorded_at: datetime | None = None,
) -> ModelDeadLetter:
    """A dead letter with its deterministic id (``recorded_at`` defaults to now, UTC)."""
    return ModelDeadLetter(
        dead_letter_id=dead_letter_id(envelope_id, source=source, line_number=line_number, raw=raw),
        envelope_id=envelope_id,
        reason=reason,
        detail=detail,
        source=source,
        line_number=line_number,
        raw=raw,
        recorded_at=recorded_at or datetime.now(UTC),
    )


def summarize_errors(errors: Sequence[ErrorDetails]) -> str:
    """Pydantic errors on one line: ``field.path: message; ...`` (at most five problems)."""
    parts = []
    for item in errors[:_MAX_DETAIL_ERRORS]:
        where = ".".join(str(part) for part in item["loc"]) or "(root)"
        parts.append(f"{where}: {item['msg']}")
    more = len(errors) - _MAX_DETAIL_ERRORS
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def category_from_topic(topic: str) -> EnumMessageCategory | None:
    """The category implied by a five-segment topic's second segment, or ``None``."""
    segments = topic.split(".")
    if len(segments) != 5:
        return None
    return TOPIC_CATEGORIES.get(segments[1])


def decode_line(
    line: str,
    *,
    source: str | None = None,
    line_number: int | None = None,
    accepted_at: datetime | None = None,
) -> ModelEventEnvelope[Any] | ModelDeadLetter:
    """Decode one wire line into an envelope, or a dead letter saying why it cannot be.

    ``accepted_at`` (timezone-aware; default now, UTC) stamps envelopes that carry no
    ``envelope_timestamp``. Never raises for bad input.
    """
    raw = line.rstrip("\r\n")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return make_dead_letter(
            EnumDeadLetterReason.UNPARSEABLE,
            f"not valid JSON: {exc}",
            raw=raw,
            source=source,
            line_number=line_number,
        )
    return decode_object(
        data, raw=raw, source=source, line_number=line_number, accepted_at=accepted_at
    )


def decode_object(
    data: Any,
    *,
    raw: str,
    source: str | None = None,
    line_number: int | None = None,
    accepted_at: datetime | None = None,
) -> ModelEventEnvelope[Any] | ModelDeadLetter:
    """Decode an already parsed wire object (a bus message body); see :func:`decode_line`."""

    def dead(
        reason: EnumDeadLetterReason, detail: str, envelope_id: UUID | None = None
    ) -> ModelDeadLetter:
        return make_dead_letter(
            reason,
            detail,
            raw=raw,
            envelope_id=envelope_id,
            source=source,
            line_number=line_number,
        )

    if not isinstance(data, dict):
        return dead(
            EnumDeadLetterReason.INVALID_ENVELOPE,
            f"an envelope must be a JSON object, got {type(data).__name__}",
        )
    envelope_id = _parse_uuid(data.get("envelope_id"))
    if envelope_id is None:
        return dead(
            EnumDeadLetterReason.INVALID_ENVELOPE,
            f"envelope_id {data.get('envelope_id')!r} is missing or not a UUID",
        )
    unknown = sorted(str(key) for key in data if key not in _ENVELOPE_FIELDS)
    if unknown:
        return dead(
            EnumDeadLetterReason.INVALID_ENVELOPE,
            f"unknown envelope field(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(_ENVELOPE_FIELDS))}",
            envelope_id,
        )
    topic = data.get("topic")
    if not isinstance(topic, str) or not topic.strip():
        return dead(
            EnumDeadLetterReason.INVALID_ENVELOPE,
            f"topic {topic!r} is missing or not a non-empty string",
            envelope_id,
        )
    payload_type = data.get("payload_type")
    if not isinstance(payload_type, str) or not payload_type.strip():
        return dead(
            EnumDeadLetterReason.INVALID_ENVELOPE,
            f"payload_type {payload_type!r} is missing or not a non-empty string",
            envelope_id,
        )
    fields = dict(data)
    if fields.get("category") is None:
        category = category_from_topic(topic)
        if category is None:
            return dead(
                EnumDeadLetterReason.INVALID_ENVELOPE,
                f"category is absent and topic {topic!r} does not imply one (expected five "
                f"dot-separated segments, the second one of {', '.join(TOPIC_CATEGORIES)})",
                envelope_id,
            )
        fields["category"] = category
    if fields.get("envelope_timestamp") is None:
        fields["envelope_timestamp"] = accepted_at or datetime.now(UTC)
    if fields.get("correlation_id") is None:
        fields["correlation_id"] = envelope_id
    if "payload" not in fields or not isinstance(fields["payload"], dict):
        return dead(
            EnumDeadLetterReason.INVALID_ENVELOPE,
            f"payload is missing or not a JSON object (got {type(fields.get('payload')).__name__})",
            envelope_id,
        )
    fields["envelope_id"] = envelope_id
    envelope_class = _ENVELOPE_CLASSES.get(payload_type.strip(), ModelEventEnvelope)
    try:
        # One validation for envelope and payload: this is the hot path of every run.
        envelope: ModelEventEnvelope[Any] = envelope_class.model_validate(fields)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        payload_errors = [error for error in errors if error["loc"][:1] == ("payload",)]
        if len(payload_errors) == len(errors):
            for error in payload_errors:
                error["loc"] = error["loc"][1:]
            return dead(
                EnumDeadLetterReason.INVALID_PAYLOAD,
                f"{payload_type.strip()}: {summarize_errors(payload_errors)}",
                envelope_id,
            )
        return dead(
            EnumDeadLetterReason.INVALID_ENVELOPE,
            f"envelope: {summarize_errors(errors)}",
            envelope_id,
        )
    return envelope


def encode_envelope(envelope: ModelEventEnvelope[Any]) -> str:
    """One wire line (no newline) for ``envelope``; :func:`decode_line` reads it back."""
    wire = envelope.model_dump(mode="json", exclude={"payload"})
    payload = envelope.payload
    wire["payload"] = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    if wire.get("operation") is None:
        wire.pop("operation", None)
    return json.dumps(wire, separators=(",", ":"), ensure_ascii=False)


def _parse_uuid(value: Any) -> UUID | None:
    if isinstance(value, UUID):
        return value
    if not isinstance(value, str):
        return None
    try:
        return UUID(value)
    except ValueError:
        return None
