"""HandlerNodeIntrospected: each introspection row of the lifecycle table (docs/registration.md)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from omnibase_core.enums import EnumCoreErrorCode, EnumMessageCategory, EnumNodeKind
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.protocols import ProtocolMessageHandler
from omnibase_core.services import ServiceHandlerRegistry
from omnibase_infra.enums import EnumIntrospectionReason, EnumRegistrationState
from omnibase_infra.nodes.node_registration_orchestrator.models import ModelIntentUpsertNode
from omnibase_infra.nodes.node_registration_orchestrator.node import NodeRegistrationOrchestrator
from omnibase_infra.nodes.node_registration_orchestrator.registry import (
    RegistryInfraNodeRegistrationOrchestrator,
)

SHUTDOWN = EnumIntrospectionReason.SHUTDOWN
S = timedelta(seconds=1)


def test_is_a_message_handler(harness: Any) -> None:
    handler = harness.introspected
    assert isinstance(handler, ProtocolMessageHandler)
    assert handler.handler_id == "handler-node-introspected"
    assert handler.category is EnumMessageCategory.EVENT
    assert handler.message_types == {"ModelNodeIntrospectionEvent"}
    assert handler.node_kind is EnumNodeKind.ORCHESTRATOR


def test_new_node_becomes_active_with_deadline_from_runtime_clock(harness: Any) -> None:
    node = uuid4()
    node_clock = harness.T0 - 5 * S  # the node's own clock is only for ordering
    out = harness.decide(harness.introspected, harness.intro(node, timestamp=node_clock))
    assert harness.types(out) == ["NodeRegistrationInitiated", "NodeBecameActive"]
    assert out.ignored_reason is None
    row = harness.row(node)
    assert row.state is EnumRegistrationState.ACTIVE
    assert row.liveness_deadline == harness.T0 + timedelta(seconds=60)
    assert row.registered_at == harness.T0
    assert row.node_version == "1.0.0"
    assert row.capabilities == {"db": True}
    assert row.endpoints == {"http": "http://a:8080"}
    assert row.last_heartbeat_at is None
    assert all(event.node_id == node for event in out.events)
    assert all(event.emitted_at == harness.T0 for event in out.events)


def test_event_ids_are_deterministic_for_the_same_envelope(harness: Any) -> None:
    envelope = harness.intro(uuid4())
    with harness.store.transaction() as txn:
        first = asyncio.run(harness.introspected.handle(envelope, txn))
        second = asyncio.run(harness.introspected.handle(envelope, txn))
    assert [e.event_id for e in first.events] == [e.event_id for e in second.events]
    assert len({e.event_id for e in first.events}) == 2


@pytest.mark.parametrize(
    "previous", [EnumRegistrationState.LIVENESS_EXPIRED, EnumRegistrationState.DEREGISTERED]
)
def test_reregistration_from_expired_or_deregistered(
    harness: Any, previous: EnumRegistrationState
) -> None:
    node = uuid4()
    harness.register(node)
    if previous is EnumRegistrationState.DEREGISTERED:
        harness.decide(
            harness.introspected, harness.intro(node, at=harness.T0 + S, reason=SHUTDOWN)
        )
    else:
        harness.decide(harness.tick_handler, harness.tick(harness.T0 + timedelta(minutes=5)))
    assert harness.row(node).state is previous
    later = harness.T0 + timedelta(minutes=10)
    out = harness.decide(harness.introspected, harness.intro(node, at=later))
    assert harness.types(out) == ["NodeRegistrationInitiated", "NodeBecameActive"]
    assert out.events[0].data["previous_state"] == previous.value
    row = harness.row(node)
    assert row.state is EnumRegistrationState.ACTIVE
    assert row.liveness_deadline == later + timedelta(seconds=60)


def test_same_epoch_same_snapshot_only_extends_deadline(harness: Any) -> None:
    node = uuid4()
    harness.register(node)
    before = harness.row(node)
    later = harness.T0 + 30 * S
    out = harness.decide(harness.introspected, harness.intro(node, at=later))
    assert out.events == ()
    assert out.ignored_reason is None
    after = harness.row(node)
    assert after.liveness_deadline == later + timedelta(seconds=60)
    for name in ("state", "epoch", "node_version", "capabilities", "endpoints", "registered_at"):
        assert getattr(after, name) == getattr(before, name)


def test_duplicate_introspection_never_moves_deadline_backward(harness: Any) -> None:
    node = uuid4()
    harness.register(node)
    harness.decide(harness.heartbeat, harness.beat(node, at=harness.T0 + 10 * S))
    deadline = harness.row(node).liveness_deadline
    assert deadline == harness.T0 + 100 * S  # heartbeat: now + liveness_window (90 s)
    harness.decide(harness.introspected, harness.intro(node, at=harness.T0 + 20 * S))
    assert harness.row(node).liveness_deadline == deadline  # 80 s would move it backward


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"epoch": 2}, None),
        ({"version": "1.1.0"}, "node_version"),
        ({"capabilities": {"db": False}}, "capabilities"),
        ({"endpoints": {"http": "http://a:9090"}}, "endpoints"),
    ],
)
def test_newer_epoch_or_changed_snapshot_updates(
    harness: Any, change: dict[str, Any], field: str | None
) -> None:
    node = uuid4()
    harness.register(node)
    later = harness.T0 + 10 * S
    out = harness.decide(harness.introspected, harness.intro(node, at=later, **change))
    assert harness.types(out) == ["NodeRegistrationUpdated"]
    event = out.events[0]
    assert event.data["previous_epoch"] == 1
    if field is not None:
        assert event.data["changed_fields"] == [field]
    row = harness.row(node)
    assert row.state is EnumRegistrationState.ACTIVE
    assert row.epoch == change.get("epoch", 1)
    assert row.node_version == change.get("version", "1.0.0")
    assert row.liveness_deadline == later + timedelta(seconds=60)
    assert row.registered_at == harness.T0


def test_older_epoch_is_ignored_in_any_state(harness: Any) -> None:
    node = uuid4()
    harness.register(node, epoch=5)
    before = harness.row(node)
    out = harness.decide(harness.introspected, harness.intro(node, at=harness.T0 + S, epoch=4))
    assert out.events == ()
    assert out.intents == ()
    assert out.ignored_reason.startswith("stale_epoch:")
    assert harness.row(node) == before
    harness.decide(
        harness.introspected, harness.intro(node, at=harness.T0 + S, epoch=5, reason=SHUTDOWN)
    )
    out = harness.decide(harness.introspected, harness.intro(node, at=harness.T0 + 2 * S, epoch=3))
    assert out.ignored_reason.startswith("stale_epoch:")
    assert harness.row(node).state is EnumRegistrationState.DEREGISTERED


def test_same_epoch_older_node_timestamp_is_ignored_as_out_of_order(harness: Any) -> None:
    node = uuid4()
    harness.decide(harness.introspected, harness.intro(node, timestamp=harness.T0))
    late = harness.intro(node, at=harness.T0 + S, version="0.9.0", timestamp=harness.T0 - S)
    out = harness.decide(harness.introspected, late)
    assert out.ignored_reason.startswith("out_of_order:")
    assert harness.row(node).node_version == "1.0.0"


@pytest.mark.parametrize("from_expired", [False, True])
def test_shutdown_deregisters_active_or_expired(harness: Any, from_expired: bool) -> None:
    node = uuid4()
    harness.register(node)
    at = harness.T0 + S
    if from_expired:
        harness.decide(harness.tick_handler, harness.tick(harness.T0 + timedelta(minutes=2)))
        at = harness.T0 + timedelta(minutes=3)
    out = harness.decide(harness.introspected, harness.intro(node, at=at, reason=SHUTDOWN))
    assert harness.types(out) == ["NodeDeregistered"]
    row = harness.row(node)
    assert row.state is EnumRegistrationState.DEREGISTERED
    assert row.liveness_deadline is None
    assert row.updated_at == at


def test_shutdown_of_unknown_node_is_ignored(harness: Any) -> None:
    node = uuid4()
    out = harness.decide(harness.introspected, harness.intro(node, reason=SHUTDOWN))
    assert out.ignored_reason.startswith("shutdown_of_unknown_node:")
    assert out.events == ()
    assert out.intents == ()
    assert harness.row(node) is None


def test_shutdown_of_deregistered_node_is_ignored(harness: Any) -> None:
    node = uuid4()
    harness.register(node)
    harness.decide(harness.introspected, harness.intro(node, at=harness.T0 + S, reason=SHUTDOWN))
    out = harness.decide(
        harness.introspected, harness.intro(node, at=harness.T0 + 2 * S, reason=SHUTDOWN)
    )
    assert out.ignored_reason.startswith("shutdown_of_deregistered_node:")
    assert out.events == ()


def test_future_dated_timestamp_is_refused_as_clock_skew(harness: Any) -> None:
    envelope = harness.intro(uuid4(), timestamp=harness.T0 + 31 * S)
    with harness.store.transaction() as txn, pytest.raises(ModelOnexError) as caught:
        asyncio.run(harness.introspected.handle(envelope, txn))
    assert caught.value.error_code is EnumCoreErrorCode.VALIDATION_ERROR
    assert caught.value.context["dead_letter_reason"] == "clock_skew"
    assert "max_clock_skew 30s" in caught.value.message


def test_timestamp_exactly_at_the_skew_limit_is_accepted(harness: Any) -> None:
    node = uuid4()
    out = harness.decide(harness.introspected, harness.intro(node, timestamp=harness.T0 + 30 * S))
    assert harness.types(out) == ["NodeRegistrationInitiated", "NodeBecameActive"]


def test_wrong_payload_type_is_an_invalid_payload_error(harness: Any) -> None:
    envelope = harness.beat(uuid4())
    with harness.store.transaction() as txn, pytest.raises(ModelOnexError) as caught:
        asyncio.run(harness.introspected.handle(envelope, txn))
    assert caught.value.context["dead_letter_reason"] == "invalid_payload"


def test_the_node_refuses_to_decide_without_a_transaction(harness: Any) -> None:
    container = ModelONEXContainer()
    container.register_service(
        ServiceHandlerRegistry, RegistryInfraNodeRegistrationOrchestrator.create_registry()
    )
    node = NodeRegistrationOrchestrator(container)
    with pytest.raises(ModelOnexError) as caught:
        asyncio.run(node.process(harness.intro(uuid4())))
    assert caught.value.error_code is EnumCoreErrorCode.INVALID_STATE
    assert "decide(envelope, txn)" in caught.value.message


def test_handler_never_writes(harness: Any) -> None:
    with harness.store.transaction() as txn:
        out = asyncio.run(harness.introspected.handle(harness.intro(uuid4()), txn))
    assert harness.store.list_nodes() == []
    assert list(harness.store.iter_events()) == []
    assert isinstance(out.intents[0], ModelIntentUpsertNode)


def test_naive_timestamps_are_rejected_by_the_payload_model(harness: Any) -> None:
    with pytest.raises(ValueError, match="timezone"):
        harness.intro(uuid4(), timestamp=datetime(2026, 3, 1, 12, 0))
    with pytest.raises(ValueError, match="timezone"):
        ModelEventEnvelope(envelope_timestamp=datetime(2026, 3, 1), payload={})
    assert UTC is not None
