"""The wire format: one JSON object per envelope, one envelope per line.

:func:`decode_line` never raises for bad input: it returns either a validated
:class:`ModelEventEnvelope` or a :class:`ModelDeadLetter` saying why the line cannot be applied,
so a run never stops on a malformed message. :func:`encode_envelope` is the inverse, for
producers, tests and the demo.

Rules:

- a line is the bytes between two ``\\n`` (see :mod:`omnibase_infra.runtime.wire_lines`); it
  must be valid UTF-8 (else ``unparseable``, kept escaped) and one JSON value;
- every value obeys the wire limits of :mod:`omnibase_infra.wire` (64-bit integers, finite
  numbers, no NUL or lone surrogate in any string or key, instants in the years 1..9999 as
  written and in UTC); a value beyond them is ``invalid_envelope`` naming its path;
- ``category`` may be absent: it then follows the topic's second segment (``evt`` -> event,
  ``cmd`` -> command, ``intent`` -> intent);
- ``envelope_timestamp`` may be absent: the runtime's accept time is used;
- ``correlation_id`` may be absent: the envelope id is used, so re-reading a file gives the
  same correlation ids (random ones would break crash-safe re-runs);
- timestamps (``envelope_timestamp`` and the payload's instants) are strings of the one form
  ``YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)``; numbers, naive times, dates alone and every
  other form are ``invalid_envelope``;
- a ``payload_type`` the node's :class:`ModelPayloadCatalog` holds is validated into its
  payload model (``invalid_payload`` on failure); an unknown one keeps the raw JSON object so
  routing reports it ``unroutable``. The codec knows no node: the catalog comes from the node
  the engine runs.

A well-formed line of a payload type the catalog covers is decoded in one pass (one
``model_validate_json`` of its bytes, see :class:`ModelWireFastPlan`), which gives exactly the
envelope the full decode would; any other line, and any doubt, takes the full decode.
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
from omnibase_infra.runtime.model_payload_catalog import ModelPayloadCatalog
from omnibase_infra.runtime.model_wire_fast_plan import ModelWireFastPlan, string_after
from omnibase_infra.wire import (
    escape_raw,
    find_violation,
    load_wire_json,
    parse_wire_instant,
    storable_text,
)
from omnibase_infra.wire.wire_text import UNSTORABLE_CHARACTERS

#: Category implied by a topic's second segment.
TOPIC_CATEGORIES: Final[Mapping[str, EnumMessageCategory]] = {
    "evt": EnumMessageCategory.EVENT,
    "cmd": EnumMessageCategory.COMMAND,
    "intent": EnumMessageCategory.INTENT,
}
_DEAD_LETTER_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "onex:registration:dead-letter")
_ENVELOPE_FIELDS: Final = frozenset(ModelEventEnvelope.model_fields)
_MAX_DETAIL_ERRORS: Final = 5
#: The catalog of a codec call given none: every payload stays raw JSON.
_NO_PAYLOADS: Final = ModelPayloadCatalog()
_PAYLOAD_TYPE_KEY: Final = b'"payload_type"'


def dead_letter_id(
    key: UUID | None,
    *,
    source: str | None,
    line_number: int | None,
    raw: str,
    scope: str | None = None,
) -> UUID:
    """Deterministic id of a dead letter, so re-reading the same input never doubles it.

    ``key`` is the inbox key of the envelope it was made of (the envelope id, or the id the
    runtime derives from it and the partition for a copy the partition does not own): one
    inbox record, one dead letter, and two partitions dead-lettering the same envelope keep
    two. A line without a readable envelope id is identified by its input name, line number
    and text, and by ``scope`` (the partition key, when several partitions may read it).
    """
    if key is not None:
        return uuid.uuid5(_DEAD_LETTER_NAMESPACE, str(key))
    name = f"{source}\x00{line_number}\x00{raw}"
    return uuid.uuid5(_DEAD_LETTER_NAMESPACE, name if scope is None else f"{scope}\x00{name}")


def make_dead_letter(
    reason: EnumDeadLetterReason,
    detail: str,
    *,
    raw: str,
    raw_escaped: bool = False,
    envelope_id: UUID | None = None,
    key: UUID | None = None,
    scope: str | None = None,
    source: str | None = None,
    line_number: int | None = None,
    recorded_at: datetime | None = None,
) -> ModelDeadLetter:
    """A dead letter with its deterministic id (see :func:`dead_letter_id`; ``key`` defaults to
    ``envelope_id``), ``recorded_at`` defaulting to now (UTC).

    Every text is made storable: ``detail`` and ``source`` get NUL and lone surrogates written
    as escapes, and a ``raw`` holding either is kept escaped (``raw_escaped``).
    """
    if not raw_escaped and UNSTORABLE_CHARACTERS.search(raw) is not None:
        raw, raw_escaped = escape_raw(raw.encode("utf-8", "surrogatepass")), True
    source = None if source is None else storable_text(source)
    return ModelDeadLetter(
        dead_letter_id=dead_letter_id(
            key if key is not None else envelope_id,
            source=source,
            line_number=line_number,
            raw=raw,
            scope=scope,
        ),
        envelope_id=envelope_id,
        reason=reason,
        detail=storable_text(detail),
        source=source,
        line_number=line_number,
        raw=raw,
        raw_escaped=raw_escaped,
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


def line_bytes(line: bytes | str) -> bytes:
    """The bytes of one wire line without its ending ``\\n`` (a ``\\r`` before it stays: it is
    part of the line, and JSON reads it as whitespace). A ``str`` line is encoded back to the
    bytes it was decoded from (``surrogateescape``), else with its lone surrogates as they are
    (``surrogatepass``), which then fail the strict UTF-8 check."""
    if isinstance(line, str):
        try:
            data = line.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            data = line.encode("utf-8", "surrogatepass")
    else:
        data = bytes(line)
    return data[:-1] if data.endswith(b"\n") else data


def decode_line(
    line: bytes | str,
    *,
    payloads: ModelPayloadCatalog = _NO_PAYLOADS,
    source: str | None = None,
    line_number: int | None = None,
    accepted_at: datetime | None = None,
) -> ModelEventEnvelope[Any] | ModelDeadLetter:
    """Decode one wire line into an envelope, or a dead letter saying why it cannot be.

    ``line`` is the line's bytes (or text) with or without its ending ``\\n``; it is decoded as
    strict UTF-8: invalid UTF-8 anywhere makes the line ``unparseable`` and it is kept escaped,
    never with replacement characters. ``accepted_at`` (timezone-aware; default now, UTC)
    stamps envelopes that carry no ``envelope_timestamp``; ``payloads`` (the node's catalog)
    types the payload. Never raises for bad input.
    """
    data = line_bytes(line)
    plan = _fast_plan(data, payloads)
    if plan is not None:
        envelope = plan.decode(data)
        if envelope is not None:
            return envelope
    return _decode_fully(
        data, payloads=payloads, source=source, line_number=line_number, accepted_at=accepted_at
    )


def _decode_fully(
    data: bytes,
    *,
    payloads: ModelPayloadCatalog,
    source: str | None,
    line_number: int | None,
    accepted_at: datetime | None,
) -> ModelEventEnvelope[Any] | ModelDeadLetter:
    """:func:`decode_line` of the line's bytes without the one-pass decode: parse, check every
    wire limit, then validate. Makes every dead letter."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.end].hex(" ")
        return make_dead_letter(
            EnumDeadLetterReason.UNPARSEABLE,
            f"not valid UTF-8: byte {exc.start} of the line ({bad}): {exc.reason}; every line "
            "must be UTF-8 (the raw line is kept escaped, undecodable bytes as \\xNN)",
            raw=escape_raw(data),
            raw_escaped=True,
            source=source,
            line_number=line_number,
        )
    try:
        parsed, may_break_limits = load_wire_json(text)
    except (ValueError, RecursionError) as exc:
        return make_dead_letter(
            EnumDeadLetterReason.UNPARSEABLE,
            f"not valid JSON: {exc}",
            raw=text,
            source=source,
            line_number=line_number,
        )
    return _decode_parsed(
        parsed,
        raw=text,
        payloads=payloads,
        source=source,
        line_number=line_number,
        accepted_at=accepted_at,
        check_limits=may_break_limits,
    )


def _fast_plan(data: bytes, payloads: ModelPayloadCatalog) -> ModelWireFastPlan | None:
    """The one-pass plan for the line ``data`` when it may take one: valid UTF-8, no backslash
    (no escape anywhere), and the first ``payload_type`` key followed by a string naming a
    payload type the catalog covers (the plan checks it is the envelope's own)."""
    if b"\\" in data or not (data.isascii() or _is_utf8(data)):
        return None
    start = data.find(_PAYLOAD_TYPE_KEY)
    if start < 0:
        return None
    payload_type = string_after(data, start + len(_PAYLOAD_TYPE_KEY))
    return None if payload_type is None else payloads.fast_plan(payload_type)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_object(
    data: Any,
    *,
    raw: str,
    payloads: ModelPayloadCatalog = _NO_PAYLOADS,
    source: str | None = None,
    line_number: int | None = None,
    accepted_at: datetime | None = None,
) -> ModelEventEnvelope[Any] | ModelDeadLetter:
    """Decode an already parsed wire object (a bus message body); see :func:`decode_line`.

    Every value is held to the wire limits (``invalid_envelope`` naming the path). Never raises
    for bad input.
    """
    return _decode_parsed(
        data,
        raw=raw,
        payloads=payloads,
        source=source,
        line_number=line_number,
        accepted_at=accepted_at,
        check_limits=True,
    )


def _decode_parsed(
    data: Any,
    *,
    raw: str,
    payloads: ModelPayloadCatalog,
    source: str | None,
    line_number: int | None,
    accepted_at: datetime | None,
    check_limits: bool,
) -> ModelEventEnvelope[Any] | ModelDeadLetter:
    """:func:`decode_object`; ``check_limits=False`` skips the walk of the values when the
    line's text shows none can break the limits."""

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
            f"envelope_id {_shown(data.get('envelope_id'))} is missing or not a UUID",
        )
    violation = find_violation(data) if check_limits else None
    if violation is not None:
        return dead(
            EnumDeadLetterReason.INVALID_ENVELOPE,
            f"beyond the wire limits: {violation}",
            envelope_id,
        )
    unknown = sorted(str(key) for key in data if key not in _ENVELOPE_FIELDS)
    if unknown:
        named = ", ".join(key if key.isidentifier() else _shown(key) for key in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        return dead(
            EnumDeadLetterReason.INVALID_ENVELOPE,
            f"unknown envelope field(s) {named}{more}; "
            f"allowed: {', '.join(sorted(_ENVELOPE_FIELDS))}",
            envelope_id,
        )
    topic = data.get("topic")
    if not isinstance(topic, str) or not topic.strip():
        return dead(
            EnumDeadLetterReason.INVALID_ENVELOPE,
            f"topic {_shown(topic)} is missing or not a non-empty string",
            envelope_id,
        )
    payload_type = data.get("payload_type")
    if not isinstance(payload_type, str) or not payload_type.strip():
        return dead(
            EnumDeadLetterReason.INVALID_ENVELOPE,
            f"payload_type {_shown(payload_type)} is missing or not a non-empty string",
            envelope_id,
        )
    fields = dict(data)
    if fields.get("category") is None:
        category = category_from_topic(topic)
        if category is None:
            return dead(
                EnumDeadLetterReason.INVALID_ENVELOPE,
                f"category is absent and topic {_shown(topic)} does not imply one (expected five "
                f"dot-separated segments, the second one of {', '.join(TOPIC_CATEGORIES)})",
                envelope_id,
            )
        fields["category"] = category
    if fields.get("envelope_timestamp") is None:
        fields["envelope_timestamp"] = accepted_at or datetime.now(UTC)
    else:
        try:
            fields["envelope_timestamp"] = parse_wire_instant(fields["envelope_timestamp"])
        except ValueError as exc:
            return dead(
                EnumDeadLetterReason.INVALID_ENVELOPE, f"envelope_timestamp: {exc}", envelope_id
            )
    if fields.get("correlation_id") is None:
        fields["correlation_id"] = envelope_id
    if "payload" not in fields or not isinstance(fields["payload"], dict):
        return dead(
            EnumDeadLetterReason.INVALID_ENVELOPE,
            f"payload is missing or not a JSON object (got {type(fields.get('payload')).__name__})",
            envelope_id,
        )
    fields["envelope_id"] = envelope_id
    instants = payloads.instant_fields(payload_type.strip())
    if instants:
        payload = dict(fields["payload"])
        for name in instants:
            if payload.get(name) is None:
                continue  # a missing instant is the payload model's to report
            try:
                payload[name] = parse_wire_instant(payload[name])
            except ValueError as exc:
                return dead(
                    EnumDeadLetterReason.INVALID_ENVELOPE, f"payload.{name}: {exc}", envelope_id
                )
        fields["payload"] = payload
    envelope_class = payloads.envelope_class(payload_type.strip())
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
    violation = _validated_violation(envelope.payload)
    if violation is not None:
        return dead(
            EnumDeadLetterReason.INVALID_ENVELOPE,
            f"beyond the wire limits: {violation}",
            envelope_id,
        )
    return envelope


def _validated_violation(payload: Any) -> str | None:
    """The first wire-limit violation among a typed payload's validated values, or ``None``.

    The walk of the parsed JSON sees a number written as a string (``"epoch": "1e30"``,
    ``"uptime_seconds": "inf"``) as text; the payload model then reads it as a number, so the
    limits are held again on what validation made of it.
    """
    if not isinstance(payload, BaseModel):
        return None
    return find_violation(payload.model_dump(), "payload")


def encode_envelope(envelope: ModelEventEnvelope[Any]) -> str:
    """One wire line (no newline) for ``envelope``; :func:`decode_line` reads it back."""
    wire = envelope.model_dump(mode="json", exclude={"payload"})
    payload = envelope.payload
    wire["payload"] = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    if wire.get("operation") is None:
        wire.pop("operation", None)
    return json.dumps(wire, separators=(",", ":"), ensure_ascii=False)


def _shown(value: Any) -> str:
    """``value`` for a message: its ``repr``, cut to 80 characters."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:80]}..."


def _parse_uuid(value: Any) -> UUID | None:
    if isinstance(value, UUID):
        return value
    if not isinstance(value, str):
        return None
    try:
        return UUID(value)
    except ValueError:
        return None
