"""The simulated cluster: deterministic, well-formed, and settled before the end."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from uuid import UUID

import pytest

from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.enums import EnumDeadLetterReason
from omnibase_infra.nodes.node_registration_orchestrator.node import REGISTRATION_PAYLOADS
from omnibase_infra.runtime import wire_codec
from omnibase_infra.simulation import (
    EnumSimulatedFate,
    ServiceClusterSimulator,
    ServiceWireStreamWriter,
)

#: The codec with the registration node's payload models, as the engine runs it.
decode_line = partial(wire_codec.decode_line, payloads=REGISTRATION_PAYLOADS)


def test_same_seed_same_history_and_another_seed_another() -> None:
    first = ServiceClusterSimulator(seed=4, nodes=20, minutes=10).simulate()
    again = ServiceClusterSimulator(seed=4, nodes=20, minutes=10).simulate()
    other = ServiceClusterSimulator(seed=5, nodes=20, minutes=10).simulate()

    assert first.envelopes == again.envelopes
    assert first.nodes == again.nodes
    assert first.envelopes != other.envelopes


def test_history_has_every_kind_of_message_in_delivery_order() -> None:
    history = ServiceClusterSimulator(seed=7, nodes=100, minutes=30).simulate()

    kinds = history.count_by_payload_type()
    assert set(kinds) == {
        "ModelNodeIntrospectionEvent",
        "ModelNodeHeartbeatEvent",
        "ModelRuntimeTick",
    }
    assert kinds["ModelRuntimeTick"] == 30 * 60 // 5 + 1
    assert len(history.nodes) == 100
    fates = {n.fate for n in history.nodes}
    assert fates == set(EnumSimulatedFate)
    assert history.total_crashes > 0
    assert any(n.restarts for n in history.nodes)
    first_delivery: dict[UUID, datetime] = {}
    for envelope in history.envelopes:
        first_delivery.setdefault(envelope.envelope_id, envelope.envelope_timestamp)
    stamps = list(first_delivery.values())
    assert stamps == sorted(stamps)


def test_heartbeats_come_every_ten_to_thirty_three_seconds() -> None:
    history = ServiceClusterSimulator(seed=2, nodes=10, minutes=6).simulate()
    last: dict[tuple[UUID, int], datetime] = {}
    gaps = []
    seen = set()
    for envelope in history.envelopes:
        if envelope.payload_type != "ModelNodeHeartbeatEvent" or envelope.envelope_id in seen:
            continue
        seen.add(envelope.envelope_id)
        key = (envelope.payload.node_id, envelope.payload.epoch)
        if key in last:
            gaps.append((envelope.envelope_timestamp - last[key]).total_seconds())
        last[key] = envelope.envelope_timestamp
    assert gaps
    assert all(gap >= 9 for gap in gaps)
    assert min(g for g in gaps if g < 60) >= 9
    assert max(g for g in gaps if g < 60) <= 33.5


def test_every_envelope_round_trips_through_the_wire_codec() -> None:
    history = ServiceClusterSimulator(seed=1, nodes=10, minutes=5).simulate()
    lines = ServiceWireStreamWriter().lines(history.envelopes)

    decoded = [decode_line(line) for line in lines]

    assert decoded == list(history.envelopes)


def test_malformed_lines_are_the_promised_share_and_kinds() -> None:
    history = ServiceClusterSimulator(seed=1, nodes=10, minutes=5).simulate()
    writer = ServiceWireStreamWriter(malformed_fraction=0.2, seed=9)

    lines = writer.lines(history.envelopes)

    bad = len(lines) - len(history.envelopes)
    assert bad == round(len(history.envelopes) * 0.25)
    assert sum(writer.expected_dead_letters.values()) == bad
    assert set(writer.expected_dead_letters) == {
        EnumDeadLetterReason.UNPARSEABLE,
        EnumDeadLetterReason.INVALID_ENVELOPE,
        EnumDeadLetterReason.INVALID_PAYLOAD,
        EnumDeadLetterReason.UNROUTABLE,
    }
    ids = {e.envelope_id for e in history.envelopes}
    for line in lines:
        value = decode_line(line)
        if getattr(value, "reason", None) is not None:
            assert value.envelope_id not in ids


@pytest.mark.parametrize(
    "kwargs",
    [{"nodes": 0}, {"minutes": 1}, {"tick_interval_seconds": 0}, {"liveness_window_seconds": -1}],
)
def test_out_of_range_parameters_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ModelOnexError) as caught:
        ServiceClusterSimulator(**kwargs)  # type: ignore[arg-type]
    assert next(iter(kwargs)) in caught.value.message


def test_malformed_fraction_must_be_below_one() -> None:
    with pytest.raises(ModelOnexError):
        ServiceWireStreamWriter(malformed_fraction=1.0)
