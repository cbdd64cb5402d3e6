"""ServiceRegistrationRuntime on the memory store: batching, exactly-once, dead letters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from omnibase_core.enums import EnumCoreErrorCode, EnumMessageCategory, EnumNodeKind
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import (
    EnumIntrospectionReason,
    EnumMessageOutcome,
    EnumRegistrationState,
)
from omnibase_infra.models import ModelPartition
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelNodeHeartbeatEvent,
    ModelNodeIntrospectionEvent,
    ModelRegistrationSettings,
    ModelRuntimeTick,
)
from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    ServiceRegistrationRuntime,
)
from omnibase_infra.runtime import ModelRunSummary, encode_envelope
from omnibase_infra.stores.store_registration_memory import StoreRegistrationMemory

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def intro(
    node: UUID,
    at: datetime = T0,
    *,
    epoch: int = 1,
    reason: EnumIntrospectionReason = EnumIntrospectionReason.STARTUP,
    timestamp: datetime | None = None,
) -> ModelEventEnvelope[Any]:
    return ModelEventEnvelope(
        envelope_timestamp=at,
        topic="onex.evt.platform.node-introspection.v1",
        payload=ModelNodeIntrospectionEvent(
            node_id=node,
            node_name=f"node-{str(node)[:8]}",
            node_type=EnumNodeKind.EFFECT,
            node_version="1.0.0",
            reason=reason,
            epoch=epoch,
            timestamp=timestamp or at,
        ),
    )


def beat(node: UUID, at: datetime = T0, *, epoch: int = 1) -> ModelEventEnvelope[Any]:
    return ModelEventEnvelope(
        envelope_timestamp=at,
        topic="onex.evt.platform.node-heartbeat.v1",
        payload=ModelNodeHeartbeatEvent(node_id=node, epoch=epoch, uptime_seconds=1, timestamp=at),
    )


def tick(now: datetime) -> ModelEventEnvelope[Any]:
    return ModelEventEnvelope(
        envelope_timestamp=now,
        topic="onex.intent.platform.runtime-tick.v1",
        category=EnumMessageCategory.INTENT,
        payload=ModelRuntimeTick(
            tick_id=uuid4(), now=now, sequence_number=1, scheduler_id="s", tick_interval_ms=1000
        ),
    )


@pytest.fixture
def store() -> StoreRegistrationMemory:
    return StoreRegistrationMemory()


@pytest.fixture
def runtime(store: StoreRegistrationMemory) -> Iterator[ServiceRegistrationRuntime]:
    with ServiceRegistrationRuntime(store, batch_size=3) as built:
        yield built


def lifecycle(nodes: list[UUID]) -> list[ModelEventEnvelope[Any]]:
    """Register every node, heartbeat the first, shut the second down, let the rest expire."""
    inputs = [intro(node, T0 + index * S) for index, node in enumerate(nodes)]
    inputs.append(beat(nodes[0], T0 + 50 * S))
    inputs.append(intro(nodes[1], T0 + 51 * S, reason=EnumIntrospectionReason.SHUTDOWN))
    inputs.append(tick(T0 + 120 * S))
    return inputs


def test_a_lifecycle_reaches_the_predicted_states(
    runtime: ServiceRegistrationRuntime, store: StoreRegistrationMemory
) -> None:
    nodes = [uuid4() for _ in range(4)]
    summary, events = runtime.apply(lifecycle(nodes))
    assert summary.total == 7
    assert summary.applied == 7
    states = {row.node_id: row.state for row in store.list_nodes()}
    assert states[nodes[0]] is EnumRegistrationState.ACTIVE  # heartbeat: deadline T0+140 s
    assert states[nodes[1]] is EnumRegistrationState.DEREGISTERED
    assert states[nodes[2]] is EnumRegistrationState.LIVENESS_EXPIRED
    assert states[nodes[3]] is EnumRegistrationState.LIVENESS_EXPIRED
    assert [event.event_type.value for event in events] == [
        *["NodeRegistrationInitiated", "NodeBecameActive"] * 4,
        "NodeDeregistered",
        "NodeLivenessExpired",
        "NodeLivenessExpired",
    ]
    assert [e.event_id for e in events] == [e.event_id for e in store.iter_events()]
    assert summary.events_emitted == len(events)


def test_batches_commit_and_report_progress(
    runtime: ServiceRegistrationRuntime, store: StoreRegistrationMemory
) -> None:
    seen: list[ModelRunSummary] = []
    batches: list[int] = []
    summary, _ = runtime.apply(
        lifecycle([uuid4() for _ in range(4)]),
        progress=seen.append,
        on_events=lambda events: batches.append(len(events)),
    )
    assert summary.batches == 3  # 7 inputs in batches of 3
    assert [s.total for s in seen] == [3, 6, 7]
    assert sum(batches) == summary.events_emitted
    assert store.count_outcomes()[EnumMessageOutcome.APPLIED] == 7


def test_redelivery_changes_nothing_and_emits_nothing(
    runtime: ServiceRegistrationRuntime, store: StoreRegistrationMemory
) -> None:
    inputs = lifecycle([uuid4() for _ in range(4)])
    runtime.apply(inputs)
    nodes_before = store.list_nodes()
    events_before = list(store.iter_events())
    summary, events = runtime.apply(inputs)
    assert summary.duplicates == len(inputs)
    assert summary.applied == 0
    assert events == []
    assert store.list_nodes() == nodes_before
    assert list(store.iter_events()) == events_before


def test_duplicate_within_one_batch_is_applied_once(runtime: ServiceRegistrationRuntime) -> None:
    envelope = intro(uuid4())
    summary, events = runtime.apply([envelope, envelope])
    assert (summary.applied, summary.duplicates) == (1, 1)
    assert len(events) == 2


def test_ignored_messages_are_counted_by_reason(runtime: ServiceRegistrationRuntime) -> None:
    node = uuid4()
    summary, _ = runtime.apply(
        [
            intro(node, epoch=2),
            beat(node, T0 + S, epoch=1),
            intro(uuid4(), reason=EnumIntrospectionReason.SHUTDOWN),
            tick(T0 + 10 * S),
            tick(T0 + 5 * S),
        ]
    )
    assert summary.ignored == 3
    assert summary.ignored_by_reason == {
        "stale_epoch": 1,
        "shutdown_of_unknown_node": 1,
        "stale_tick": 1,
    }
    assert summary.applied == 2


def test_dead_letters_carry_their_reasons_and_counts_add_up(
    store: StoreRegistrationMemory,
) -> None:
    partition = ModelPartition(index=0, count=2)
    owned = next(node for node in iter(uuid4, None) if partition.owns(node))
    foreign = next(node for node in iter(uuid4, None) if not partition.owns(node))
    unroutable = ModelEventEnvelope(
        topic="onex.evt.platform.something.v1", payload_type="ModelUnknown", payload={"a": 1}
    )
    wrong_category = beat(owned).model_copy(update={"category": EnumMessageCategory.COMMAND})
    lines = [
        encode_envelope(intro(owned)),
        "{garbage",
        "",
        json.dumps({"envelope_id": str(uuid4()), "topic": "onex.evt.platform.x.v1"}),
        encode_envelope(intro(owned, timestamp=T0 + timedelta(minutes=5))),
        encode_envelope(beat(foreign)),
        encode_envelope(unroutable),
        encode_envelope(wrong_category),
    ]
    with ServiceRegistrationRuntime(store, partition=partition) as runtime:
        summary, _ = runtime.run_lines(lines, "input.jsonl")
    assert summary.total == 7  # the blank line is not a message
    assert summary.applied == 1
    assert summary.dead_lettered == 6
    assert summary.dead_lettered_by_reason == {
        "unparseable": 1,
        "invalid_envelope": 1,
        "clock_skew": 1,
        "misrouted_partition": 1,
        "unroutable": 2,
    }
    letters = store.list_dead_letters()
    assert len(letters) == 6
    assert {letter.line_number for letter in letters} == {2, 4, 5, 6, 7, 8}
    assert all(letter.source == "input.jsonl" for letter in letters)
    assert next(le for le in letters if le.line_number == 2).raw == "{garbage"
    outcomes = store.count_outcomes()
    assert sum(outcomes.values()) == summary.total
    assert outcomes[EnumMessageOutcome.DEAD_LETTERED] == 6


def test_rerunning_a_file_does_not_double_dead_letters(store: StoreRegistrationMemory) -> None:
    lines = ["{garbage", encode_envelope(intro(uuid4(), timestamp=T0 + timedelta(hours=1)))]
    with ServiceRegistrationRuntime(store) as runtime:
        runtime.run_lines(lines, "f.jsonl")
        second, _ = runtime.run_lines(lines, "f.jsonl")
    assert len(store.list_dead_letters()) == 2
    assert (second.dead_lettered, second.duplicates) == (1, 1)


def test_a_handler_exception_is_isolated_to_its_message(
    runtime: ServiceRegistrationRuntime,
    store: StoreRegistrationMemory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    poisoned = uuid4()
    healthy = uuid4()
    handler: Any = runtime.node.route_to_handlers(
        "ModelNodeHeartbeatEvent", EnumMessageCategory.EVENT
    )[0]
    original = handler.handle

    async def sometimes_fails(envelope: ModelEventEnvelope[Any], txn: Any) -> Any:
        if envelope.payload.node_id == poisoned:
            raise RuntimeError("disk on fire")
        return await original(envelope, txn)

    monkeypatch.setattr(handler, "handle", sometimes_fails)
    summary, _ = runtime.apply(
        [intro(poisoned), intro(healthy), beat(poisoned, T0 + S), beat(healthy, T0 + S)]
    )
    assert summary.applied == 3
    assert summary.dead_lettered_by_reason == {"handler_error": 1}
    (letter,) = store.list_dead_letters()
    assert "disk on fire" in letter.detail
    assert "handler-node-heartbeat" in letter.detail
    rows = {row.node_id: row for row in store.list_nodes()}
    assert rows[healthy].last_heartbeat_at == T0 + S
    assert rows[poisoned].last_heartbeat_at is None


def test_interrupted_run_resumes_to_the_same_result() -> None:
    inputs = lifecycle([uuid4() for _ in range(6)])

    def interrupted() -> Iterator[ModelEventEnvelope[Any]]:
        for index, envelope in enumerate(inputs):
            if index == 7:
                raise KeyboardInterrupt
            yield envelope

    reference = StoreRegistrationMemory()
    with ServiceRegistrationRuntime(reference, batch_size=4) as runtime:
        runtime.apply(inputs)
    crashed = StoreRegistrationMemory()
    with ServiceRegistrationRuntime(crashed, batch_size=4) as runtime:
        with pytest.raises(KeyboardInterrupt):
            runtime.apply(interrupted())
        assert sum(crashed.count_outcomes().values()) == 4  # the open batch was rolled back
        summary, _ = runtime.apply(inputs)
    assert summary.duplicates == 4
    assert crashed.list_nodes() == reference.list_nodes()
    assert list(crashed.iter_events()) == list(reference.iter_events())


def test_event_ids_are_stable_across_runs() -> None:
    inputs = lifecycle([uuid4() for _ in range(3)])
    runs = []
    for _ in range(2):
        with ServiceRegistrationRuntime(StoreRegistrationMemory()) as runtime:
            runs.append([event.event_id for event in runtime.apply(inputs)[1]])
    assert runs[0] == runs[1]


def test_collect_events_off_returns_no_list(runtime: ServiceRegistrationRuntime) -> None:
    summary, events = runtime.apply([intro(uuid4())], collect_events=False)
    assert events == []
    assert summary.events_emitted == 2


def test_settings_come_from_the_contract_unless_given(store: StoreRegistrationMemory) -> None:
    with ServiceRegistrationRuntime(store) as runtime:
        assert runtime.settings == ModelRegistrationSettings()
    custom = ModelRegistrationSettings(liveness_interval=timedelta(seconds=5))
    with ServiceRegistrationRuntime(store, settings=custom) as runtime:
        node = uuid4()
        runtime.apply([intro(node), tick(T0 + 6 * S)])
    assert store.list_nodes()[0].state is EnumRegistrationState.LIVENESS_EXPIRED


def test_apply_inside_an_event_loop_points_to_apply_async(
    runtime: ServiceRegistrationRuntime,
) -> None:
    async def inside() -> tuple[ModelRunSummary, Any]:
        with pytest.raises(ModelOnexError) as caught:
            runtime.apply([intro(uuid4())])
        assert "apply_async" in caught.value.message
        return await runtime.apply_async([intro(uuid4())])

    summary, events = asyncio.run(inside())
    assert summary.applied == 1
    assert len(events) == 2


def test_closed_runtime_refuses_work(store: StoreRegistrationMemory) -> None:
    runtime = ServiceRegistrationRuntime(store)
    runtime.close()
    runtime.close()
    with pytest.raises(ModelOnexError) as caught:
        runtime.apply([])
    assert caught.value.error_code is EnumCoreErrorCode.INVALID_STATE
    store.list_nodes()  # the caller's store stays open


@pytest.mark.parametrize("size", [0, -1, True, 1.5])
def test_bad_batch_size_is_refused(store: StoreRegistrationMemory, size: Any) -> None:
    with pytest.raises(ModelOnexError) as caught:
        ServiceRegistrationRuntime(store, batch_size=size)
    assert caught.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER


def test_from_url_owns_its_store() -> None:
    with ServiceRegistrationRuntime.from_url("memory://") as runtime:
        runtime.apply([intro(uuid4())])
        opened = runtime.store
    with pytest.raises(ModelOnexError):
        opened.list_nodes()


def test_empty_input_gives_an_empty_summary(runtime: ServiceRegistrationRuntime) -> None:
    summary, events = runtime.apply([])
    assert summary.total == 0
    assert summary.batches == 0
    assert events == []


def test_partitions_sharing_one_store_each_apply_every_tick_and_only_their_own_nodes(
    store: StoreRegistrationMemory,
) -> None:
    """Every partition receives every tick (same envelope id): each applies it once for its own
    nodes. A misrouted copy of a node message never blocks the owner from applying it."""
    halves = [ModelPartition(index=i, count=2) for i in range(2)]
    nodes = [uuid4() for _ in range(40)]
    owned = {p.key: [n for n in nodes if p.owns(n)] for p in halves}
    assert all(owned.values())
    intros = {n: intro(n) for n in nodes}
    late = tick(T0 + timedelta(minutes=10))
    stray = intros[owned["1/2"][0]]  # node of partition 1, also delivered to partition 0
    with ServiceRegistrationRuntime(store, partition=halves[0]) as runtime:
        first, _ = runtime.apply([*(intros[n] for n in owned["0/2"]), stray, late, late])
    assert first.dead_lettered_by_reason == {"misrouted_partition": 1}
    assert first.duplicates == 1  # the second delivery of the tick to partition 0
    with ServiceRegistrationRuntime(store, partition=halves[1]) as runtime:
        second, _ = runtime.apply([*(intros[n] for n in owned["1/2"]), late])
    assert second.applied == len(owned["1/2"]) + 1  # the stray's owner applied it, and the tick
    assert second.duplicates == 0
    states = {node.node_id: node.state for node in store.list_nodes()}
    assert states == dict.fromkeys(nodes, EnumRegistrationState.LIVENESS_EXPIRED)
    expired = [e for e in store.iter_events() if e.event_type.value == "NodeLivenessExpired"]
    assert sorted(e.node_id for e in expired) == sorted(nodes)  # each exactly once
