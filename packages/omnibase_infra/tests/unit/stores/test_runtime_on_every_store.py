"""The runtime's data-path guarantees on every store: a refused message is dead-lettered alone
and the batch goes on, each partition's dead letter is kept, and an out-of-range tick never
stops expiry."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import EnumLifecycleEventType, EnumRegistrationState
from omnibase_infra.models import ModelPartition
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelNodeIntrospectionEvent,
)
from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    ServiceRegistrationRuntime,
)
from omnibase_infra.runtime import service_batch_applier as runtime_module
from omnibase_infra.stores import ProtocolRegistrationStore, open_store
from omnibase_infra.stores import store_value_checks as checks

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def introspection(
    node: UUID, *, at: datetime = T0, epoch: int = 1, **payload: Any
) -> ModelEventEnvelope[Any]:
    fields: dict[str, Any] = {
        "node_id": node,
        "node_name": f"node-{str(node)[:8]}",
        "node_type": EnumNodeKind.EFFECT,
        "node_version": "1.0.0",
        "epoch": epoch,
        "timestamp": at,
        **payload,
    }
    return ModelEventEnvelope(
        envelope_id=uuid.uuid5(node, f"{at.isoformat()}:{epoch}:{sorted(payload)}"),
        envelope_timestamp=at,
        topic="onex.evt.platform.node-introspection.v1",
        payload=ModelNodeIntrospectionEvent.model_construct(**fields),
    )


def tick_line(now: str, index: int) -> bytes:
    return json.dumps(
        {
            "envelope_id": str(UUID(int=1000 + index)),
            "envelope_timestamp": "2026-03-01T12:00:00Z",
            "topic": "onex.intent.platform.runtime-tick.v1",
            "payload_type": "ModelRuntimeTick",
            "payload": {
                "tick_id": str(UUID(int=2000 + index)),
                "now": now,
                "sequence_number": index,
                "scheduler_id": "s",
                "tick_interval_ms": 1000,
            },
        }
    ).encode()


def snapshot(store: ProtocolRegistrationStore) -> dict[str, Any]:
    return {
        "nodes": [n.model_dump(mode="json") for n in store.list_nodes()],
        "events": [e.model_dump(mode="json") for e in store.iter_events()],
        "dead": sorted(
            (d.model_dump(mode="json", exclude={"recorded_at"}) for d in store.list_dead_letters()),
            key=str,
        ),
        "outcomes": {k.value: v for k, v in store.count_outcomes().items()},
    }


def _store_maker(
    request: pytest.FixtureRequest, backend_url: str
) -> Iterator[Callable[[], ProtocolRegistrationStore]]:
    """Open fresh, empty stores of the backend of ``backend_url``; all closed at the end."""
    opened: list[ProtocolRegistrationStore] = []

    def make() -> ProtocolRegistrationStore:
        if backend_url.startswith("postgresql"):
            server = request.getfixturevalue("postgres_server")
            url = str(server.create_schema(str(request.getfixturevalue("postgres_url"))))
        elif backend_url.startswith("sqlite"):
            url = f"sqlite:///{request.getfixturevalue('tmp_path') / f'{uuid.uuid4().hex}.db'}"
        else:
            url = "memory://"
        opened.append(open_store(url))
        return opened[-1]

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def fresh_store(
    request: pytest.FixtureRequest, store_url: str
) -> Iterator[Callable[[], ProtocolRegistrationStore]]:
    """Fresh, empty stores of each backend."""
    yield from _store_maker(request, store_url)


@pytest.fixture
def fresh_durable_store(
    request: pytest.FixtureRequest, durable_store_url: str
) -> Iterator[Callable[[], ProtocolRegistrationStore]]:
    """Fresh, empty stores of each backend that has a database of its own to refuse values."""
    yield from _store_maker(request, durable_store_url)


def test_a_message_the_store_refuses_is_dead_lettered_alone_whatever_the_batch(
    fresh_store: Callable[[], ProtocolRegistrationStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the runtime's own limit check is switched off, so the store meets the values itself
    monkeypatch.setattr(runtime_module, "find_violation", lambda _value: None)
    first, bad, last = (UUID(int=n) for n in (11, 12, 13))
    inputs = [
        introspection(first),
        introspection(bad, capabilities={"x": 2**70}),
        introspection(first, at=T0 + timedelta(seconds=5), epoch=2),
        introspection(last, node_name="a\x00b"),
        introspection(last, at=T0 + timedelta(seconds=6)),
    ]
    results = []
    for batch_size in (500, 1):
        store = fresh_store()
        with ServiceRegistrationRuntime(store, batch_size=batch_size) as runtime:
            summary, events = runtime.apply(inputs)
        assert (summary.applied, summary.dead_lettered) == (3, 2)
        assert summary.dead_lettered_by_reason == {"store_rejected": 2}
        assert {e.event_type for e in events} >= {EnumLifecycleEventType.NODE_BECAME_ACTIVE}
        letters = store.list_dead_letters()
        assert {letter.envelope_id for letter in letters} == {
            inputs[1].envelope_id,
            inputs[3].envelope_id,
        }
        assert all(letter.raw_escaped for letter in letters)
        assert all("cannot" in letter.detail for letter in letters)
        with ServiceRegistrationRuntime(store, batch_size=batch_size) as runtime:
            again, _ = runtime.apply(inputs)
        assert again.duplicates == len(inputs)
        results.append(snapshot(store))
    assert results[0] == results[1]
    assert {n["node_id"] for n in results[0]["nodes"]} == {str(first), str(last)}


@pytest.mark.parametrize(
    "changes",
    [
        {"epoch": 2**64},
        {"node_name": "x\ud800"},
        {"capabilities": {"\udcff": 1}},
    ],
    ids=["epoch beyond 64 bits", "lone surrogate", "surrogate key"],
)
def test_the_database_itself_refusing_is_isolated_too(
    fresh_durable_store: Callable[[], ProtocolRegistrationStore],
    monkeypatch: pytest.MonkeyPatch,
    changes: dict[str, Any],
) -> None:
    # both checks off: SQLite or PostgreSQL itself meets the value
    monkeypatch.setattr(runtime_module, "find_violation", lambda _value: None)
    monkeypatch.setattr(checks, "check_projection", lambda *_args: None)
    good, bad = UUID(int=21), UUID(int=22)
    store = fresh_durable_store()
    with ServiceRegistrationRuntime(store) as runtime:
        summary, _ = runtime.apply([introspection(bad, **changes), introspection(good)])
    assert summary.dead_lettered_by_reason == {"store_rejected": 1}
    assert [node.node_id for node in store.list_nodes()] == [good]


def test_two_partitions_dead_lettering_one_envelope_both_keep_theirs(
    fresh_store: Callable[[], ProtocolRegistrationStore],
) -> None:
    owner = ModelPartition(index=0, count=2)
    other = ModelPartition(index=1, count=2)
    node = next(n for n in (UUID(int=i) for i in range(100, 200)) if owner.owns(n))
    skewed = introspection(node).model_copy(update={"envelope_timestamp": T0 - timedelta(hours=1)})
    store = fresh_store()
    for _round in range(2):  # re-running both partitions doubles nothing
        for partition in (owner, other):
            with ServiceRegistrationRuntime(store, partition=partition) as runtime:
                runtime.apply([skewed])
        letters = store.list_dead_letters()
        assert sorted(letter.reason.value for letter in letters) == [
            "clock_skew",
            "misrouted_partition",
        ]
        assert {letter.envelope_id for letter in letters} == {skewed.envelope_id}
        assert len({letter.dead_letter_id for letter in letters}) == 2


def test_two_partitions_reading_one_bad_line_both_keep_their_dead_letter(
    fresh_store: Callable[[], ProtocolRegistrationStore],
) -> None:
    store = fresh_store()
    for index in (0, 1):
        with ServiceRegistrationRuntime(
            store, partition=ModelPartition(index=index, count=2)
        ) as rt:
            rt.run_lines([b"{garbage", tick_line("2026-03-01T12:00:00\x00Z", 1)], "x.jsonl")
    assert sorted((d.line_number, d.reason.value) for d in store.list_dead_letters()) == [
        (1, "unparseable"),
        (1, "unparseable"),
        (2, "invalid_envelope"),
        (2, "invalid_envelope"),
    ]


def test_a_tick_out_of_range_never_stops_expiry(
    fresh_store: Callable[[], ProtocolRegistrationStore],
) -> None:
    store = fresh_store()
    node = UUID(int=31)
    with ServiceRegistrationRuntime(store) as runtime:
        runtime.apply([introspection(node)])
        summary, _ = runtime.run_lines(
            [
                tick_line("9999-12-31T23:30:00-01:00", 1),  # UTC form in year 10000
                tick_line("0001-01-01T00:30:00+01:00", 2),  # UTC form in year 0
                tick_line("253402300800", 3),  # a bare number
                tick_line("2026-03-01T12:05:00Z", 4),
            ],
            "ticks.jsonl",
        )
        assert summary.dead_lettered_by_reason == {"invalid_envelope": 3}
        beyond = ModelEventEnvelope(
            envelope_timestamp=T0,
            topic="onex.intent.platform.runtime-tick.v1",
            category=EnumMessageCategory.INTENT,
            payload_type="ModelRuntimeTick",
            payload={"now": "not checked by pydantic here"},
        )
        assert runtime.apply([beyond])[0].dead_lettered == 1
    (expired,) = store.list_nodes()
    assert expired.state is EnumRegistrationState.LIVENESS_EXPIRED
    assert [e.event_type for e in store.iter_events()][-1] is (
        EnumLifecycleEventType.NODE_LIVENESS_EXPIRED
    )


def _introspection_line(index: int, capabilities_json: str, seconds: int) -> bytes:
    """A wire introspection of one node whose capabilities are written exactly as given."""
    at = (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
    payload = {
        "node_id": str(UUID(int=77)),
        "node_name": "n",
        "node_type": "effect",
        "node_version": "1",
        "epoch": 1,
        "timestamp": at,
        "capabilities": "CAPABILITIES",
    }
    wire = {
        "envelope_id": str(UUID(int=500 + index)),
        "envelope_timestamp": at,
        "topic": "onex.evt.platform.node-introspection.v1",
        "payload_type": "ModelNodeIntrospectionEvent",
        "payload": payload,
    }
    return json.dumps(wire).replace('"CAPABILITIES"', capabilities_json).encode()


def test_snapshot_decisions_use_the_canonical_form_across_batches_and_restarts(
    durable_store_url: str,
) -> None:
    lines = [
        _introspection_line(0, '{"x": 1e+23, "y": 1.5e300, "z": -0.0}', 0),
        _introspection_line(1, '{"z": -0.0, "y": 1.5e+300, "x": 100000000000000000000000.0}', 1),
        _introspection_line(2, '{"x": 1e23, "y": 15e299, "z": -0.0}', 2),
        _introspection_line(3, '{"x": 1e23, "y": 1.5e300, "z": 0.0}', 3),
        _introspection_line(4, '{"x": 1e23, "y": 1.5e300, "z": 0}', 4),
        _introspection_line(5, '{"x": 1e23, "y": 1.5e300, "z": false}', 5),
        _introspection_line(6, '{"x": 1e23, "y": 1.5e300, "z": false}', 6),
    ]
    # one line per run, each run a new process's worth of state: the stored row is read back
    for line in lines:
        store = open_store(durable_store_url)
        try:
            with ServiceRegistrationRuntime(store, batch_size=1) as runtime:
                runtime.run_lines([line], "in.jsonl")
        finally:
            store.close()
    store = open_store(durable_store_url)
    try:
        kinds = [e.event_type.value for e in store.iter_events()]
        (stored,) = store.list_nodes()
    finally:
        store.close()
    # lines 1 and 2 are the same snapshot in other words; 3, 4 and 5 each change z's value
    # or type; 6 repeats 5
    assert kinds == [
        "NodeRegistrationInitiated",
        "NodeBecameActive",
        "NodeRegistrationUpdated",
        "NodeRegistrationUpdated",
        "NodeRegistrationUpdated",
    ]
    assert stored.capabilities == {"x": 1e23, "y": 1.5e300, "z": False}
    assert type(stored.capabilities["z"]) is bool
