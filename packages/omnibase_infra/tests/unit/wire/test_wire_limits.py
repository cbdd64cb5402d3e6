"""The wire limits, each enforced once at the codec for the whole class of values: a line
breaking one is ``invalid_envelope`` naming the field's path; a line within them decodes."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import EnumDeadLetterReason
from omnibase_infra.models import ModelDeadLetter
from omnibase_infra.nodes.node_registration_orchestrator.node import REGISTRATION_PAYLOADS
from omnibase_infra.runtime import wire_codec
from omnibase_infra.wire import (
    INT64_MAX,
    INT64_MIN,
    find_violation,
    load_wire_json,
    parse_wire_instant,
)
from omnibase_infra.wire.wire_text import UNSTORABLE_CHARACTERS

#: The codec with the registration node's payload models, as the engine runs it.
decode_line = partial(wire_codec.decode_line, payloads=REGISTRATION_PAYLOADS)

ENVELOPE_ID = "7f6c3a9e-1111-4222-8333-444455556666"


def introspection(**payload: Any) -> dict[str, Any]:
    return {
        "envelope_id": ENVELOPE_ID,
        "envelope_timestamp": "2026-03-01T12:00:00Z",
        "topic": "onex.evt.platform.node-introspection.v1",
        "payload_type": "ModelNodeIntrospectionEvent",
        "payload": {
            "node_id": "4c2e3a9e-1111-4222-8333-444455556666",
            "node_name": "n",
            "node_type": "effect",
            "node_version": "1",
            "epoch": 1,
            "timestamp": "2026-03-01T12:00:00Z",
            **payload,
        },
    }


def decode(text: str) -> ModelEventEnvelope[Any] | ModelDeadLetter:
    return decode_line(text, source="in.jsonl", line_number=1)


def refused_at(text: str, path: str) -> ModelDeadLetter:
    letter = decode(text)
    assert isinstance(letter, ModelDeadLetter), letter
    assert letter.reason is EnumDeadLetterReason.INVALID_ENVELOPE, letter.detail
    assert f"{path}:" in letter.detail, letter.detail
    assert UNSTORABLE_CHARACTERS.search(letter.detail) is None
    assert "\n" not in letter.detail
    return letter


out_of_range = st.one_of(st.integers(min_value=INT64_MAX + 1), st.integers(max_value=INT64_MIN - 1))


@given(st.integers(min_value=INT64_MIN, max_value=INT64_MAX))
@example(INT64_MIN)
@example(INT64_MAX)
def test_every_64_bit_integer_is_accepted_anywhere(value: int) -> None:
    envelope = decode(json.dumps(introspection(epoch=max(value, 0), capabilities={"x": [value]})))
    assert isinstance(envelope, ModelEventEnvelope)
    assert envelope.payload.capabilities == {"x": [value]}


@given(out_of_range.map(str) | st.integers(4000, 6000).map(lambda digits: "9" * digits))
@example(str(INT64_MAX + 1))
@example(str(INT64_MIN - 1))
def test_integers_beyond_64_bits_are_refused_with_their_path(literal: str) -> None:
    # written as text: json.dumps itself refuses integers of more than 4300 digits
    text = json.dumps(introspection(capabilities={"deep": {"list": [0, "HERE"]}}))
    refused_at(text.replace('"HERE"', literal), "payload.capabilities.deep.list[1]")
    if not literal.startswith("-"):
        refused_at(json.dumps(introspection(epoch="HERE")).replace('"HERE"', literal), "epoch")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
def test_non_finite_numbers_are_refused_with_their_path(literal: str) -> None:
    text = json.dumps(introspection(capabilities={"x": "HERE"})).replace('"HERE"', literal)
    refused_at(text, "payload.capabilities.x")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_finite_numbers_are_kept_exactly(value: float) -> None:
    envelope = decode(json.dumps(introspection(capabilities={"x": value})))
    assert isinstance(envelope, ModelEventEnvelope)
    kept = envelope.payload.capabilities["x"]
    assert math.copysign(1.0, kept) == math.copysign(1.0, value)
    assert kept == value


bad_text = st.builds(
    lambda before, bad, after: before + bad + after,
    st.text(max_size=5),
    st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]),
    st.text(max_size=5),
)


@given(bad_text)
def test_nul_and_lone_surrogates_are_refused_in_values_and_keys(text: str) -> None:
    # json.dumps writes them as \\u escapes: the line itself is valid UTF-8
    refused_at(json.dumps(introspection(node_name=text)), "payload.node_name")
    refused_at(json.dumps(introspection(capabilities={"a": {text: 1}})), "payload.capabilities.a")
    refused_at(json.dumps({**introspection(), text: 1}), "(root)")
    refused_at(json.dumps(introspection(endpoints={"api": text})), "payload.endpoints.api")


def test_a_surrogate_pair_is_one_character_and_accepted() -> None:
    envelope = decode(json.dumps(introspection(node_name="\U0001f600")))
    assert isinstance(envelope, ModelEventEnvelope)
    assert envelope.payload.node_name == "\U0001f600"


offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def _wire(moment: datetime) -> str:
    offset = moment.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{moment.replace(tzinfo=None).isoformat()}{sign}{hours:02}:{rest:02}"


@given(st.datetimes(timezones=offsets))
def test_an_instant_is_accepted_exactly_when_its_utc_form_lies_in_years_1_to_9999(
    moment: datetime,
) -> None:
    text = _wire(moment)
    try:
        moment.astimezone(UTC)
        in_range = True
    except OverflowError:
        in_range = False
    if in_range:
        assert parse_wire_instant(text) == moment
        envelope = decode(json.dumps(introspection(timestamp=text)))
        assert isinstance(envelope, ModelEventEnvelope)
        assert envelope.payload.timestamp == moment
    else:
        refused_at(json.dumps(introspection(timestamp=text)), "payload.timestamp")
        with pytest.raises(ValueError, match="years 1 to 9999"):
            parse_wire_instant(text)


@given(st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none())
def test_bare_numbers_are_never_instants(value: Any) -> None:
    wire = introspection()
    wire["envelope_timestamp"] = value
    if value is None:  # absent: the accept time is used
        assert isinstance(decode(json.dumps(wire)), ModelEventEnvelope)
    else:
        refused_at(json.dumps(wire), "envelope_timestamp")


def test_find_violation_walks_python_values_too() -> None:
    assert find_violation({"a": [1, "x", None, True, 2.5]}) is None
    assert find_violation({"a": {1: "x"}}) == "a: mapping key 1 is a int, not a string"
    assert find_violation({"a": {1, 2}}) == "a: a set is not a JSON value"
    assert (find_violation([[[[2**64]]]], "root") or "").startswith("root[0][0][0][0]: integer")
    deep: Any = 0
    for _ in range(20_000):
        deep = [deep]
    assert find_violation(deep) is None


HOSTILE_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([INT64_MAX, INT64_MIN, INT64_MAX + 1, INT64_MIN - 1]),
    st.floats(),
    st.text(max_size=6),
    st.sampled_from(["\x00", "\ud800", "\udfff", "NaN", "Infinity", "\\u0000"]),
    st.datetimes(timezones=offsets),
)
HOSTILE_VALUES = st.recursive(
    HOSTILE_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(max_size=4) | st.sampled_from(["\x00", "\udc80"]), inner, max_size=3
        )
    ),
    max_leaves=8,
)


@given(HOSTILE_VALUES)
def test_the_fast_walk_never_passes_a_value_the_precise_walk_refuses(value: Any) -> None:
    from omnibase_infra.wire.wire_limits import _locate_violation

    assert find_violation(value) == _locate_violation(value, "")


@given(HOSTILE_VALUES.filter(lambda v: not isinstance(v, datetime)), st.booleans())
def test_a_line_is_walked_whenever_a_value_may_break_the_limits(
    value: Any, ensure_ascii: bool
) -> None:
    try:
        text = json.dumps(value, ensure_ascii=ensure_ascii, default=str)
        text.encode("utf-8")
    except ValueError:  # an integer json.dumps cannot write, or a raw surrogate: the codec
        return  # refuses such a line as invalid UTF-8 before parsing it
    parsed, may_break = load_wire_json(text)
    assert find_violation(parsed) is None or may_break
