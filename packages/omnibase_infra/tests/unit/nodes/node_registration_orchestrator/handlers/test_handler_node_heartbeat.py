"""HandlerNodeHeartbeat: every heartbeat row of the lifecycle table (docs/registration.md)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.protocols import ProtocolMessageHandler
from omnibase_infra.enums import EnumIntrospectionReason, EnumRegistrationState

S = timedelta(seconds=1)


def test_is_a_message_handler(harness: Any) -> None:
    handler = harness.heartbeat
    assert isinstance(handler, ProtocolMessageHandler)
    assert handler.handler_id == "handler-node-heartbeat"
    assert handler.category is EnumMessageCategory.EVENT
    assert handler.message_types == {"ModelNodeHeartbeatEvent"}
    assert handler.node_kind is EnumNodeKind.ORCHESTRATOR


def test_active_heartbeat_moves_deadline_to_now_plus_window(harness: Any) -> None:
    node = uuid4()
    harness.register(node)
    at = harness.T0 + 20 * S
    out = harness.decide(harness.heartbeat, harness.beat(node, at=at, timestamp=at - S))
    assert out.events == ()
    assert out.ignored_reason is None
    row = harness.row(node)
    assert row.state is EnumRegistrationState.ACTIVE
    assert row.last_heartbeat_at == at - S  # the node's timestamp
    assert row.liveness_deadline == at + timedelta(seconds=90)  # the runtime's clock


def test_last_heartbeat_only_moves_forward(harness: Any) -> None:
    node = uuid4()
    harness.register(node)
    harness.decide(harness.heartbeat, harness.beat(node, at=harness.T0 + 10 * S))
    # A reordered, older heartbeat arrives later.
    late = harness.beat(node, at=harness.T0 + 11 * S, timestamp=harness.T0 + 5 * S)
    harness.decide(harness.heartbeat, late)
    row = harness.row(node)
    assert row.last_heartbeat_at == harness.T0 + 10 * S
    assert row.liveness_deadline == harness.T0 + 101 * S


def test_deadline_never_moves_backward(harness: Any) -> None:
    node = uuid4()
    harness.register(node)
    harness.decide(harness.heartbeat, harness.beat(node, at=harness.T0 + 50 * S))
    # Accepted earlier by the runtime (e.g. replayed input): now + window is earlier.
    harness.decide(harness.heartbeat, harness.beat(node, at=harness.T0 + 10 * S))
    assert harness.row(node).liveness_deadline == harness.T0 + 140 * S


def test_older_epoch_heartbeat_is_ignored(harness: Any) -> None:
    node = uuid4()
    harness.register(node, epoch=3)
    before = harness.row(node)
    out = harness.decide(harness.heartbeat, harness.beat(node, at=harness.T0 + S, epoch=2))
    assert out.ignored_reason.startswith("stale_epoch:")
    assert out.intents == ()
    assert out.events == ()
    assert harness.row(node) == before


@pytest.mark.parametrize("situation", ["unknown", "liveness_expired", "deregistered"])
def test_heartbeat_from_inactive_node_requests_introspection_once_per_interval(
    harness: Any, situation: str
) -> None:
    node = uuid4()
    start = harness.T0
    if situation != "unknown":
        harness.register(node)
        if situation == "deregistered":
            shutdown = harness.intro(node, at=start + S, reason=EnumIntrospectionReason.SHUTDOWN)
            harness.decide(harness.introspected, shutdown)
        else:
            harness.decide(harness.tick_handler, harness.tick(start + timedelta(minutes=2)))
        start = start + timedelta(minutes=3)
    before = harness.row(node)

    first = harness.decide(harness.heartbeat, harness.beat(node, at=start))
    assert harness.types(first) == ["NodeIntrospectionRequested"]
    assert first.events[0].data["registration_state"] == situation
    assert harness.row(node) == before  # no state change

    again = harness.decide(harness.heartbeat, harness.beat(node, at=start + 59 * S))
    assert again.events == ()
    assert again.ignored_reason.startswith("introspection_already_requested:")

    after_interval = harness.decide(harness.heartbeat, harness.beat(node, at=start + 60 * S))
    assert harness.types(after_interval) == ["NodeIntrospectionRequested"]
    assert harness.row(node) == before


def test_future_dated_heartbeat_is_clock_skew(harness: Any) -> None:
    envelope = harness.beat(uuid4(), timestamp=harness.T0 + timedelta(minutes=5))
    with harness.store.transaction() as txn, pytest.raises(ModelOnexError) as caught:
        asyncio.run(harness.heartbeat.handle(envelope, txn))
    assert caught.value.context["dead_letter_reason"] == "clock_skew"


def test_heartbeat_from_the_past_is_fine(harness: Any) -> None:
    node = uuid4()
    harness.register(node)
    out = harness.decide(harness.heartbeat, harness.beat(node, timestamp=harness.T0 - 3600 * S))
    assert out.ignored_reason is None
