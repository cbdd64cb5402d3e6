"""The wire codec: every bad line becomes a dead letter with a reason.

The format is docs/registration.md, *Wire format* and *Wire limits*.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import EnumDeadLetterReason, EnumIntrospectionReason
from omnibase_infra.models import ModelDeadLetter
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelNodeHeartbeatEvent,
    ModelNodeIntrospectionEvent,
    ModelRuntimeTick,
)
from omnibase_infra.nodes.node_registration_orchestrator.node import REGISTRATION_PAYLOADS
from omnibase_infra.runtime import wire_codec
from omnibase_infra.runtime.wire_codec import (
    category_from_topic,
    dead_letter_id,
    encode_envelope,
)
from omnibase_infra.wire import unescape_raw

#: The codec with the registration node's payload models, as the engine runs it.
decode_line = partial(wire_codec.decode_line, payloads=REGISTRATION_PAYLOADS)

ACCEPTED = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
ENVELOPE_ID = "7f6c3a9e-1111-4222-8333-444455556666"
NODE_ID = "4c2e3a9e-1111-4222-8333-444455556666"


def heartbeat_wire(**overrides: Any) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "envelope_id": ENVELOPE_ID,
        "envelope_timestamp": "2026-03-01T12:00:00Z",
        "correlation_id": "0b1d3a9e-1111-4222-8333-444455556666",
        "topic": "onex.evt.platform.node-heartbeat.v1",
        "payload_type": "ModelNodeHeartbeatEvent",
        "payload": {
            "node_id": NODE_ID,
            "epoch": 3,
            "uptime_seconds": 120.5,
            "active_operations": 2,
            "timestamp": "2026-03-01T11:59:59Z",
        },
    }
    wire.update(overrides)
    return wire


def decode(wire: dict[str, Any] | str, **kwargs: Any) -> ModelEventEnvelope[Any] | ModelDeadLetter:
    line = wire if isinstance(wire, str) else json.dumps(wire)
    kwargs.setdefault("accepted_at", ACCEPTED)
    return decode_line(line, source="events.jsonl", line_number=7, **kwargs)


def dead(wire: dict[str, Any] | str) -> ModelDeadLetter:
    result = decode(wire)
    assert isinstance(result, ModelDeadLetter), result
    return result


def test_design_example_decodes_to_a_typed_envelope() -> None:
    envelope = decode(heartbeat_wire())
    assert isinstance(envelope, ModelEventEnvelope)
    assert envelope.envelope_id == UUID(ENVELOPE_ID)
    assert envelope.category is EnumMessageCategory.EVENT
    assert envelope.envelope_timestamp == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert isinstance(envelope.payload, ModelNodeHeartbeatEvent)
    assert envelope.payload.node_id == UUID(NODE_ID)
    assert envelope.payload.epoch == 3


def test_round_trip_of_every_payload_type() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    payloads = [
        ModelNodeIntrospectionEvent(
            node_id=uuid4(),
            node_name="n",
            node_type=EnumNodeKind.REDUCER,
            node_version="2.0.0",
            capabilities={"gpu": 2, "tags": ["a"]},
            endpoints={"grpc": "grpc://n:1"},
            reason=EnumIntrospectionReason.CAPABILITY_CHANGE,
            epoch=4,
            timestamp=now,
        ),
        ModelNodeHeartbeatEvent(node_id=uuid4(), epoch=1, uptime_seconds=3.5, timestamp=now),
        ModelRuntimeTick(
            tick_id=uuid4(), now=now, sequence_number=9, scheduler_id="s", tick_interval_ms=500
        ),
    ]
    for payload in payloads:
        envelope = ModelEventEnvelope(envelope_timestamp=now, topic="a.evt.b.c.v1", payload=payload)
        line = encode_envelope(envelope)
        assert "\n" not in line
        assert decode_line(line) == envelope


def test_wire_enums_are_lower_case() -> None:
    envelope = ModelEventEnvelope(
        topic="onex.evt.platform.node-introspection.v1",
        payload=ModelNodeIntrospectionEvent(
            node_id=uuid4(),
            node_name="n",
            node_type=EnumNodeKind.ORCHESTRATOR,
            node_version="1",
            epoch=0,
            timestamp=ACCEPTED,
        ),
    )
    wire = json.loads(encode_envelope(envelope))
    assert wire["payload"]["node_type"] == "orchestrator"
    assert wire["payload"]["reason"] == "startup"
    assert wire["category"] == "event"


@pytest.mark.parametrize(
    ("topic", "category"),
    [
        ("onex.evt.platform.node-heartbeat.v1", EnumMessageCategory.EVENT),
        ("onex.cmd.platform.do-thing.v1", EnumMessageCategory.COMMAND),
        ("onex.intent.platform.runtime-tick.v1", EnumMessageCategory.INTENT),
    ],
)
def test_category_follows_the_topic_when_absent(topic: str, category: EnumMessageCategory) -> None:
    envelope = decode(heartbeat_wire(topic=topic))
    assert isinstance(envelope, ModelEventEnvelope)
    assert envelope.category is category
    assert category_from_topic(topic) is category


def test_explicit_category_wins_over_the_topic() -> None:
    envelope = decode(heartbeat_wire(category="intent"))
    assert isinstance(envelope, ModelEventEnvelope)
    assert envelope.category is EnumMessageCategory.INTENT


@pytest.mark.parametrize("topic", ["heartbeat", "onex.xyz.platform.a.v1", "a.evt.b.c"])
def test_topic_that_implies_no_category_is_an_invalid_envelope(topic: str) -> None:
    letter = dead(heartbeat_wire(topic=topic))
    assert letter.reason is EnumDeadLetterReason.INVALID_ENVELOPE
    assert "category" in letter.detail


def test_absent_timestamp_and_correlation_take_accept_time_and_envelope_id() -> None:
    wire = heartbeat_wire()
    del wire["envelope_timestamp"], wire["correlation_id"]
    envelope = decode(wire)
    assert isinstance(envelope, ModelEventEnvelope)
    assert envelope.envelope_timestamp == ACCEPTED
    assert envelope.correlation_id == envelope.envelope_id


@pytest.mark.parametrize("line", ["{not json", "", "[1, 2", "\x00"])
def test_garbage_is_unparseable_with_its_line(line: str) -> None:
    letter = dead(line)
    assert letter.reason is EnumDeadLetterReason.UNPARSEABLE
    assert letter.envelope_id is None
    assert letter.source == "events.jsonl"
    assert letter.line_number == 7
    assert unescape_raw(letter.raw) if letter.raw_escaped else letter.raw.encode() == line.encode()
    assert letter.raw_escaped is ("\x00" in line)


@pytest.mark.parametrize("line", ["[1, 2]", '"text"', "42", "null"])
def test_json_that_is_not_an_object_is_an_invalid_envelope(line: str) -> None:
    assert dead(line).reason is EnumDeadLetterReason.INVALID_ENVELOPE


@pytest.mark.parametrize("value", [None, "not-a-uuid", 17])
def test_missing_or_bad_envelope_id(value: Any) -> None:
    wire = heartbeat_wire(envelope_id=value)
    if value is None:
        del wire["envelope_id"]
    letter = dead(wire)
    assert letter.reason is EnumDeadLetterReason.INVALID_ENVELOPE
    assert letter.envelope_id is None
    assert "envelope_id" in letter.detail


@pytest.mark.parametrize("missing", ["topic", "payload_type", "payload"])
def test_missing_envelope_fields(missing: str) -> None:
    wire = heartbeat_wire()
    del wire[missing]
    letter = dead(wire)
    assert letter.reason is EnumDeadLetterReason.INVALID_ENVELOPE
    assert missing in letter.detail
    assert letter.envelope_id == UUID(ENVELOPE_ID)


def test_unknown_envelope_field_is_named() -> None:
    letter = dead(heartbeat_wire(headers={}))
    assert letter.reason is EnumDeadLetterReason.INVALID_ENVELOPE
    assert "headers" in letter.detail


def test_naive_envelope_timestamp_is_refused() -> None:
    letter = dead(heartbeat_wire(envelope_timestamp="2026-03-01T12:00:00"))
    assert letter.reason is EnumDeadLetterReason.INVALID_ENVELOPE
    assert "envelope_timestamp" in letter.detail


def test_naive_payload_timestamp_is_an_invalid_envelope_naming_the_field() -> None:
    wire = heartbeat_wire()
    wire["payload"]["timestamp"] = "2026-03-01T11:59:59"
    letter = dead(wire)
    assert letter.reason is EnumDeadLetterReason.INVALID_ENVELOPE
    assert letter.detail.startswith("payload.timestamp:")
    assert "\n" not in letter.detail


def test_payload_missing_a_field_is_an_invalid_payload_naming_it() -> None:
    wire = heartbeat_wire()
    del wire["payload"]["epoch"]
    letter = dead(wire)
    assert letter.reason is EnumDeadLetterReason.INVALID_PAYLOAD
    assert letter.detail.startswith("ModelNodeHeartbeatEvent: epoch:")
    assert letter.envelope_id == UUID(ENVELOPE_ID)


def test_bad_enum_value_is_an_invalid_payload() -> None:
    wire = heartbeat_wire(
        payload_type="ModelNodeIntrospectionEvent",
        payload={
            "node_id": NODE_ID,
            "node_name": "n",
            "node_type": "ORCHESTRATOR",
            "node_version": "1",
            "epoch": 0,
            "timestamp": "2026-03-01T11:59:59+01:00",
        },
    )
    letter = dead(wire)
    assert letter.reason is EnumDeadLetterReason.INVALID_PAYLOAD
    assert "node_type" in letter.detail


def test_unknown_payload_type_keeps_the_raw_payload_for_routing() -> None:
    envelope = decode(heartbeat_wire(payload_type="ModelSomethingElse", payload={"x": 1}))
    assert isinstance(envelope, ModelEventEnvelope)
    assert envelope.payload == {"x": 1}
    assert envelope.payload_type == "ModelSomethingElse"


def test_dead_letter_ids_are_deterministic() -> None:
    assert dead("{bad").dead_letter_id == dead("{bad").dead_letter_id
    other_line = decode_line("{bad", source="events.jsonl", line_number=8)
    assert isinstance(other_line, ModelDeadLetter)
    assert other_line.dead_letter_id != dead("{bad").dead_letter_id
    assert dead_letter_id(UUID(ENVELOPE_ID), source=None, line_number=None, raw="") == (
        dead_letter_id(UUID(ENVELOPE_ID), source="x", line_number=1, raw="y")
    )


def test_offsets_other_than_utc_are_kept() -> None:
    envelope = decode(heartbeat_wire(envelope_timestamp="2026-03-01T13:00:00+01:00"))
    assert isinstance(envelope, ModelEventEnvelope)
    assert envelope.envelope_timestamp == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert envelope.envelope_timestamp.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    "value",
    [
        1772366400,
        1772366400000,
        1.5,
        "1772366400",
        "2026-03-01",
        "2026-03-01T12:00Z",
        "2026-03-01 12:00:00Z",
        "2026-03-01T12:00:00+0100",
        "2026-03-01T12:00:00.1234567Z",
        "2026-W09-7T12:00:00Z",
        "2026-02-30T12:00:00Z",
        "2026-03-01T12:00:00+24:00",
        "\uff12\uff10\uff12\uff16-03-01T12:00:00Z",
        "0001-01-01T00:30:00+01:00",
        "9999-12-31T23:30:00-01:00",
    ],
)
def test_wire_timestamps_have_one_form_with_an_offset(value: Any) -> None:
    letter = dead(heartbeat_wire(envelope_timestamp=value))
    assert letter.reason is EnumDeadLetterReason.INVALID_ENVELOPE
    assert letter.detail.startswith("envelope_timestamp:")
    wire = heartbeat_wire()
    wire["payload"]["timestamp"] = value
    letter = dead(wire)
    assert letter.reason is EnumDeadLetterReason.INVALID_ENVELOPE
    assert letter.detail.startswith("payload.timestamp:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T12:00:00Z", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01t12:00:00.5z", datetime(2026, 3, 1, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2026-03-01T14:00:00.123456+02:00", datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59.999999Z", datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("0001-01-01T00:30:00-01:00", datetime(1, 1, 1, 1, 30, tzinfo=UTC)),
    ],
)
def test_accepted_wire_timestamps(text: str, expected: datetime) -> None:
    envelope = decode(heartbeat_wire(envelope_timestamp=text))
    assert isinstance(envelope, ModelEventEnvelope)
    assert envelope.envelope_timestamp == expected


def test_invalid_utf8_is_unparseable_and_kept_escaped() -> None:
    line = json.dumps(heartbeat_wire()).encode().replace(b"heartbeat", b"heart\xffbeat", 1)
    letter = decode_line(line, source="events.jsonl", line_number=3)
    assert isinstance(letter, ModelDeadLetter)
    assert letter.reason is EnumDeadLetterReason.UNPARSEABLE
    assert letter.envelope_id is None
    assert letter.raw_escaped
    assert unescape_raw(letter.raw) == line
    assert "\ufffd" not in letter.raw


def test_only_the_final_newline_is_removed_from_a_line() -> None:
    assert isinstance(decode_line(json.dumps(heartbeat_wire()) + "\r\n"), ModelEventEnvelope)
    letter = decode_line("{bad\r\n")
    assert isinstance(letter, ModelDeadLetter)
    assert letter.raw == "{bad\r"


def _number_fields(kind: type) -> list[tuple[str, str]]:
    """(payload type, field) for every field of type ``kind`` of every payload the node
    reads."""
    return [
        (name, field)
        for name, model in REGISTRATION_PAYLOADS.models.items()
        for field, info in model.model_fields.items()
        if info.annotation is kind
    ]


def _wire_of(payload_type: str) -> dict[str, Any]:
    """A valid wire envelope of ``payload_type`` (encoded from a model, so every field is
    written)."""
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    payload = {
        "ModelNodeHeartbeatEvent": ModelNodeHeartbeatEvent(
            node_id=UUID(NODE_ID), epoch=1, uptime_seconds=3.5, timestamp=now
        ),
        "ModelNodeIntrospectionEvent": ModelNodeIntrospectionEvent(
            node_id=UUID(NODE_ID),
            node_name="n",
            node_type=EnumNodeKind.EFFECT,
            node_version="1.0.0",
            epoch=1,
            reason=EnumIntrospectionReason.STARTUP,
            timestamp=now,
        ),
        "ModelRuntimeTick": ModelRuntimeTick(
            tick_id=uuid4(), now=now, sequence_number=1, scheduler_id="s", tick_interval_ms=500
        ),
    }[payload_type]
    topic = "a.intent.b.c.v1" if payload_type == "ModelRuntimeTick" else "a.evt.b.c.v1"
    envelope = ModelEventEnvelope(
        envelope_id=UUID(ENVELOPE_ID), envelope_timestamp=now, topic=topic, payload=payload
    )
    wire: dict[str, Any] = json.loads(encode_envelope(envelope))
    return wire


_BEYOND_64_BITS = st.one_of(st.integers(min_value=2**63), st.integers(max_value=-(2**63) - 1)).map(
    str
)
_NOT_FINITE = st.sampled_from(
    ["inf", "-inf", "Infinity", "-Infinity", "INF", "1e400", "-1e999", "nan", "NaN"]
)


@settings(max_examples=200, deadline=None)
@given(
    target_and_text=st.one_of(
        st.tuples(st.sampled_from(_number_fields(int)), st.one_of(_BEYOND_64_BITS, _NOT_FINITE)),
        st.tuples(st.sampled_from(_number_fields(float)), _NOT_FINITE),
    ),
    written_as_number=st.booleans(),
)
def test_numbers_beyond_the_limits_never_pass_however_they_are_written(
    target_and_text: tuple[tuple[str, str], str], written_as_number: bool
) -> None:
    """A number field holding a value beyond the wire limits (an integer outside 64 bits, a
    non-finite number) is dead-lettered, whether it is written as a JSON number or as a string
    the payload model reads as a number."""
    (payload_type, field), text = target_and_text
    wire = _wire_of(payload_type)
    quoted = json.dumps(text)
    line = json.dumps(wire).replace(
        f'"{field}": {json.dumps(wire["payload"][field])}', f'"{field}": {quoted}', 1
    )
    if written_as_number and text.lstrip("-")[:1].isdigit():
        line = line.replace(f'"{field}": {quoted}', f'"{field}": {text}', 1)
    assert line != json.dumps(wire)
    result = decode(line)
    assert isinstance(result, ModelDeadLetter), (line, result)
    assert result.reason in (
        EnumDeadLetterReason.INVALID_ENVELOPE,
        EnumDeadLetterReason.INVALID_PAYLOAD,
    )
    if result.reason is EnumDeadLetterReason.INVALID_ENVELOPE:
        assert result.detail.startswith(f"beyond the wire limits: payload.{field}: ")


def test_a_number_written_as_a_string_is_held_to_the_limits_by_name() -> None:
    wire = heartbeat_wire()
    wire["payload"]["epoch"] = "99999999999999999999"
    assert dead(wire).detail == (
        "beyond the wire limits: payload.epoch: integer 99999999999999999999 is outside the "
        "signed 64-bit range -9223372036854775808 .. 9223372036854775807"
    )
    wire["payload"]["epoch"] = "12"
    envelope = decode(wire)
    assert isinstance(envelope, ModelEventEnvelope)
    assert envelope.payload.epoch == 12
