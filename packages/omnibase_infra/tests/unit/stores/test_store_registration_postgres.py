"""PostgreSQL-specific guarantees: concurrent claims, concurrent migration, connection failures.

The backend-neutral behaviour is covered by the store contract suite; these tests need two
transactions or two processes on one real server. They share one module (slightly over the
usual size) because they share its builders (nodes, events, seeded stores, killed batches).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from postgres_server import PostgresTestServer

from omnibase_core.enums import EnumCoreErrorCode, EnumNodeKind
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.enums import (
    EnumLifecycleEventType,
    EnumMessageOutcome,
    EnumRegistrationState,
)
from omnibase_infra.models import (
    ModelLifecycleEvent,
    ModelPartition,
    ModelRegistrationProjection,
)
from omnibase_infra.stores import ModelStoreDataError, open_store, store_value_checks
from omnibase_infra.stores.migrations.migrations_postgres import MIGRATIONS
from omnibase_infra.stores.model_store_unavailable_error import ModelStoreUnavailableError
from omnibase_infra.stores.store_registration_postgres import StoreRegistrationPostgres
from omnibase_infra.stores.store_retry import run_with_store_retry

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _node(node_id: UUID, deadline: datetime) -> ModelRegistrationProjection:
    return ModelRegistrationProjection(
        node_id=node_id,
        node_name=f"node-{node_id}",
        state=EnumRegistrationState.ACTIVE,
        node_type=EnumNodeKind.EFFECT,
        node_version="1.0.0",
        epoch=1,
        capabilities={"gpu": True},
        endpoints={"health": "http://h/health"},
        registered_at=T0,
        liveness_deadline=deadline,
        updated_at=T0,
    )


def _event(envelope_id: UUID, node_id: UUID) -> ModelLifecycleEvent:
    return ModelLifecycleEvent.create(
        EnumLifecycleEventType.NODE_LIVENESS_EXPIRED,
        node_id=node_id,
        causation_id=envelope_id,
        correlation_id=envelope_id,
        emitted_at=T0,
        position=0,
    )


@pytest.fixture
def pg_store(postgres_fresh_url: str) -> Iterator[StoreRegistrationPostgres]:
    store = StoreRegistrationPostgres(postgres_fresh_url)
    store.migrate()
    yield store
    store.close()


def _seed(store: StoreRegistrationPostgres, count: int) -> set[UUID]:
    ids = {uuid4() for _ in range(count)}
    with store.transaction() as txn:
        for index, node_id in enumerate(sorted(ids)):
            txn.upsert_node(_node(node_id, T0 + timedelta(milliseconds=index)))
    return ids


def _expire_in_batches(
    store: StoreRegistrationPostgres, start: threading.Barrier, partition: ModelPartition
) -> list[UUID]:
    """Claim due nodes 7 at a time until none is left; each claim expires what it got."""
    claimed: list[UUID] = []
    start.wait()
    while True:
        with store.transaction() as txn:
            nodes = txn.claim_expired(T0 + timedelta(hours=1), 7, partition)
            for node in nodes:
                txn.upsert_node(
                    node.model_copy(update={"state": EnumRegistrationState.LIVENESS_EXPIRED})
                )
        if not nodes:
            return claimed
        claimed.extend(node.node_id for node in nodes)


def test_concurrent_claims_expire_each_node_exactly_once(
    pg_store: StoreRegistrationPostgres,
) -> None:
    ids = _seed(pg_store, 300)
    start = threading.Barrier(4)
    results: list[list[UUID]] = [[] for _ in range(4)]

    def worker(slot: int) -> None:
        results[slot] = _expire_in_batches(pg_store, start, ModelPartition())

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [node_id for result in results for node_id in result]
    assert sorted(everything) == sorted(ids)  # each node claimed once, none missed
    assert not pg_store.list_nodes(EnumRegistrationState.ACTIVE)


def test_claim_skips_rows_locked_by_another_transaction(
    pg_store: StoreRegistrationPostgres,
) -> None:
    _seed(pg_store, 10)
    holding, release = threading.Event(), threading.Event()
    first: list[UUID] = []

    def hold_first_three() -> None:
        with pg_store.transaction() as txn:
            first.extend(
                n.node_id for n in txn.claim_expired(T0 + timedelta(hours=1), 3, ModelPartition())
            )
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=hold_first_three)
    thread.start()
    assert holding.wait(30)
    try:
        with pg_store.transaction() as txn:  # must not wait for the other transaction
            second = [
                n.node_id for n in txn.claim_expired(T0 + timedelta(hours=1), 100, ModelPartition())
            ]
    finally:
        release.set()
        thread.join()
    assert len(first) == 3
    assert len(second) == 7
    assert not set(first) & set(second)


def test_claim_of_a_partition_returns_only_its_nodes(pg_store: StoreRegistrationPostgres) -> None:
    ids = _seed(pg_store, 60)
    halves = [ModelPartition(index=i, count=2) for i in range(2)]
    with pg_store.transaction() as txn:
        claimed = [
            {n.node_id for n in txn.claim_expired(T0 + timedelta(hours=1), 100, part)}
            for part in halves
        ]
    assert claimed[0] | claimed[1] == ids
    assert all(halves[0].owns(node_id) for node_id in claimed[0])
    assert all(halves[1].owns(node_id) for node_id in claimed[1])


def test_tick_clocks_of_two_partitions_do_not_block_each_other(
    pg_store: StoreRegistrationPostgres,
) -> None:
    holding, release = threading.Event(), threading.Event()

    def hold_clock() -> None:
        with pg_store.transaction() as txn:
            txn.get_tick_clock("0/2")
            txn.set_tick_clock("0/2", T0)
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=hold_clock)
    thread.start()
    assert holding.wait(30)
    try:
        with pg_store.transaction() as txn:
            assert txn.get_tick_clock("1/2") is None
            txn.set_tick_clock("1/2", T0 + timedelta(seconds=5))
    finally:
        release.set()
        thread.join()
    with pg_store.transaction() as txn:
        assert txn.get_tick_clock("0/2") == T0
        assert txn.get_tick_clock("1/2") == T0 + timedelta(seconds=5)


def test_same_envelope_in_two_transactions_is_recorded_once(
    pg_store: StoreRegistrationPostgres,
) -> None:
    envelope_id, node_id = uuid4(), uuid4()
    holding, release = threading.Event(), threading.Event()

    def first() -> None:
        with pg_store.transaction() as txn:
            assert txn.record_outcome(envelope_id, EnumMessageOutcome.APPLIED, None, T0)
            txn.append_events([_event(envelope_id, node_id)])
            txn.flush()  # type: ignore[attr-defined]  # the record is now in the table
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(30)
    second_error: list[BaseException] = []
    decided = threading.Event()

    def second() -> None:
        try:
            with pg_store.transaction() as txn:
                assert txn.get_outcome(envelope_id) is None  # not committed yet
                assert txn.record_outcome(envelope_id, EnumMessageOutcome.APPLIED, None, T0)
                txn.append_events([_event(envelope_id, node_id)])
                decided.set()  # leaving the block sends the insert, which waits for the first
        except BaseException as exc:
            second_error.append(exc)

    other = threading.Thread(target=second)
    other.start()
    assert decided.wait(30)
    release.set()  # the first commits; the second's insert then conflicts
    thread.join()
    other.join()
    assert len(second_error) == 1
    assert isinstance(second_error[0], ModelStoreUnavailableError)
    assert second_error[0].retryable
    assert f"envelope {envelope_id} was applied by another process" in str(second_error[0])
    with pg_store.transaction() as txn:  # the redo sees a duplicate
        assert txn.get_outcome(envelope_id) is EnumMessageOutcome.APPLIED
        assert not txn.record_outcome(envelope_id, EnumMessageOutcome.APPLIED, None, T0)
    assert len(list(pg_store.iter_events())) == 1


def test_two_processes_migrating_at_once_both_succeed(postgres_fresh_url: str) -> None:
    code = (
        "import sys\n"
        "from omnibase_infra.stores.store_registration_postgres import StoreRegistrationPostgres\n"
        "print(StoreRegistrationPostgres(sys.argv[1]).migrate())\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, postgres_fresh_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 3, outputs
    newest = MIGRATIONS[-1][0]
    assert {out.strip() for out, _err in outputs} == {str(newest)}
    with psycopg.connect(postgres_fresh_url) as conn:
        versions = conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert versions == [(version,) for version, _script in MIGRATIONS]


def test_migrate_refuses_a_schema_newer_than_the_code(postgres_fresh_url: str) -> None:
    first = StoreRegistrationPostgres(postgres_fresh_url)
    first.migrate()
    first.close()
    with psycopg.connect(postgres_fresh_url) as conn:
        conn.execute("INSERT INTO schema_version (version) VALUES (99)")
    store = StoreRegistrationPostgres(postgres_fresh_url)
    with pytest.raises(ModelOnexError) as caught:
        store.migrate()
    store.close()
    assert caught.value.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
    assert "schema version 99" in caught.value.message


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_gives_one_clear_error() -> None:
    port = _closed_port()
    url = f"postgresql://orchestrator:s3cret-pw@127.0.0.1:{port}/registry"
    with pytest.raises(ModelStoreUnavailableError) as caught:
        open_store(url)
    text = str(caught.value)
    assert caught.value.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
    assert f"127.0.0.1:{port}" in text
    assert "server is running" in text
    assert "user and password" in text
    assert "s3cret-pw" not in text
    assert f"postgresql://orchestrator:***@127.0.0.1:{port}/registry" in text
    assert caught.value.__cause__ is None  # no driver traceback chained to the user's error


def test_url_property_masks_the_password() -> None:
    store = StoreRegistrationPostgres("postgresql://u:pw@db.example:6543/reg")
    assert store.url == "postgresql://u:***@db.example:6543/reg"


def test_a_url_of_another_scheme_is_refused() -> None:
    with pytest.raises(ModelOnexError) as caught:
        StoreRegistrationPostgres("mysql://u@h/db")
    assert caught.value.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR


def _write_batch(store: StoreRegistrationPostgres, envelopes: list[UUID], kill: Any = None) -> None:
    """Record each envelope with one event; ``kill()`` (if given) runs halfway through."""
    with store.transaction() as txn:
        for index, envelope_id in enumerate(envelopes):
            if txn.get_outcome(envelope_id) is not None:
                continue
            if kill is not None and index == len(envelopes) // 2:
                kill()
            node_id = uuid4()
            txn.get_node(node_id)  # a read after the kill hits the dead connection
            txn.append_events([_event(envelope_id, node_id)])
            txn.record_outcome(envelope_id, EnumMessageOutcome.APPLIED, None, T0)


def test_connection_killed_mid_transaction_is_retryable_and_applies_nothing(
    pg_store: StoreRegistrationPostgres,
    postgres_server: PostgresTestServer,
    postgres_fresh_url: str,
) -> None:
    envelopes = [uuid4() for _ in range(40)]
    with pytest.raises(ModelStoreUnavailableError) as caught:
        _write_batch(
            pg_store, envelopes, lambda: postgres_server.terminate_backends(postgres_fresh_url)
        )
    assert caught.value.retryable
    assert pg_store.count_outcomes()[EnumMessageOutcome.APPLIED] == 0
    assert list(pg_store.iter_events()) == []
    _write_batch(pg_store, envelopes)  # the store reconnects by itself
    assert pg_store.count_outcomes()[EnumMessageOutcome.APPLIED] == 40


def test_retry_redoes_a_killed_batch_with_nothing_lost_or_doubled(
    pg_store: StoreRegistrationPostgres,
    postgres_server: PostgresTestServer,
    postgres_fresh_url: str,
) -> None:
    batches = [[uuid4() for _ in range(50)] for _ in range(6)]
    attempts: list[int] = []

    def kill() -> None:
        postgres_server.terminate_backends(postgres_fresh_url)

    for number, batch in enumerate(batches):

        def work(batch: list[UUID] = batch, number: int = number) -> None:
            attempts.append(number)
            # batches 1 and 4 lose their connection on their first attempt
            first_try = attempts.count(number) == 1
            _write_batch(pg_store, batch, kill if number in (1, 4) and first_try else None)

        run_with_store_retry(work, max_seconds=30, initial_delay=0.01)

    assert attempts.count(1) == 2
    assert attempts.count(4) == 2
    events = list(pg_store.iter_events())
    assert sorted(e.causation_id for e in events) == sorted(e for b in batches for e in b)
    assert pg_store.count_outcomes()[EnumMessageOutcome.APPLIED] == 300


def test_retry_rides_out_a_server_restart(
    pg_store: StoreRegistrationPostgres, postgres_server: PostgresTestServer
) -> None:
    first, second = [uuid4() for _ in range(20)], [uuid4() for _ in range(20)]
    _write_batch(pg_store, first)
    postgres_server.restart()  # every open session is cut
    retries: list[int] = []
    run_with_store_retry(
        lambda: _write_batch(pg_store, second),
        max_seconds=60,
        on_retry=lambda _error, attempt, _delay: retries.append(attempt),
    )
    assert retries  # the first attempt met the dead connection
    assert pg_store.count_outcomes()[EnumMessageOutcome.APPLIED] == 40


def test_retry_gives_up_after_the_time_bound() -> None:
    store = StoreRegistrationPostgres(f"postgresql://u@127.0.0.1:{_closed_port()}/db")
    with pytest.raises(ModelStoreUnavailableError) as caught:
        run_with_store_retry(store.migrate, max_seconds=0.3, initial_delay=0.05)
    assert not caught.value.retryable
    assert "gave up after" in caught.value.message


def test_outbox_sequence_is_commit_order_across_processes(
    pg_store: StoreRegistrationPostgres, postgres_fresh_url: str
) -> None:
    """A transaction that inserted its events holds the outbox until it commits, so a reader
    paging by ``sequence`` never sees a later sequence before an earlier one commits."""
    from omnibase_infra.stores.store_registration_postgres_transaction import (
        StoreRegistrationPostgresTransaction as Transaction,
    )

    other = StoreRegistrationPostgres(postgres_fresh_url)
    first_flushed, release_first = threading.Event(), threading.Event()
    original_flush = Transaction.flush

    def flush_then_pause(self: Any, *, final: bool = False) -> None:
        original_flush(self, final=final)
        if final and threading.current_thread().name == "first":
            first_flushed.set()
            assert release_first.wait(30)

    first_ids, second_ids = [uuid4() for _ in range(3)], [uuid4() for _ in range(3)]

    def write(store: StoreRegistrationPostgres, envelope_ids: list[UUID]) -> None:
        with store.transaction() as txn:
            txn.append_events([_event(envelope_id, uuid4()) for envelope_id in envelope_ids])

    first = threading.Thread(target=write, args=(pg_store, first_ids), name="first")
    second = threading.Thread(target=write, args=(other, second_ids), name="second")
    try:
        Transaction.flush = flush_then_pause  # type: ignore[method-assign]
        first.start()
        assert first_flushed.wait(30)  # events inserted, not committed
        second.start()
        second.join(0.5)
        assert second.is_alive()  # waits for the outbox lock the first transaction holds
        assert list(pg_store.iter_events()) == []  # nothing committed yet
        release_first.set()
        first.join(30)
        second.join(30)
    finally:
        Transaction.flush = original_flush  # type: ignore[method-assign]
        release_first.set()
        other.close()
    causes = [event.causation_id for event in pg_store.iter_events()]
    assert causes == first_ids + second_ids  # sequence order == commit order


def test_a_value_postgresql_itself_refuses_is_undone_to_the_savepoint(
    pg_store: StoreRegistrationPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the store's own limit check is switched off, so PostgreSQL meets the NUL itself
    monkeypatch.setattr(store_value_checks, "check_projection", lambda *_args: None)
    kept, refused = uuid4(), uuid4()
    with pg_store.transaction() as txn:
        txn.upsert_node(_node(kept, T0))

        def message() -> None:
            with txn.savepoint():
                txn.upsert_node(_node(refused, T0).model_copy(update={"node_name": "a\x00b"}))
                txn.record_outcome(refused, EnumMessageOutcome.APPLIED, None, T0)

        with pytest.raises(ModelStoreDataError, match="NUL") as info:
            message()
        assert info.value.error_code is EnumCoreErrorCode.VALIDATION_ERROR
        txn.record_outcome(kept, EnumMessageOutcome.APPLIED, None, T0)
    assert [node.node_id for node in pg_store.list_nodes()] == [kept]
    assert pg_store.count_outcomes()[EnumMessageOutcome.APPLIED] == 1
