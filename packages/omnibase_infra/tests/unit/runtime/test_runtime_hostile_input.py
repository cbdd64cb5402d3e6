"""Hostile input through the runtime's line path (``run_stream``, what ``onex-registration run``
uses) on every store: every run completes, outcomes add up to the lines, dead letters carry
the file's own line numbers and exact raw lines, and the same input leaves the same registry,
event log and dead letters whatever the batch size, the backend or a re-run."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    ServiceRegistrationRuntime,
)
from omnibase_infra.stores import ProtocolRegistrationStore, open_store
from omnibase_infra.wire import unescape_raw

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NODES = [str(uuid.UUID(int=0xA0 + n)) for n in range(3)]
ENVELOPES = [str(uuid.UUID(int=0xE000 + n)) for n in range(40)]
TOPICS = {
    "ModelNodeIntrospectionEvent": "onex.evt.platform.node-introspection.v1",
    "ModelNodeHeartbeatEvent": "onex.evt.platform.node-heartbeat.v1",
    "ModelRuntimeTick": "onex.intent.platform.runtime-tick.v1",
}

# --- hostile values ------------------------------------------------------------------------------
EXTREME_INTS = st.sampled_from(
    [0, 1, -1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**64, 10**30]
)
HOSTILE_FLOATS = st.sampled_from(
    [0.5, -0.0, 1e23, 1.5e300, 5e-324, 1e16, float("nan"), float("inf"), float("-inf")]
)
HOSTILE_TEXT = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfff", "\ud83d\ude00", "\r", "\u2028", "é"]),
)
LEAVES = st.one_of(st.none(), st.booleans(), EXTREME_INTS, HOSTILE_FLOATS, HOSTILE_TEXT)
JSON_VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE_TEXT, inner, max_size=3),
    max_leaves=6,
)


def _at(seconds: int) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


GOOD_INSTANTS = st.integers(0, 600).map(_at)
HOSTILE_INSTANTS = st.one_of(
    GOOD_INSTANTS,
    st.sampled_from(
        [
            "9999-12-31T23:30:00-01:00",
            "0001-01-01T00:30:00+01:00",
            "9999-12-31T23:59:59.999999Z",
            "0001-01-01T00:00:00Z",
            "2026-03-01T12:00:00",
            "2026-03-01",
            "2026-03-01T12:00:00.1234567Z",
            1772366400,
            1772366400000,
            "1772366400",
        ]
    ),
)


@st.composite
def envelopes(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """One envelope, mostly valid, with hostile values mixed in."""
    payload_type = draw(st.sampled_from([*TOPICS, "ModelSomethingElse"]))
    hostile = draw(st.booleans())
    sent = draw(st.integers(5, 600))
    # a sound message is dated by its node a moment before the runtime accepts it
    instant = HOSTILE_INSTANTS if hostile else st.integers(sent - 5, sent).map(_at)
    if payload_type == "ModelNodeIntrospectionEvent":
        payload: dict[str, Any] = {
            "node_id": draw(st.sampled_from(NODES)),
            "node_name": draw(HOSTILE_TEXT.filter(bool)) if hostile else "node",
            "node_type": "effect",
            "node_version": draw(st.sampled_from(["1.0.0", "2.0.0"])),
            "capabilities": draw(st.dictionaries(HOSTILE_TEXT, JSON_VALUES, max_size=3))
            if hostile
            else draw(st.sampled_from([{}, {"x": 1}, {"x": 1.0}, {"x": 1e23}])),
            "endpoints": {"api": draw(HOSTILE_TEXT)} if hostile else {},
            "reason": draw(st.sampled_from(["startup", "shutdown", "capability_change"])),
            "epoch": draw(EXTREME_INTS.filter(lambda v: v >= 0))
            if hostile
            else draw(st.integers(0, 3)),
            "timestamp": draw(instant),
        }
    elif payload_type == "ModelNodeHeartbeatEvent":
        payload = {
            "node_id": draw(st.sampled_from(NODES)),
            "epoch": draw(st.integers(0, 3)),
            "uptime_seconds": draw(HOSTILE_FLOATS.filter(lambda f: f == f and f >= 0))
            if hostile
            else 1.0,
            "active_operations": draw(EXTREME_INTS.filter(lambda v: v >= 0)) if hostile else 0,
            "timestamp": draw(instant),
        }
    elif payload_type == "ModelRuntimeTick":
        payload = {
            "tick_id": str(uuid.UUID(int=index + 1)),
            "now": draw(HOSTILE_INSTANTS if hostile else GOOD_INSTANTS),
            "sequence_number": index,
            "scheduler_id": "s",
            "tick_interval_ms": 1000,
        }
    else:
        payload = {"anything": draw(JSON_VALUES)}
    wire: dict[str, Any] = {
        "envelope_id": draw(st.sampled_from(ENVELOPES)),
        "envelope_timestamp": draw(instant) if hostile else _at(sent),
        "topic": TOPICS.get(payload_type, "onex.evt.platform.something.v1"),
        "payload_type": payload_type,
        "payload": payload,
    }
    if hostile and draw(st.booleans()):
        wire[draw(HOSTILE_TEXT)] = draw(JSON_VALUES)  # an unknown field, maybe with a bad name
    return wire


@st.composite
def hostile_files(draw: st.DrawFn) -> bytes:
    """A whole input file: envelopes written in various ways, odd line endings, blank lines,
    garbage and invalid UTF-8."""
    parts: list[bytes] = []
    for index in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["envelope"] * 6 + ["blank", "garbage", "bytes"]))
        if kind == "envelope":
            text = json.dumps(draw(envelopes(index)), ensure_ascii=draw(st.booleans()))
            line = text.encode("utf-8", "surrogatepass")  # raw surrogates: invalid UTF-8
            if draw(st.booleans()):
                line = line.replace(b"{", b"{\r", 1)  # a bare CR is whitespace inside a line
        elif kind == "blank":
            line = draw(st.sampled_from([b"", b"  ", b"\t", b"\r", b" \r"]))
        elif kind == "garbage":
            line = draw(st.sampled_from([b"{", b"[1,", b"null", b"\x1c", b"\xef\xbb\xbf{}"]))
        else:
            line = draw(st.binary(max_size=12)).replace(b"\n", b"")
        parts.append(line + draw(st.sampled_from([b"\n", b"\r\n"])))
    data = b"".join(parts)
    if draw(st.booleans()):
        data = data.rstrip(b"\n")  # a last line without a newline
    return data


# --- running -------------------------------------------------------------------------------------
def _snapshot(store: ProtocolRegistrationStore) -> dict[str, Any]:
    return {
        "nodes": [n.model_dump(mode="json") for n in store.list_nodes()],
        "events": [e.model_dump(mode="json") for e in store.iter_events()],
        "dead_letters": sorted(
            (d.model_dump(mode="json", exclude={"recorded_at"}) for d in store.list_dead_letters()),
            key=lambda d: str(d["dead_letter_id"]),
        ),
        "outcomes": {k.value: v for k, v in store.count_outcomes().items()},
    }


def _run_and_check(url: str, data: bytes, batch_size: int) -> dict[str, Any]:
    """Run ``data`` twice through ``run_stream`` on the store at ``url``; check the accounting
    of the first run and that the second changes nothing; returns the store's snapshot."""
    lines = data.split(b"\n")
    if data.endswith(b"\n") or not data:
        lines.pop()
    store = open_store(url)
    try:
        with ServiceRegistrationRuntime(store, batch_size=batch_size) as runtime:
            summary, events = runtime.run_stream(io.BytesIO(data), "hostile.jsonl")
        assert summary.lines == len(lines)
        assert summary.total == (
            summary.applied + summary.ignored + summary.duplicates + summary.dead_lettered
        )
        assert sum(store.count_outcomes().values()) == summary.total - summary.duplicates
        assert len(events) == summary.events_emitted
        for letter in store.list_dead_letters():
            assert letter.line_number is not None
            assert "\ufffd" not in letter.raw or "\ufffd".encode() in lines[letter.line_number - 1]
            raw = unescape_raw(letter.raw) if letter.raw_escaped else letter.raw.encode()
            assert raw == lines[letter.line_number - 1]
        first = _snapshot(store)
        with ServiceRegistrationRuntime(store, batch_size=batch_size) as runtime:
            again, _ = runtime.run_stream(io.BytesIO(data), "hostile.jsonl")
        assert (again.applied, again.ignored) == (0, 0)
        assert _snapshot(store) == first
        return first
    finally:
        store.close()


@pytest.fixture(scope="module")
def sqlite_urls(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], str]:
    """URLs of new SQLite files, one per call (module-scoped: hypothesis runs many examples)."""
    folder: Path = tmp_path_factory.mktemp("hostile")
    return lambda: f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hostile_files())
def test_memory_and_sqlite_agree_whatever_the_batch_size(
    sqlite_urls: Callable[[], str], data: bytes
) -> None:
    reference = _run_and_check("memory://", data, 500)
    assert _run_and_check("memory://", data, 1) == reference
    assert _run_and_check(sqlite_urls(), data, 1) == reference
    assert _run_and_check(sqlite_urls(), data, 500) == reference


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hostile_files())
def test_postgresql_agrees_with_memory_whatever_the_batch_size(
    postgres_server: Any, postgres_url: str, data: bytes
) -> None:
    reference = _run_and_check("memory://", data, 500)
    assert _run_and_check(postgres_server.create_schema(postgres_url), data, 1) == reference
    assert _run_and_check(postgres_server.create_schema(postgres_url), data, 500) == reference
