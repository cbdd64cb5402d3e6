"""The codec's one-pass decode of well-formed lines gives exactly what the full decode gives.

Differential: hypothesis writes whole wire lines (valid envelopes of every payload type with
random values and layouts, and hostile mutations of them) and every line is decoded both ways.
Whenever the one-pass decode returns an envelope, the full decode returns the same envelope:
same class, same fields given, same values of the same types (instants with the same offset
and ``tzinfo`` class, mappings in the same order). Otherwise the line's result is the full
decode's, dead letter included.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.models import ModelDeadLetter
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelNodeHeartbeatEvent,
    ModelNodeIntrospectionEvent,
    ModelRuntimeTick,
)
from omnibase_infra.runtime import ModelPayloadCatalog, wire_codec


class ModelOptionalInstantProbe(BaseModel):
    """A payload with an optional instant, a defaulted float and an open mapping."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seen_at: AwareDatetime | None = None
    label: str = Field(min_length=1)
    weight: float = 0.5
    extra: dict[str, object] = Field(default_factory=dict)


CATALOG = ModelPayloadCatalog(
    (
        ModelNodeIntrospectionEvent,
        ModelNodeHeartbeatEvent,
        ModelRuntimeTick,
        ModelOptionalInstantProbe,
    )
)
ACCEPTED = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
TOPICS = {
    "ModelNodeIntrospectionEvent": "onex.evt.platform.node-introspection.v1",
    "ModelNodeHeartbeatEvent": "onex.evt.platform.node-heartbeat.v1",
    "ModelRuntimeTick": "onex.intent.platform.runtime-tick.v1",
    "ModelOptionalInstantProbe": "onex.cmd.platform.probe.v1",
}
CATEGORIES = {"evt": "event", "cmd": "command", "intent": "intent"}


class Raw(str):
    """JSON text written into a line as it is (a number literal, ``NaN``, broken text...)."""

    __slots__ = ()


class Pairs(list[tuple[str, Any]]):
    """A JSON object as its key/value pairs, in order (so keys may repeat)."""


