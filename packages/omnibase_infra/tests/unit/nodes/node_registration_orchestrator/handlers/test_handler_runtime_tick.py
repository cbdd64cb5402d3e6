"""HandlerRuntimeTick: liveness expiry, stale ticks, batching and partitions.

The rules are the tick rows of docs/registration.md, *The lifecycle*.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.protocols import ProtocolMessageHandler
from omnibase_infra.enums import EnumRegistrationState
from omnibase_infra.models import ModelPartition
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelIntentAdvanceTickClock,
    ModelRegistrationSettings,
)

S = timedelta(seconds=1)
EXPIRED = EnumRegistrationState.LIVENESS_EXPIRED


def test_is_a_message_handler(harness: Any) -> None:
    handler = harness.tick_handler
    assert isinstance(handler, ProtocolMessageHandler)
    assert handler.handler_id == "handler-runtime-tick"
    assert handler.category is EnumMessageCategory.INTENT
    assert handler.message_types == {"ModelRuntimeTick"}
    assert handler.node_kind is EnumNodeKind.ORCHESTRATOR


def test_tick_with_nothing_due_only_advances_the_clock(harness: Any) -> None:
    node = uuid4()
    harness.register(node)
    out = harness.decide(harness.tick_handler, harness.tick(harness.T0 + 60 * S))
    assert out.events == ()
    assert out.ignored_reason is None
    assert out.intents == (
        ModelIntentAdvanceTickClock(partition_key="0/1", now=harness.T0 + 60 * S),
    )
    assert harness.row(node).state is EnumRegistrationState.ACTIVE  # deadline == now: not due


def test_overdue_node_expires_exactly_once(harness: Any) -> None:
    node = uuid4()
    harness.register(node)
    deadline = harness.row(node).liveness_deadline
    out = harness.decide(harness.tick_handler, harness.tick(harness.T0 + 61 * S))
    assert harness.types(out) == ["NodeLivenessExpired"]
    assert out.events[0].node_id == node
    assert out.events[0].data["liveness_deadline"] == deadline.isoformat()
    assert out.events[0].emitted_at == harness.T0 + 61 * S
    row = harness.row(node)
    assert row.state is EXPIRED
    assert row.updated_at == harness.T0 + 61 * S
    again = harness.decide(harness.tick_handler, harness.tick(harness.T0 + 120 * S))
    assert again.events == ()


def test_tick_older_than_the_newest_is_ignored(harness: Any) -> None:
    node = uuid4()
    harness.register(node)
    harness.decide(harness.tick_handler, harness.tick(harness.T0 + 30 * S))
    stale = harness.decide(harness.tick_handler, harness.tick(harness.T0 + 10 * S))
    assert stale.ignored_reason.startswith("stale_tick:")
    assert stale.intents == ()
    assert stale.events == ()
    same = harness.decide(harness.tick_handler, harness.tick(harness.T0 + 30 * S))
    assert same.ignored_reason is None  # only strictly older ticks are stale


def test_expiry_is_claimed_in_batches(harness: Any) -> None:
    harness = type(harness)(ModelRegistrationSettings(expiry_batch_size=3), ModelPartition())
    nodes = [uuid4() for _ in range(7)]
    for index, node in enumerate(nodes):
        harness.register(node, at=harness.T0 + index * S)
    late = harness.T0 + timedelta(minutes=10)
    sizes = [len(harness.decide(harness.tick_handler, harness.tick(late)).events) for _ in range(4)]
    assert sizes == [3, 3, 1, 0]
    assert all(harness.row(node).state is EXPIRED for node in nodes)


def test_oldest_deadline_expires_first(harness: Any) -> None:
    harness = type(harness)(ModelRegistrationSettings(expiry_batch_size=1), ModelPartition())
    newer, older = uuid4(), uuid4()
    harness.register(newer, at=harness.T0 + 5 * S)
    harness.register(older, at=harness.T0)
    out = harness.decide(harness.tick_handler, harness.tick(harness.T0 + timedelta(minutes=5)))
    assert [event.node_id for event in out.events] == [older]


def test_tick_expires_only_nodes_of_its_partition(harness: Any) -> None:
    partition = ModelPartition(index=0, count=2)
    harness = type(harness)(ModelRegistrationSettings(), partition)
    owned: list[UUID] = []
    foreign: list[UUID] = []
    while len(owned) < 3 or len(foreign) < 3:
        node = uuid4()
        (owned if partition.owns(node) else foreign).append(node)
    for node in owned + foreign:
        harness.register(node)
    out = harness.decide(harness.tick_handler, harness.tick(harness.T0 + timedelta(minutes=5)))
    assert {event.node_id for event in out.events} == set(owned)
    assert all(harness.row(node).state is EnumRegistrationState.ACTIVE for node in foreign)
    assert out.intents[-1] == ModelIntentAdvanceTickClock(
        partition_key="0/2", now=harness.T0 + timedelta(minutes=5)
    )


def test_stale_tick_rule_is_kept_per_partition(harness: Any) -> None:
    first = type(harness)(ModelRegistrationSettings(), ModelPartition(index=0, count=2))
    first.decide(first.tick_handler, first.tick(first.T0 + 60 * S))
    other = type(harness)(
        ModelRegistrationSettings(), ModelPartition(index=1, count=2), store=first.store
    )
    out = other.decide(other.tick_handler, other.tick(first.T0 + 10 * S))
    assert out.ignored_reason is None


def test_ticks_have_distinct_event_ids_per_expiry(harness: Any) -> None:
    for _ in range(3):
        harness.register(uuid4())
    out = harness.decide(harness.tick_handler, harness.tick(harness.T0 + timedelta(minutes=5)))
    assert len({event.event_id for event in out.events}) == 3
