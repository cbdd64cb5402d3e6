"""The registration store contract: every backend in ``STORE_BACKENDS`` must pass all of it.

The contract is kept in one module (over the usual size) on purpose: it is the one list a new
backend has to pass, parametrised once by ``STORE_BACKENDS``, and reads as the protocol's
specification from top to bottom.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest

from omnibase_core.enums import EnumCoreErrorCode, EnumNodeKind
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.enums import (
    EnumDeadLetterReason,
    EnumLifecycleEventType,
    EnumMessageOutcome,
    EnumRegistrationState,
)
from omnibase_infra.models import (
    ModelDeadLetter,
    ModelLifecycleEvent,
    ModelPartition,
    ModelRegistrationProjection,
)
from omnibase_infra.stores import (
    ProtocolRegistrationStore,
    ProtocolRegistrationTransaction,
    open_store,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
ACTIVE = EnumRegistrationState.ACTIVE
APPLIED = EnumMessageOutcome.APPLIED
IGNORED = EnumMessageOutcome.IGNORED
DEAD = EnumMessageOutcome.DEAD_LETTERED


class _BoomError(Exception):
    """Raised inside a transaction to force a rollback."""


def node(
    name: str = "node",
    *,
    node_id: UUID | None = None,
    state: EnumRegistrationState = ACTIVE,
    deadline: datetime | None = T0,
    epoch: int = 1,
    **extra: Any,
) -> ModelRegistrationProjection:
    return ModelRegistrationProjection(
        node_id=node_id or uuid.uuid4(),
        node_name=name,
        state=state,
        node_type=EnumNodeKind.EFFECT,
        node_version="1.2.3",
        epoch=epoch,
        capabilities=extra.pop("capabilities", {"db": True}),
        endpoints=extra.pop("endpoints", {"http": "http://localhost:8080"}),
        registered_at=extra.pop("registered_at", T0),
        liveness_deadline=deadline,
        updated_at=extra.pop("updated_at", T0),
        **extra,
    )


def event(node_id: UUID, position: int = 0, **data: Any) -> ModelLifecycleEvent:
    return ModelLifecycleEvent.create(
        EnumLifecycleEventType.NODE_BECAME_ACTIVE,
        node_id=node_id,
        causation_id=uuid.uuid4(),
        correlation_id=uuid.uuid4(),
        emitted_at=T0,
        position=position,
        data=data,
    )


def dead_letter(
    envelope_id: UUID | None = None, dead_letter_id: UUID | None = None
) -> ModelDeadLetter:
    return ModelDeadLetter(
        dead_letter_id=dead_letter_id or uuid.uuid4(),
        envelope_id=envelope_id,
        reason=EnumDeadLetterReason.UNPARSEABLE,
        detail="line 3: not JSON",
        source="events.jsonl",
        line_number=3,
        raw="{oops",
        recorded_at=T0,
    )


def fail_inside_transaction(
    store: ProtocolRegistrationStore, body: Callable[[ProtocolRegistrationTransaction], None]
) -> None:
    """Run ``body`` in a transaction that then raises; assert the error comes out unchanged."""

    def run() -> None:
        with store.transaction() as txn:
            body(txn)
            raise _BoomError

    with pytest.raises(_BoomError):
        run()


def _assert_code(info: pytest.ExceptionInfo[ModelOnexError], code: EnumCoreErrorCode) -> None:
    assert info.value.error_code is code
    assert "\n" not in info.value.message


# --- atomicity --------------------------------------------------------------------------------


def test_committed_writes_are_visible(store: ProtocolRegistrationStore) -> None:
    row = node("a")
    envelope_id = uuid.uuid4()
    with store.transaction() as txn:
        assert txn.record_outcome(envelope_id, APPLIED, None, T0)
        txn.upsert_node(row)
        txn.append_events([event(row.node_id)])
        txn.add_dead_letter(dead_letter())
        txn.set_tick_clock("0/1", T0)
        txn.set_introspection_requested_at(row.node_id, T0)
    assert store.list_nodes() == [row]
    assert len(list(store.iter_events())) == 1
    assert len(store.list_dead_letters()) == 1
    with store.transaction() as txn:
        assert txn.get_outcome(envelope_id) is APPLIED
        assert txn.get_tick_clock("0/1") == T0
        assert txn.get_introspection_requested_at(row.node_id) == T0


def test_exception_rolls_back_everything(store: ProtocolRegistrationStore) -> None:
    row = node("a")
    envelope_id = uuid.uuid4()

    def write_everything(txn: ProtocolRegistrationTransaction) -> None:
        txn.record_outcome(envelope_id, APPLIED, None, T0)
        txn.upsert_node(row)
        txn.append_events([event(row.node_id), event(row.node_id, 1)])
        txn.add_dead_letter(dead_letter())
        txn.set_tick_clock("0/1", T0)
        txn.set_introspection_requested_at(row.node_id, T0)

    fail_inside_transaction(store, write_everything)
    assert store.list_nodes() == []
    assert list(store.iter_events()) == []
    assert store.list_dead_letters() == []
    assert store.count_outcomes() == {APPLIED: 0, IGNORED: 0, DEAD: 0}
    with store.transaction() as txn:
        assert txn.get_outcome(envelope_id) is None
        assert txn.get_node(row.node_id) is None
        assert txn.get_tick_clock("0/1") is None
        assert txn.get_introspection_requested_at(row.node_id) is None


def test_rollback_keeps_earlier_commits(store: ProtocolRegistrationStore) -> None:
    first = node("first", epoch=1)
    with store.transaction() as txn:
        txn.upsert_node(first)
    fail_inside_transaction(
        store, lambda txn: txn.upsert_node(first.model_copy(update={"epoch": 9}))
    )
    assert store.list_nodes() == [first]
    with store.transaction() as txn:
        assert txn.get_node(first.node_id) == first


def test_reads_see_own_writes_inside_transaction(store: ProtocolRegistrationStore) -> None:
    row = node("a", deadline=T0)
    envelope_id = uuid.uuid4()
    with store.transaction() as txn:
        txn.upsert_node(row)
        assert txn.get_node(row.node_id) == row
        changed = row.model_copy(update={"epoch": 2, "node_version": "2.0.0"})
        txn.upsert_node(changed)
        assert txn.get_node(row.node_id) == changed
        assert txn.record_outcome(envelope_id, IGNORED, "stale epoch", T0)
        assert txn.get_outcome(envelope_id) is IGNORED
        txn.set_tick_clock("0/1", T0)
        assert txn.get_tick_clock("0/1") == T0
        txn.set_introspection_requested_at(row.node_id, T0)
        assert txn.get_introspection_requested_at(row.node_id) == T0
        assert txn.claim_expired(T0 + timedelta(seconds=1), 10, ModelPartition()) == [changed]


def test_uncommitted_writes_are_invisible_to_read_methods(
    store: ProtocolRegistrationStore,
) -> None:
    seen: list[int] = []
    with store.transaction() as txn:
        txn.upsert_node(node("a"))
        txn.append_events([event(uuid.uuid4())])
        reader = threading.Thread(
            target=lambda: seen.extend([len(store.list_nodes()), len(list(store.iter_events()))])
        )
        reader.start()
        reader.join()
    assert seen == [0, 0]
    assert len(store.list_nodes()) == 1


# --- inbox and dead letters -------------------------------------------------------------------


def test_inbox_records_each_envelope_once(store: ProtocolRegistrationStore) -> None:
    envelope_id = uuid.uuid4()
    with store.transaction() as txn:
        assert txn.get_outcome(envelope_id) is None
        assert txn.record_outcome(envelope_id, APPLIED, None, T0) is True
        assert txn.record_outcome(envelope_id, IGNORED, "again", T0) is False
    with store.transaction() as txn:
        assert txn.record_outcome(envelope_id, DEAD, "later", T0) is False
        assert txn.get_outcome(envelope_id) is APPLIED
    assert store.count_outcomes() == {APPLIED: 1, IGNORED: 0, DEAD: 0}


def test_ignored_inputs_are_counted_by_reason_code(store: ProtocolRegistrationStore) -> None:
    assert store.count_ignored_by_reason() == {}
    with store.transaction() as txn:
        txn.record_outcome(uuid.uuid4(), IGNORED, "stale_epoch: epoch 1 < 2", T0)
        txn.record_outcome(uuid.uuid4(), IGNORED, "stale_epoch: epoch 2 < 3: late", T0)
        txn.record_outcome(uuid.uuid4(), IGNORED, "unknown node", T0)
        txn.record_outcome(uuid.uuid4(), APPLIED, None, T0)
        txn.record_outcome(uuid.uuid4(), DEAD, "unparseable", T0)
    assert store.count_ignored_by_reason() == {"stale_epoch": 2, "unknown node": 1}


def test_dead_letters_are_idempotent_and_ordered(store: ProtocolRegistrationStore) -> None:
    letters = [dead_letter() for _ in range(5)]
    with store.transaction() as txn:
        for letter in letters[:3]:
            txn.add_dead_letter(letter)
        txn.add_dead_letter(letters[0])
    with store.transaction() as txn:
        txn.add_dead_letter(letters[1])
        for letter in letters[3:]:
            txn.add_dead_letter(letter)
    assert store.list_dead_letters() == letters


def test_dead_letter_round_trips_every_field(store: ProtocolRegistrationStore) -> None:
    letter = ModelDeadLetter(
        dead_letter_id=uuid.uuid4(),
        envelope_id=uuid.uuid4(),
        reason=EnumDeadLetterReason.CLOCK_SKEW,
        detail="timestamp 40 s ahead; ünïcode ✓",
        source=None,
        line_number=None,
        raw='{"a": "\\u00e9"}',
        recorded_at=datetime(2026, 3, 1, 14, 0, 0, 1, tzinfo=timezone(timedelta(hours=2))),
    )
    with store.transaction() as txn:
        txn.add_dead_letter(letter)
    assert store.list_dead_letters() == [letter]


def test_count_outcomes_adds_dead_letters_without_envelope(
    store: ProtocolRegistrationStore,
) -> None:
    assert store.count_outcomes() == {APPLIED: 0, IGNORED: 0, DEAD: 0}
    with store.transaction() as txn:
        for _ in range(3):
            txn.record_outcome(uuid.uuid4(), APPLIED, None, T0)
        txn.record_outcome(uuid.uuid4(), IGNORED, "stale", T0)
        with_envelope = uuid.uuid4()
        txn.add_dead_letter(dead_letter(envelope_id=with_envelope))
        txn.record_outcome(with_envelope, DEAD, "unroutable", T0)
        txn.add_dead_letter(dead_letter())
        txn.add_dead_letter(dead_letter())
    assert store.count_outcomes() == {APPLIED: 3, IGNORED: 1, DEAD: 3}


# --- events -----------------------------------------------------------------------------------


def test_events_get_increasing_sequences_in_commit_order(
    store: ProtocolRegistrationStore,
) -> None:
    node_id = uuid.uuid4()
    batches = [[event(node_id, i, batch=b) for i in range(3)] for b in range(4)]
    for batch in batches:
        with store.transaction() as txn:
            txn.append_events(batch)
            txn.append_events([])
    fail_inside_transaction(store, lambda txn: txn.append_events([event(node_id, 9, batch=99)]))
    stored = list(store.iter_events())
    sequences = [e.sequence for e in stored if e.sequence is not None]
    assert len(sequences) == len(stored)
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == len(sequences)
    assert [e.model_copy(update={"sequence": None}) for e in stored] == [
        e for batch in batches for e in batch
    ]
    after = stored[4].sequence
    assert after is not None
    assert list(store.iter_events(after_sequence=after)) == stored[5:]


def test_many_events_are_all_iterated(store: ProtocolRegistrationStore) -> None:
    node_id = uuid.uuid4()
    with store.transaction() as txn:
        txn.append_events([event(node_id, i, i=i) for i in range(2500)])
    stored = list(store.iter_events())
    assert [e.data["i"] for e in stored] == list(range(2500))


# --- node rows and expiry claims --------------------------------------------------------------


def test_claim_expired_takes_active_nodes_strictly_past_deadline_oldest_first(
    store: ProtocolRegistrationStore,
) -> None:
    now = T0 + timedelta(minutes=10)
    due = [node(f"due{i}", deadline=now - timedelta(seconds=10 * (i + 1))) for i in range(5)]
    not_due = [
        node("exactly-now", deadline=now),
        node("future", deadline=now + timedelta(seconds=1)),
        node("no-deadline", deadline=None),
        node("expired", state=EnumRegistrationState.LIVENESS_EXPIRED, deadline=T0),
        node("gone", state=EnumRegistrationState.DEREGISTERED, deadline=T0),
    ]
    with store.transaction() as txn:
        for row in due + not_due:
            txn.upsert_node(row)
    oldest_first = sorted(due, key=lambda r: r.liveness_deadline or now)
    with store.transaction() as txn:
        assert txn.claim_expired(now, 100, ModelPartition()) == oldest_first
        assert txn.claim_expired(now, 2, ModelPartition()) == oldest_first[:2]
        assert txn.claim_expired(now, 0, ModelPartition()) == []


def test_claim_expired_filters_by_partition(store: ProtocolRegistrationStore) -> None:
    now = T0 + timedelta(minutes=10)
    rows = [node(f"n{i:02}", deadline=T0 + timedelta(seconds=i)) for i in range(40)]
    with store.transaction() as txn:
        for row in rows:
            txn.upsert_node(row)
    claimed: list[UUID] = []
    for index in range(3):
        partition = ModelPartition(index=index, count=3)
        with store.transaction() as txn:
            mine = txn.claim_expired(now, 100, partition)
        assert mine == [r for r in rows if partition.owns(r.node_id)]
        claimed.extend(r.node_id for r in mine)
    assert sorted(claimed) == sorted(r.node_id for r in rows)


def test_list_nodes_orders_by_name_then_id_and_filters_by_state(
    store: ProtocolRegistrationStore,
) -> None:
    ids = sorted((uuid.uuid4() for _ in range(3)), key=str)
    rows = [
        node("beta", node_id=ids[2]),
        node("alpha", node_id=ids[1], state=EnumRegistrationState.DEREGISTERED),
        node("beta", node_id=ids[0], state=EnumRegistrationState.LIVENESS_EXPIRED),
        node("alpha"),
    ]
    with store.transaction() as txn:
        for row in rows:
            txn.upsert_node(row)
    expected = sorted(rows, key=lambda r: (r.node_name, str(r.node_id)))
    assert store.list_nodes() == expected
    assert store.list_nodes(EnumRegistrationState.DEREGISTERED) == [rows[1]]
    assert store.list_nodes(EnumRegistrationState.ACTIVE) == [
        r for r in expected if r.state is ACTIVE
    ]


def test_projection_round_trips_exactly(store: ProtocolRegistrationStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    row = node(
        "ünïcode-node",
        epoch=7,
        capabilities={"nested": {"list": [1, 2.5, None, "x"], "flag": False}, "n": 10**12},
        endpoints={"grpc": "grpc://h:1", "http": "http://h/é"},
        registered_at=datetime(2026, 3, 1, 14, 0, 0, 1, tzinfo=plus_two),
        last_heartbeat_at=datetime(2026, 3, 1, 12, 0, 1, 999999, tzinfo=UTC),
        last_introspection_at=datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC),
        deadline=datetime(2026, 3, 1, 12, 1, 0, 500000, tzinfo=UTC),
    )
    with store.transaction() as txn:
        txn.upsert_node(row)
    (stored,) = store.list_nodes()
    assert stored == row
    for name in ("registered_at", "last_heartbeat_at", "liveness_deadline", "updated_at"):
        value = getattr(stored, name)
        assert value.utcoffset() is not None
        assert value == getattr(row, name)
    assert (
        stored.model_dump(mode="json")["capabilities"]
        == row.model_dump(mode="json")["capabilities"]
    )


def test_naive_datetime_is_refused(store: ProtocolRegistrationStore) -> None:
    naive = datetime(2026, 3, 1, 12, 0, 0)
    with store.transaction() as txn:
        with pytest.raises(ModelOnexError) as info:
            txn.record_outcome(uuid.uuid4(), APPLIED, None, naive)
        _assert_code(info, EnumCoreErrorCode.VALIDATION_ERROR)
        with pytest.raises(ModelOnexError):
            txn.set_tick_clock("0/1", naive)


# --- tick clocks and introspection requests ---------------------------------------------------


def test_tick_clock_is_kept_per_partition(store: ProtocolRegistrationStore) -> None:
    later = T0 + timedelta(seconds=30)
    with store.transaction() as txn:
        txn.set_tick_clock("0/2", T0)
        txn.set_tick_clock("1/2", later)
    with store.transaction() as txn:
        txn.set_tick_clock("0/2", later + timedelta(microseconds=1))
    with store.transaction() as txn:
        assert txn.get_tick_clock("0/2") == later + timedelta(microseconds=1)
        assert txn.get_tick_clock("1/2") == later
        assert txn.get_tick_clock("0/1") is None


def test_introspection_requests_are_kept_per_node(store: ProtocolRegistrationStore) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    with store.transaction() as txn:
        txn.set_introspection_requested_at(a, T0)
    with store.transaction() as txn:
        txn.set_introspection_requested_at(a, T0 + timedelta(seconds=60))
    with store.transaction() as txn:
        assert txn.get_introspection_requested_at(a) == T0 + timedelta(seconds=60)
        assert txn.get_introspection_requested_at(b) is None


# --- transactions and threads -----------------------------------------------------------------


def test_a_new_transaction_opens_after_the_last_one_ended_either_way(
    store: ProtocolRegistrationStore,
) -> None:
    with store.transaction() as txn:
        txn.upsert_node(node("kept"))
    fail_inside_transaction(store, lambda inner: inner.upsert_node(node("dropped")))
    with store.transaction() as txn:
        assert txn.get_outcome(uuid4()) is None
    assert [row.node_name for row in store.list_nodes()] == ["kept"]


def test_transactions_do_not_nest(store: ProtocolRegistrationStore) -> None:
    with store.transaction() as txn:
        txn.upsert_node(node("kept"))
        with pytest.raises(ModelOnexError) as info, store.transaction():
            pass
        _assert_code(info, EnumCoreErrorCode.INVALID_STATE)
    assert [r.node_name for r in store.list_nodes()] == ["kept"]


def test_concurrent_transactions_lose_no_update(store: ProtocolRegistrationStore) -> None:
    counter = node("counter", epoch=0)
    with store.transaction() as txn:
        txn.upsert_node(counter)
    threads_count, per_thread = 8, 40
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(per_thread):
                with store.transaction() as txn:
                    current = txn.get_node(counter.node_id)
                    assert current is not None
                    txn.upsert_node(current.model_copy(update={"epoch": current.epoch + 1}))
                    assert txn.record_outcome(uuid.uuid4(), APPLIED, None, T0)
                    txn.append_events([event(counter.node_id, current.epoch)])
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    total = threads_count * per_thread
    (final,) = store.list_nodes()
    assert final.epoch == total
    assert store.count_outcomes()[APPLIED] == total
    assert len(list(store.iter_events())) == total


def test_closed_store_refuses_use_and_close_is_idempotent(store_url: str) -> None:
    opened = open_store(store_url)
    opened.close()
    opened.close()
    with pytest.raises(ModelOnexError) as info, opened.transaction():
        pass
    _assert_code(info, EnumCoreErrorCode.INVALID_STATE)
    with pytest.raises(ModelOnexError):
        opened.list_nodes()


# --- durability and schema --------------------------------------------------------------------


def test_reopened_store_sees_committed_data_only(durable_store_url: str) -> None:
    row = node("durable")
    envelope_id = uuid.uuid4()
    first = open_store(durable_store_url)
    with first.transaction() as txn:
        txn.upsert_node(row)
        txn.record_outcome(envelope_id, APPLIED, None, T0)
        txn.append_events([event(row.node_id)])
        txn.set_tick_clock("0/1", T0)
    fail_inside_transaction(first, lambda txn: txn.upsert_node(node("rolled-back")))
    first.close()
    second = open_store(durable_store_url)
    try:
        assert second.list_nodes() == [row]
        assert [e.node_id for e in second.iter_events()] == [row.node_id]
        with second.transaction() as txn:
            assert txn.get_outcome(envelope_id) is APPLIED
            assert txn.get_tick_clock("0/1") == T0
            assert txn.record_outcome(envelope_id, APPLIED, None, T0) is False
    finally:
        second.close()


def test_migrate_is_idempotent(store: ProtocolRegistrationStore) -> None:
    version = store.migrate()
    assert store.migrate() == version
    with store.transaction() as txn:
        txn.upsert_node(node("after-migrate"))
    assert len(store.list_nodes()) == 1
