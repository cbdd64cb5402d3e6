"""The SQLite store keeps the writes of its busy tables and sends them in batches: whatever a
transaction does (reads after writes, duplicates, savepoints refusing or not, claims, rollbacks)
it must answer and end exactly as the memory store, which writes nothing until commit; and a
value only SQLite itself refuses is refused inside the message that wrote it, named as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

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
    ModelStoreDataError,
    ProtocolRegistrationStore,
    ProtocolRegistrationTransaction,
    open_store,
)
from omnibase_infra.stores import store_value_checks as checks

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ENVELOPES = [UUID(int=100 + n) for n in range(3)]
NODES = [UUID(int=200 + n) for n in range(3)]
LETTERS = [UUID(int=300 + n) for n in range(3)]


class _RollbackError(Exception):
    """Raised by a program to end its transaction with a rollback."""


def _node(node: int, epoch: int, name: str, state: EnumRegistrationState, late: int) -> Any:
    return ModelRegistrationProjection.model_construct(
        node_id=NODES[node],
        node_name=name,
        state=state,
        node_type=EnumNodeKind.EFFECT,
        node_version="1.0.0",
        epoch=epoch,
        capabilities={"n": node},
        endpoints={},
        registered_at=T0,
        last_heartbeat_at=T0 + timedelta(seconds=late),
        liveness_deadline=T0 + timedelta(seconds=late),
        last_introspection_at=None,
        updated_at=T0 + timedelta(seconds=late),
    )


def _event(node: int, n: int, data: Any) -> ModelLifecycleEvent:
    return ModelLifecycleEvent.model_construct(
        event_id=UUID(int=400 + n),
        event_type=EnumLifecycleEventType.NODE_BECAME_ACTIVE,
        topic=EnumLifecycleEventType.NODE_BECAME_ACTIVE.topic,
        node_id=NODES[node],
        causation_id=UUID(int=1),
        correlation_id=UUID(int=1),
        emitted_at=T0,
        data=data,
        sequence=None,
    )


def _letter(letter: int, raw: str) -> ModelDeadLetter:
    return ModelDeadLetter(
        dead_letter_id=LETTERS[letter],
        envelope_id=None,
        reason=EnumDeadLetterReason.UNPARSEABLE,
        detail="d",
        raw=raw,
        recorded_at=T0,
    )


#: Hostile values (refused by every store) mixed with good ones.
NAMES = st.sampled_from(["a", "b", "bad\x00name"])
REASONS = st.sampled_from([None, "why", "nul\x00reason"])
DATA = st.sampled_from([{}, {"epoch": 1}, {"epoch": 2**64}])
RAWS = st.sampled_from(["line", "nul\x00line"])
OPERATIONS = st.one_of(
    st.tuples(st.just("get_outcome"), st.integers(0, 2)),
    st.tuples(
        st.just("record_outcome"),
        st.integers(0, 2),
        st.sampled_from(list(EnumMessageOutcome)),
        REASONS,
        st.integers(0, 1),
    ),
    st.tuples(st.just("get_node"), st.integers(0, 2)),
    st.tuples(
        st.just("upsert_node"),
        st.integers(0, 2),
        st.integers(0, 3),
        NAMES,
        st.sampled_from(list(EnumRegistrationState)),
        st.integers(0, 60),
    ),
    st.tuples(st.just("claim_expired"), st.integers(0, 60), st.integers(0, 3)),
    st.tuples(st.just("append_events"), st.integers(0, 2), st.integers(0, 5), DATA),
    st.tuples(st.just("add_dead_letter"), st.integers(0, 2), RAWS),
)
STEPS = st.one_of(
    OPERATIONS,
    st.tuples(st.just("savepoint"), st.lists(OPERATIONS, min_size=2, max_size=4)),
    st.tuples(st.just("savepoint"), st.lists(OPERATIONS, min_size=1, max_size=4)),
    st.just(("rollback",)),
)
PROGRAMS = st.lists(st.lists(STEPS, max_size=8), min_size=1, max_size=4)


def _operate(txn: ProtocolRegistrationTransaction, operation: tuple[Any, ...]) -> Any:
    name, *args = operation
    processed = [T0, T0 + timedelta(hours=1)]
    if name == "get_outcome":
        return txn.get_outcome(ENVELOPES[args[0]])
    if name == "record_outcome":
        envelope, outcome, reason, at = args
        return txn.record_outcome(ENVELOPES[envelope], outcome, reason, processed[at])
    if name == "get_node":
        return txn.get_node(NODES[args[0]])
    if name == "upsert_node":
        return txn.upsert_node(_node(*args))
    if name == "claim_expired":
        late, limit = args
        return txn.claim_expired(T0 + timedelta(seconds=late), limit, ModelPartition())
    if name == "append_events":
        node, n, data = args
        return txn.append_events([_event(node, n, data), _event(node, n + 1, {})])
    return txn.add_dead_letter(_letter(*args))


def _attempt(run: Any) -> Any:
    """What ``run()`` returns, or the type of the ``ModelStoreDataError`` it raises."""
    try:
        return run()
    except ModelStoreDataError as error:
        return type(error)


def _run_step(txn: ProtocolRegistrationTransaction, step: tuple[Any, ...]) -> Any:
    if step[0] == "rollback":
        raise _RollbackError
    if step[0] != "savepoint":
        return _attempt(lambda: _operate(txn, step))

    def block() -> list[Any]:
        with txn.savepoint():
            answers = []
            for operation in step[1]:
                answers.append(_operate(txn, operation))  # a refusal ends the block
            return answers

    return _attempt(block)


def _run(store: ProtocolRegistrationStore, program: list[list[tuple[Any, ...]]]) -> list[Any]:
    """Every answer of ``program`` on ``store``, then what the store holds."""
    answers: list[Any] = []
    for steps in program:
        try:
            with store.transaction() as txn:
                answers.extend(_run_step(txn, step) for step in steps)
        except _RollbackError:
            answers.append("rolled back")
        except ModelStoreDataError as error:
            answers.append(type(error))
    events = [event.model_dump(exclude={"sequence"}) for event in store.iter_events()]
    return [
        *answers,
        store.list_nodes(),
        events,
        store.list_dead_letters(),
        store.count_outcomes(),
    ]


@pytest.fixture
def sqlite_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kept-writes")


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(program=PROGRAMS)
@example(  # a refused block's outcome and row are forgotten, earlier ones kept
    program=[
        [
            ("upsert_node", 0, 1, "a", EnumRegistrationState.ACTIVE, 5),
            (
                "savepoint",
                [
                    ("record_outcome", 0, EnumMessageOutcome.APPLIED, None, 0),
                    ("upsert_node", 0, 2, "b", EnumRegistrationState.ACTIVE, 9),
                    ("upsert_node", 1, 1, "bad\x00name", EnumRegistrationState.ACTIVE, 5),
                ],
            ),
            ("get_outcome", 0),
            ("get_node", 0),
            ("record_outcome", 0, EnumMessageOutcome.IGNORED, "why", 0),
            ("claim_expired", 60, 3),
        ]
    ]
)
def test_every_transaction_answers_and_ends_as_on_the_memory_store(
    sqlite_folder: Path, program: list[list[tuple[Any, ...]]]
) -> None:
    memory = open_store("memory://")
    sqlite = open_store(f"sqlite:///{sqlite_folder / f'{uuid.uuid4().hex}.db'}")
    try:
        assert _run(sqlite, program) == _run(memory, program)
    finally:
        memory.close()
        sqlite.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[ProtocolRegistrationStore]:
    store = open_store(f"sqlite:///{tmp_path / 'r.db'}")
    yield store
    store.close()


def _unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch the store's own row check off, so SQLite itself meets the values."""
    monkeypatch.setattr(checks, "check_projection", lambda *_args: None)


