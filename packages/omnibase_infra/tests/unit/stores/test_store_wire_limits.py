"""Every store holds the wire limits the same way: it refuses the same values with
``ModelStoreDataError``, a savepoint undoes one message's writes only, and a canonical
snapshot comes back unchanged."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from omnibase_core.enums import EnumNodeKind
from omnibase_infra.enums import (
    EnumDeadLetterReason,
    EnumLifecycleEventType,
    EnumMessageOutcome,
    EnumRegistrationState,
)
from omnibase_infra.models import ModelDeadLetter, ModelLifecycleEvent, ModelRegistrationProjection
from omnibase_infra.stores import (
    ModelStoreDataError,
    ProtocolRegistrationStore,
    ProtocolRegistrationTransaction,
)
from omnibase_infra.wire import canonical_json, canonical_mapping

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
#: An instant whose local form is fine but whose UTC form falls in year 10000.
BEYOND_9999_UTC = datetime(9999, 12, 31, 23, 30, tzinfo=timezone(-timedelta(hours=1)))
BEFORE_1_UTC = datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))


def row(**changes: Any) -> ModelRegistrationProjection:
    """A projection built without validation, so values beyond the limits reach the store."""
    fields: dict[str, Any] = {
        "node_id": uuid.uuid4(),
        "node_name": "n",
        "state": EnumRegistrationState.ACTIVE,
        "node_type": EnumNodeKind.EFFECT,
        "node_version": "1.0.0",
        "epoch": 1,
        "capabilities": {},
        "endpoints": {},
        "registered_at": T0,
        "last_heartbeat_at": None,
        "liveness_deadline": T0,
        "last_introspection_at": None,
        "updated_at": T0,
    }
    fields.update(changes)
    return ModelRegistrationProjection.model_construct(**fields)


def refused_in_savepoint(
    txn: ProtocolRegistrationTransaction, writes: Callable[[], None]
) -> ModelStoreDataError:
    """Run ``writes`` in a savepoint of ``txn``; they must be refused (and are undone)."""

    def run() -> None:
        with txn.savepoint():
            writes()

    with pytest.raises(ModelStoreDataError) as info:
        run()
    return info.value


UNSTORABLE_ROWS = {
    "epoch beyond 64 bits": {"epoch": 2**63},
    "NUL in the name": {"node_name": "a\x00b"},
    "lone surrogate in the version": {"node_version": "1\ud800"},
    "integer beyond 64 bits in capabilities": {"capabilities": {"x": [1, -(2**63) - 1]}},
    "NaN in capabilities": {"capabilities": {"x": float("nan")}},
    "infinity in capabilities": {"capabilities": {"x": {"y": float("-inf")}}},
    "NUL in a capabilities key": {"capabilities": {"k\x00": 1}},
    "surrogate in an endpoints key": {"endpoints": {"\udc80": "x"}},
    "NUL in an endpoint": {"endpoints": {"api": "http://a\x00"}},
    "deadline beyond 9999 in UTC": {"liveness_deadline": BEYOND_9999_UTC},
    "registration before year 1 in UTC": {"registered_at": BEFORE_1_UTC},
}


@pytest.mark.parametrize("changes", UNSTORABLE_ROWS.values(), ids=list(UNSTORABLE_ROWS))
def test_every_store_refuses_a_row_beyond_the_wire_limits(
    store: ProtocolRegistrationStore, changes: dict[str, Any]
) -> None:
    good = row(node_name="good")
    with store.transaction() as txn:
        txn.upsert_node(good)
        error = refused_in_savepoint(txn, lambda: txn.upsert_node(row(**changes)))
        assert "\n" not in error.message
    assert [node.node_name for node in store.list_nodes()] == ["good"]


@pytest.mark.parametrize(
    "write",
    [
        lambda txn: txn.record_outcome(uuid.uuid4(), EnumMessageOutcome.IGNORED, "a\x00", T0),
        lambda txn: txn.set_tick_clock("0/1", BEYOND_9999_UTC),
        lambda txn: txn.set_introspection_requested_at(uuid.uuid4(), BEFORE_1_UTC),
        lambda txn: txn.append_events(
            [
                ModelLifecycleEvent.model_construct(
                    event_id=uuid.uuid4(),
                    event_type=EnumLifecycleEventType.NODE_BECAME_ACTIVE,
                    topic=EnumLifecycleEventType.NODE_BECAME_ACTIVE.topic,
                    node_id=uuid.uuid4(),
                    causation_id=uuid.uuid4(),
                    correlation_id=uuid.uuid4(),
                    emitted_at=T0,
                    data={"epoch": 2**64},
                    sequence=None,
                )
            ]
        ),
        lambda txn: txn.add_dead_letter(
            ModelDeadLetter(
                dead_letter_id=uuid.uuid4(),
                envelope_id=None,
                reason=EnumDeadLetterReason.UNPARSEABLE,
                detail="d",
                raw="\x00",
                recorded_at=T0,
            )
        ),
    ],
    ids=["inbox reason", "tick clock", "introspection request", "event data", "raw NUL"],
)
def test_every_store_refuses_other_unstorable_writes_and_keeps_going(
    store: ProtocolRegistrationStore, write: Any
) -> None:
    kept = uuid.uuid4()
    with store.transaction() as txn:

        def message() -> None:
            txn.record_outcome(uuid.uuid4(), EnumMessageOutcome.APPLIED, None, T0)
            write(txn)

        refused_in_savepoint(txn, message)
        txn.record_outcome(kept, EnumMessageOutcome.APPLIED, None, T0)
    assert store.count_outcomes()[EnumMessageOutcome.APPLIED] == 1
    assert list(store.iter_events()) == []
    assert store.list_dead_letters() == []


def test_a_savepoint_undoes_only_its_own_writes(store: ProtocolRegistrationStore) -> None:
    before, inside, after = (uuid.uuid4() for _ in range(3))
    first = row(node_name="first", node_id=before)
    with store.transaction() as txn:
        txn.upsert_node(first)
        txn.set_tick_clock("0/1", T0)

        def message() -> None:
            txn.upsert_node(first.model_copy(update={"node_name": "changed"}))
            txn.set_tick_clock("0/1", T0 + timedelta(hours=1))
            txn.record_outcome(inside, EnumMessageOutcome.APPLIED, None, T0)
            txn.upsert_node(row(epoch=2**64))

        refused_in_savepoint(txn, message)
        assert txn.get_node(before) == first
        assert txn.get_tick_clock("0/1") == T0
        assert txn.get_outcome(inside) is None
        with txn.savepoint():
            txn.record_outcome(after, EnumMessageOutcome.APPLIED, None, T0)
        assert txn.get_outcome(after) is EnumMessageOutcome.APPLIED
    assert [node.node_name for node in store.list_nodes()] == ["first"]
    assert store.count_outcomes()[EnumMessageOutcome.APPLIED] == 1


def test_the_edges_of_the_limits_are_stored_exactly(store: ProtocolRegistrationStore) -> None:
    edge = row(
        epoch=2**63 - 1,
        registered_at=datetime(1, 1, 1, tzinfo=UTC),
        liveness_deadline=datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        capabilities={"min": -(2**63), "max": 2**63 - 1},
    )
    with store.transaction() as txn:
        txn.upsert_node(edge)
    (stored,) = store.list_nodes()
    assert stored.epoch == 2**63 - 1
    assert stored.registered_at == edge.registered_at
    assert stored.liveness_deadline == edge.liveness_deadline
    assert stored.capabilities == edge.capabilities


SNAPSHOTS = [
    {"x": 1e23, "y": 1.5e300, "z": -0.0, "tiny": 5e-324, "third": 1 / 3},
    {"ints": [0, -1, 2**53 + 1, 2**63 - 1, -(2**63)], "floats": [1.0, 2.5e-8, 1e16]},
    {"b": True, "n": None, "one": 1, "one_float": 1.0, "nested": {"z": {"a": [{"k": "v"}]}}},
    {"é": "ü", "emoji": "\U0001f600", "quote": "\"\\'", "ctl": "\x01\x1f\u2028\t\r\n"},
]


@pytest.mark.parametrize("snapshot", SNAPSHOTS)
def test_a_canonical_snapshot_round_trips_exactly_on_every_store(
    store: ProtocolRegistrationStore, snapshot: dict[str, Any]
) -> None:
    capabilities = canonical_mapping(snapshot)
    written = row(capabilities=capabilities, endpoints=canonical_mapping({"b": "2", "a": "1"}))
    with store.transaction() as txn:
        txn.upsert_node(written)
    (stored,) = store.list_nodes()
    assert canonical_json(stored.capabilities) == canonical_json(snapshot)
    assert list(stored.capabilities) == sorted(snapshot)
    assert list(stored.endpoints) == ["a", "b"]
    assert _typed(stored.capabilities) == _typed(capabilities)
    with store.transaction() as txn:  # read back inside a transaction too (cache or database)
        node = txn.get_node(written.node_id)
        assert node is not None
        assert canonical_json(node.capabilities) == canonical_json(snapshot)


def _typed(value: Any) -> Any:
    """``value`` with every number tagged with its type, so ``1 == 1.0 == True`` cannot hide a
    change of type (and ``-0.0`` is told from ``0.0``)."""
    if isinstance(value, dict):
        return {key: _typed(member) for key, member in value.items()}
    if isinstance(value, list):
        return [_typed(member) for member in value]
    if isinstance(value, bool | int | float):
        return (type(value).__name__, repr(value))
    return value


def test_event_data_round_trips_with_its_key_order(store: ProtocolRegistrationStore) -> None:
    data = {"zeta": 1, "alpha": [2.5, "x"], "mid": {"b": None, "a": True}}
    event = ModelLifecycleEvent.create(
        EnumLifecycleEventType.NODE_REGISTRATION_UPDATED,
        node_id=UUID(int=1),
        causation_id=UUID(int=2),
        correlation_id=UUID(int=2),
        emitted_at=T0,
        position=0,
        data=data,
    )
    with store.transaction() as txn:
        txn.append_events([event])
    (stored,) = store.iter_events()
    assert list(stored.data) == list(data)
    assert stored.data == data