def dump(value: Any, comma: str, colon: str, ascii_only: bool) -> str:
    """``value`` as JSON text; ``Raw`` leaves are written verbatim."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, Pairs | dict):
        items = value if isinstance(value, Pairs) else list(value.items())
        inner = comma.join(
            f"{json.dumps(key, ensure_ascii=ascii_only)}{colon}"
            f"{dump(member, comma, colon, ascii_only)}"
            for key, member in items
        )
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + comma.join(dump(member, comma, colon, ascii_only) for member in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


# --- values ---------------------------------------------------------------------------------
HOSTILE_NUMBERS = st.sampled_from(
    [
        "NaN",
        "Infinity",
        "-Infinity",
        "1e400",
        "-1e400",
        "1e308",
        "1.7976931348623157e308",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "9223372036854775807.0",
        "9.3e18",
        "-9.3e18",
        "92233720368547758080000",
        "1" * 40,
        "1.0",
        "1e2",
        "1E+2",
        "-0",
        "-0.0",
        "0.1",
        "5e-324",
        "1e-400",
        "2.5",
        "true",
        "null",
        '"5"',
        '"inf"',
        '"1e400"',
        '"99999999999999999999"',
        "[]",
        "{}",
    ]
).map(Raw)
#: Keys the one-pass decode looks for: a plain value never spells one (it would only send the
#: line to the full decode, which the plain-line assertion would take for a miss).
LOOKED_FOR = {"envelope_timestamp", "timestamp", "now", "seen_at", "payload_type"}
TEXT = st.text(st.characters(codec="utf-8"), max_size=12).filter(
    lambda text: text not in LOOKED_FOR
)  # NUL and lone surrogates arrive through escapes, see ``lines``
VALID_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: Raw(repr(f))),
    TEXT,
)
VALID_VALUES = st.recursive(
    VALID_LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
#: Floats a ``float`` field takes in one pass (larger ones may come from a 64-bit overflow).
FIELD_FLOATS = st.floats(-1e18, 1e18).map(lambda f: Raw(repr(f)))
JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: Raw(repr(f))),
    TEXT,
    HOSTILE_NUMBERS,
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.lists(st.tuples(TEXT, inner), max_size=3).map(Pairs)
    ),
    max_leaves=6,
)
GOOD_INSTANTS = st.builds(
    lambda moment, digits, offset: (
        f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}"
        + (f".{moment.microsecond:06d}"[: digits + 1] if digits else "")
        + offset
    ),
    st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31, 23, 59, 59, 999999)),
    st.integers(0, 6),
    st.sampled_from(["Z", "+00:00", "-00:00", "+02:00", "-05:30", "+23:59", "-23:59"]),
)
HOSTILE_INSTANTS = st.one_of(
    st.sampled_from(
        [
            "2026-03-01 12:00:00Z",
            "2026-03-01t12:00:00z",
            "2026-03-01T12:00:00z",
            "2026-03-01T12:00:00.1234567Z",
            "2026-03-01T12:00:00,5Z",
            "2026-03-01T12:00:00+0200",
            "2026-03-01T12:00:00+02",
            "2026-03-01T12:00:00",
            "2026-03-01T12:00Z",
            "2026-03-01",
            "20260301T120000Z",
            "2026-03-01T12:00:60Z",
            "2026-02-30T12:00:00Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01T12:00:00+24:00",
            "2026-03-01T12:00:00+23:60",
            "2026-03-01T12:00:00+02:00:30",
            "0000-01-01T00:00:00Z",
            "0001-01-01T00:30:00+01:00",
            "0001-01-01T01:30:00+01:00",
            "9999-12-31T23:30:00-01:00",
            "9999-12-31T22:30:00-01:00",
            "0002-01-01T00:00:00Z",
            "9998-12-31T23:59:59Z",
            "2026-03-01T12:00:00.Z",
            " 2026-03-01T12:00:00Z",
            "2026-03-01T12:00:00Z ",
            "\uff12\uff10\uff12\uff16-03-01T12:00:00Z",
            "",
        ]
    ),
    st.sampled_from(["1772366400", "1772366400.5", "null", "true", "[]"]).map(Raw),
    GOOD_INSTANTS,
)
UUIDS = st.uuids().map(str)
HOSTILE_UUIDS = st.one_of(
    UUIDS.map(lambda text: "{" + text + "}"),
    UUIDS.map(lambda text: "urn:uuid:" + text),
    UUIDS.map(lambda text: text.replace("-", "")),
    UUIDS.map(str.upper),
    UUIDS.map(lambda text: "{" + text.replace("-", "") + "}"),
    UUIDS.map(lambda text: "uuid:" + text),
    UUIDS.map(lambda text: text[:-1]),
    st.sampled_from(["", "abcdefghijklmnop", "not-a-uuid"]),
    st.integers().map(Raw),
)


@st.composite
def payloads(draw: st.DrawFn, payload_type: str) -> Pairs:
    """A valid payload of ``payload_type`` with random values."""
    instant = draw(GOOD_INSTANTS)
    if payload_type == "ModelNodeIntrospectionEvent":
        fields: dict[str, Any] = {
            "node_id": draw(UUIDS),
            "node_name": draw(TEXT.filter(lambda text: 0 < len(text) <= 256)),
            "node_type": draw(st.sampled_from(["effect", "compute", "reducer", "orchestrator"])),
            "node_version": draw(st.sampled_from(["1.0.0", "2.1.3"])),
            "capabilities": draw(st.dictionaries(TEXT, VALID_VALUES, max_size=3)),
            "endpoints": draw(st.dictionaries(TEXT, TEXT, max_size=2)),
            "reason": draw(st.sampled_from(["startup", "shutdown", "capability_change"])),
            "epoch": draw(st.integers(0, 2**63 - 1)),
            "timestamp": instant,
        }
        optional: tuple[str, ...] = ("capabilities", "endpoints", "reason")
    elif payload_type == "ModelNodeHeartbeatEvent":
        fields = {
            "node_id": draw(UUIDS),
            "epoch": draw(st.integers(0, 2**63 - 1)),
            "uptime_seconds": draw(
                st.one_of(
                    FIELD_FLOATS.filter(lambda f: not f.startswith("-")), st.integers(0, 2**53)
                )
            ),
            "active_operations": draw(st.integers(0, 2**63 - 1)),
            "timestamp": instant,
        }
        optional = ("active_operations",)
    elif payload_type == "ModelRuntimeTick":
        fields = {
            "tick_id": draw(UUIDS),
            "now": instant,
            "sequence_number": draw(st.integers(0, 2**63 - 1)),
            "scheduler_id": draw(TEXT.filter(bool)),
            "tick_interval_ms": draw(st.integers(1, 2**63 - 1)),
        }
        optional = ()
    else:
        fields = {
            "seen_at": draw(st.one_of(st.just(instant), st.none())),
            "label": draw(TEXT.filter(bool)),
            "weight": draw(FIELD_FLOATS),
            "extra": draw(st.dictionaries(TEXT, VALID_VALUES, max_size=2)),
        }
        optional = ("seen_at", "weight", "extra")
    kept = [
        (key, value) for key, value in fields.items() if key not in optional or draw(st.booleans())
    ]
    return Pairs(draw(st.permutations(kept)))


@st.composite
def envelopes(draw: st.DrawFn) -> Pairs:
    """A valid envelope, its fields in random order."""
    payload_type = draw(st.sampled_from(sorted(TOPICS)))
    topic = TOPICS[payload_type]
    fields: list[tuple[str, Any]] = [
        ("envelope_id", draw(UUIDS)),
        ("envelope_timestamp", draw(GOOD_INSTANTS)),
        ("correlation_id", draw(UUIDS)),
        ("topic", topic),
        ("payload_type", payload_type),
        ("category", CATEGORIES[topic.split(".")[1]]),
        ("payload", draw(payloads(payload_type))),
    ]
    if draw(st.booleans()):
        fields.append(("operation", draw(st.one_of(st.none(), TEXT))))
    return Pairs(draw(st.permutations(fields)))


# --- mutations ------------------------------------------------------------------------------
def _replace(pairs: Pairs, key: str, value: Any) -> Pairs:
    return Pairs([(name, value if name == key else member) for name, member in pairs])


def _drop(pairs: Pairs, key: str) -> Pairs:
    return Pairs([(name, member) for name, member in pairs if name != key])


@st.composite
def mutated(draw: st.DrawFn, envelope: Pairs) -> Pairs:
    """``envelope`` with one structural mutation (a rule of the wire the line may break)."""
    payload = next((member for name, member in envelope if name == "payload"), Pairs())
    payload = payload if isinstance(payload, Pairs) else Pairs()
    keys = [name for name, _ in envelope] or ["payload"]
    payload_keys = [name for name, _ in payload] or ["epoch"]
    kind = draw(
        st.sampled_from(
            [
                "drop",
                "null",
                "hostile_instant",
                "hostile_payload_instant",
                "hostile_number",
                "hostile_uuid",
                "blank_topic",
                "spaced_payload_type",
                "unknown_payload_type",
                "unknown_field",
                "unknown_payload_field",
                "duplicate",
                "duplicate_payload",
                "nested_key",
                "odd_topic",
                "any_value",
            ]
        )
    )
    if kind == "drop":
        return _drop(envelope, draw(st.sampled_from(keys)))
    if kind == "null":
        return _replace(envelope, draw(st.sampled_from(keys)), None)
    if kind == "hostile_instant":
        return _replace(envelope, "envelope_timestamp", draw(HOSTILE_INSTANTS))
    if kind == "hostile_payload_instant":
        name = draw(st.sampled_from(["timestamp", "now", "seen_at"]))
        return _replace(envelope, "payload", Pairs([*payload, (name, draw(HOSTILE_INSTANTS))]))
    if kind == "hostile_number":
        name = draw(st.sampled_from(payload_keys))
        inner = _replace(payload, name, draw(HOSTILE_NUMBERS | JSON_VALUES))
        return _replace(envelope, "payload", inner)
    if kind == "hostile_uuid":
        name = draw(st.sampled_from(["envelope_id", "correlation_id"]))
        return _replace(envelope, name, draw(HOSTILE_UUIDS))
    if kind == "blank_topic":
        return _replace(envelope, "topic", draw(st.sampled_from(["", " ", "\t", "\u2003"])))
    if kind == "spaced_payload_type":
        payload_type = next((member for name, member in envelope if name == "payload_type"), "")
        spaced = draw(st.sampled_from([" ", "\t"])) + str(payload_type)
        return _replace(envelope, "payload_type", spaced)
    if kind == "unknown_payload_type":
        return _replace(envelope, "payload_type", draw(st.sampled_from(["ModelX", "", "model"])))
    if kind == "unknown_field":
        return Pairs([*envelope, (draw(TEXT), draw(JSON_VALUES))])
    if kind == "unknown_payload_field":
        return _replace(envelope, "payload", Pairs([*payload, (draw(TEXT), draw(JSON_VALUES))]))
    if kind == "duplicate":
        name = draw(st.sampled_from(keys))
        copy = (name, draw(st.one_of(JSON_VALUES, HOSTILE_INSTANTS, UUIDS)))
        at = draw(st.integers(0, len(envelope)))
        return Pairs([*envelope[:at], copy, *envelope[at:]])
    if kind == "duplicate_payload":
        name = draw(st.sampled_from(payload_keys))
        copy = (name, draw(st.one_of(JSON_VALUES, HOSTILE_INSTANTS, HOSTILE_NUMBERS)))
        at = draw(st.integers(0, len(payload)))
        return _replace(envelope, "payload", Pairs([*payload[:at], copy, *payload[at:]]))
    if kind == "nested_key":
        name = draw(
            st.sampled_from(["envelope_timestamp", "timestamp", "now", "payload_type", "seen_at"])
        )
        value = draw(st.one_of(HOSTILE_INSTANTS, GOOD_INSTANTS, st.sampled_from(sorted(TOPICS))))
        where = "capabilities" if "capabilities" in payload_keys else "extra"
        inner = _replace(payload, where, Pairs([(name, value)]))
        if where not in payload_keys:
            inner = Pairs([*payload, (where, Pairs([(name, value)]))])
        return _replace(envelope, "payload", inner)
    if kind == "odd_topic":
        return _replace(envelope, "topic", draw(TEXT))
    name = draw(st.sampled_from(keys))
    return _replace(envelope, name, draw(JSON_VALUES))


@st.composite
def lines(draw: st.DrawFn) -> tuple[bytes, bool]:
    """One wire line and whether it is a plain valid envelope (unmutated, escape-free)."""
    envelope = draw(envelopes())
    mutations = draw(st.integers(0, 2))
    for _ in range(mutations):
        envelope = draw(mutated(envelope))
    comma, colon = draw(st.sampled_from([(",", ":"), (", ", ": "), (" ,\t", " :\r\n ")]))
    ascii_only = draw(st.booleans())
    text = dump(envelope, comma, colon, ascii_only)
    data = text.encode("utf-8", "surrogatepass")
    edit = draw(
        st.sampled_from(
            ["none"] * 6 + ["byte", "insert", "delete", "escape", "bom", "space", "wrap", "cut"]
        )
    )
    if edit == "byte" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    elif edit == "insert":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    elif edit == "delete" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + data[at + 1 :]
    elif edit == "escape":
        old = draw(st.sampled_from([b"Z", b"T", b"0", b"a", b"e", b"M", b":", b"-"]))
        new = draw(st.sampled_from([b"\\u0000", b"\\ud800", b"\\udc00", b"\\u00e9"]))
        new = new if draw(st.booleans()) else b"\\u%04x" % old[0]
        data = data.replace(old, new, 1)
    elif edit == "bom":
        data = b"\xef\xbb\xbf" + data
    elif edit == "space":
        data = draw(st.sampled_from([b" ", b"\t", b"\r", b"\x0c", b"\xc2\xa0"])) + data
        data += draw(st.sampled_from([b"", b" ", b"\r", b"\x0b"]))
    elif edit == "wrap":
        data = b"[" + data + b"]"
    elif edit == "cut" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    plain = mutations == 0 and edit == "none" and b"\\" not in data
    return data, plain


# --- comparison -----------------------------------------------------------------------------
def shape(value: Any) -> Any:
    """``value`` as nested tuples naming every type, so ``==`` compares types and order too."""
    if isinstance(value, BaseModel):
        return (
            type(value),
            tuple(sorted(value.model_fields_set)),
            tuple((name, shape(member)) for name, member in value.__dict__.items()),
        )
    if isinstance(value, datetime):
        return (datetime, value.isoformat(), type(value.tzinfo), value.utcoffset(), value.tzname())
    if isinstance(value, dict):
        return (dict, tuple((shape(key), shape(member)) for key, member in value.items()))
    if isinstance(value, list | tuple):
        return (type(value), tuple(shape(member) for member in value))
    if isinstance(value, float):
        return (float, repr(value))
    if isinstance(value, Enum):
        return (type(value), value.value)
    return (type(value), value)


def dead_letter_shape(letter: ModelDeadLetter) -> dict[str, Any]:
    return letter.model_dump(exclude={"recorded_at"})


def check_line(data: bytes) -> ModelEventEnvelope[Any] | None:
    """Decode ``data`` both ways and compare; returns the one-pass envelope, if any."""
    data = wire_codec.line_bytes(data)  # as decode_line reads it (a final newline dropped)
    slow = wire_codec._decode_fully(
        data, payloads=CATALOG, source="in.jsonl", line_number=3, accepted_at=ACCEPTED
    )
    plan = wire_codec._fast_plan(data, CATALOG)
    fast = None if plan is None else plan.decode(data)
    if fast is not None:
        assert isinstance(slow, ModelEventEnvelope), (data, slow)
        assert shape(fast) == shape(slow), data
    whole = wire_codec.decode_line(
        data, payloads=CATALOG, source="in.jsonl", line_number=3, accepted_at=ACCEPTED
    )
    if isinstance(slow, ModelDeadLetter):
        assert isinstance(whole, ModelDeadLetter), data
        assert dead_letter_shape(whole) == dead_letter_shape(slow), data
    else:
        assert shape(whole) == shape(slow), data
    return fast


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=lines())
def test_one_pass_decode_equals_the_full_decode(line: tuple[bytes, bool]) -> None:
    data, plain = line
    fast = check_line(data)
    event("one pass" if fast is not None else "full decode")
    if plain:
        # a plain valid envelope really takes the one pass (else this test proves nothing)
        assert fast is not None, data


def _line(**overrides: Any) -> str:
    wire: dict[str, Any] = {
        "envelope_id": str(uuid.UUID(int=1)),
        "envelope_timestamp": "2026-03-01T12:00:00Z",
        "correlation_id": str(uuid.UUID(int=2)),
        "topic": "onex.evt.platform.node-heartbeat.v1",
        "payload_type": "ModelNodeHeartbeatEvent",
        "category": "event",
        "payload": {
            "node_id": str(uuid.UUID(int=3)),
            "epoch": 1,
            "uptime_seconds": 1.5,
            "active_operations": 0,
            "timestamp": "2026-03-01T11:59:59.5+02:00",
        },
    }
    wire.update(overrides)
    return json.dumps(wire, separators=(",", ":"))


BASE = _line()


@pytest.mark.parametrize(
    "line",
    [
        BASE.replace('"epoch":1', '"epoch":9223372036854775808'),
        BASE.replace('"uptime_seconds":1.5', '"uptime_seconds":9223372036854775808'),
        BASE.replace('"uptime_seconds":1.5', '"uptime_seconds":1e400'),
        BASE.replace('"uptime_seconds":1.5', '"uptime_seconds":Infinity'),
        BASE.replace('"uptime_seconds":1.5', '"uptime_seconds":NaN'),
        BASE.replace('"active_operations":0', '"active_operations":99999999999999999999'),
        BASE.replace("12:00:00Z", "12:00:00\\u0000Z"),
        BASE.replace("node-heartbeat", "node\\ud800-heartbeat"),
        BASE.replace('"category":"event"', '"category":"event","extra":1'),
        BASE.replace('"epoch":1', '"epoch":1,"epoch":9223372036854775808'),
        BASE.replace('"2026-03-01T12:00:00Z"', '"2026-03-01 12:00:00Z"'),
        BASE.replace('"2026-03-01T12:00:00Z"', '"2026-03-01T12:00:00.1234567Z"'),
        BASE.replace('"2026-03-01T12:00:00Z"', "1772366400"),
        BASE.replace('"2026-03-01T12:00:00Z"', '"2026-03-01T12:00:00+0200"'),
        BASE.replace('"2026-03-01T12:00:00Z"', '"0001-01-01T00:30:00+01:00"'),
        BASE.replace('"2026-03-01T11:59:59.5+02:00"', '"9999-12-31T23:30:00-01:00"'),
        BASE.replace(
            '"envelope_timestamp":"2026-03-01T12:00:00Z"',
            '"envelope_timestamp":"2026-03-01T12:00:00Z","envelope_timestamp":"2026-03-01 12:00Z"',
        ),
        "\ufeff" + BASE,
        BASE[:-1] + "  ",
        f"[{BASE}]",
    ],
)
def test_one_pass_decode_refuses_what_the_full_decode_refuses(line: str) -> None:
    data = line.encode("utf-8")
    slow = wire_codec._decode_fully(
        data, payloads=CATALOG, source="in.jsonl", line_number=3, accepted_at=ACCEPTED
    )
    assert isinstance(slow, ModelDeadLetter)
    assert check_line(data) is None


@pytest.mark.parametrize(
    "line",
    [
        json.dumps({k: v for k, v in json.loads(BASE).items() if k != "category"}),
        json.dumps({k: v for k, v in json.loads(BASE).items() if k != "envelope_timestamp"}),
        json.dumps({k: v for k, v in json.loads(BASE).items() if k != "correlation_id"}),
        _line(payload_type=" ModelNodeHeartbeatEvent"),
        _line(topic="onex.cmd.platform.node-heartbeat.v1").replace('"category":"event",', ""),
    ],
)
def test_fields_the_full_decode_fills_in_take_the_full_decode(line: str) -> None:
    slow = wire_codec._decode_fully(
        line.encode(), payloads=CATALOG, source="in.jsonl", line_number=3, accepted_at=ACCEPTED
    )
    assert isinstance(slow, ModelEventEnvelope)
    assert check_line(line.encode()) is None


def test_a_plain_line_takes_the_one_pass_with_standard_instants() -> None:
    envelope = check_line(BASE.encode())
    assert envelope is not None
    assert envelope.envelope_timestamp.tzinfo is UTC
    assert type(envelope.payload.timestamp.tzinfo) is type(UTC)