def test_a_value_only_sqlite_refuses_is_refused_inside_its_savepoint(
    sqlite_store: ProtocolRegistrationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _unchecked(monkeypatch)
    good = _node(0, 1, "good", EnumRegistrationState.ACTIVE, 5)
    bad = _node(1, 2**64, "bad", EnumRegistrationState.ACTIVE, 5)

    def message(txn: ProtocolRegistrationTransaction) -> None:
        with txn.savepoint():
            txn.record_outcome(ENVELOPES[0], EnumMessageOutcome.APPLIED, None, T0)
            txn.upsert_node(bad)

    with sqlite_store.transaction() as txn:
        txn.upsert_node(good)
        with pytest.raises(ModelStoreDataError) as info:
            message(txn)
        assert txn.get_node(NODES[1]) is None
        assert txn.get_outcome(ENVELOPES[0]) is None
        txn.record_outcome(ENVELOPES[1], EnumMessageOutcome.APPLIED, None, T0)
    assert info.value.message == (
        f"StoreRegistrationSqlite.upsert_node: cannot store the row of node {NODES[1]}: "
        "Python int too large to convert to SQLite INTEGER"
    )
    assert sqlite_store.list_nodes() == [good]
    assert sqlite_store.count_outcomes()[EnumMessageOutcome.APPLIED] == 1


def test_a_value_only_sqlite_refuses_outside_a_savepoint_rolls_the_transaction_back(
    sqlite_store: ProtocolRegistrationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _unchecked(monkeypatch)

    def batch() -> None:
        with sqlite_store.transaction() as txn:
            txn.upsert_node(_node(0, 1, "good", EnumRegistrationState.ACTIVE, 5))
            txn.upsert_node(_node(1, 1, "bad\ud800", EnumRegistrationState.ACTIVE, 5))
            txn.record_outcome(ENVELOPES[0], EnumMessageOutcome.APPLIED, None, T0)

    with pytest.raises(ModelStoreDataError) as info:
        batch()
    assert info.value.message.startswith(
        f"StoreRegistrationSqlite.upsert_node: cannot store the row of node {NODES[1]}: "
    )
    assert sqlite_store.list_nodes() == []
    assert sqlite_store.count_outcomes()[EnumMessageOutcome.APPLIED] == 0


def test_a_claim_refused_by_an_earlier_write_leaves_nothing_to_commit(
    sqlite_store: ProtocolRegistrationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _unchecked(monkeypatch)
    claim_refused = []

    def batch() -> None:
        with sqlite_store.transaction() as txn:
            txn.upsert_node(_node(1, 2**64, "bad", EnumRegistrationState.ACTIVE, 5))
            try:
                txn.claim_expired(T0 + timedelta(minutes=1), 10, ModelPartition())
            except ModelStoreDataError:
                claim_refused.append(True)
            txn.record_outcome(ENVELOPES[0], EnumMessageOutcome.APPLIED, None, T0)

    with pytest.raises(ModelStoreDataError):
        batch()
    assert claim_refused == [True]
    assert sqlite_store.list_nodes() == []
    assert sqlite_store.count_outcomes()[EnumMessageOutcome.APPLIED] == 0


def test_writes_after_the_block_are_refused(sqlite_store: ProtocolRegistrationStore) -> None:
    with sqlite_store.transaction() as txn:
        pass
    late: list[Callable[[], Any]] = [
        lambda: txn.upsert_node(_node(0, 1, "late", EnumRegistrationState.ACTIVE, 5)),
        lambda: txn.record_outcome(ENVELOPES[0], EnumMessageOutcome.APPLIED, None, T0),
        lambda: txn.append_events([_event(0, 0, {})]),
        lambda: txn.add_dead_letter(_letter(0, "line")),
    ]
    for write in late:
        with pytest.raises(ModelOnexError) as info:
            write()
        assert info.value.error_code is EnumCoreErrorCode.INVALID_STATE
    assert sqlite_store.list_nodes() == []
