"""ServiceBusNodeRunner on the in-memory bus: ordering and commit-then-ack, poison messages,
deterministic stamps, lease fencing and fair shares, ticks (deterministic, message time while a
backlog is applied). The real server and processes are in tests/unit/cli/test_cli_serve_nats.py.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from serve_support import (
    bus_settings,
    comparable,
    expected_outcomes,
    history_lines,
    registration_runner,
)

from omnibase_core.bus import EventBusInMemory, EventBusInMemoryBroker
from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import ModelBusPartition
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.bus import ServiceBusProducer
from omnibase_infra.enums import EnumDeadLetterReason
from omnibase_infra.nodes.node_registration_orchestrator.registration_bus import INPUT_STREAM
from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    ServiceRegistrationRuntime,
)
from omnibase_infra.runtime.model_tick_clock import ModelTickClock
from omnibase_infra.runtime.protocol_bus_runner_observer import ProtocolBusRunnerObserver
from omnibase_infra.stores.model_lease_lost_error import ModelLeaseLostError
from omnibase_infra.stores.model_store_unavailable_error import ModelStoreUnavailableError
from omnibase_infra.stores.store_registration_memory import StoreRegistrationMemory

HEARTBEAT = "onex.evt.platform.node-heartbeat.v1"
INTRO = "onex.evt.platform.node-introspection.v1"


def _bus(broker: EventBusInMemoryBroker, partitions: int, **options: Any) -> EventBusInMemory:
    return EventBusInMemory(bus_settings(partitions, **options), broker)


async def _publish(bus: EventBusInMemory, lines: list[str]) -> None:
    await ServiceBusProducer(bus).publish_lines(lines)


async def _run_until(
    runner: Any, done: Callable[[], bool], *, limit: float = 20.0
) -> asyncio.Event:
    """Run ``runner`` until ``done()``, then stop it and wait for the drain."""
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    deadline = asyncio.get_running_loop().time() + limit
    while not done():
        if task.done():
            task.result()
        assert asyncio.get_running_loop().time() < deadline, "the runner did not finish"
        await asyncio.sleep(0.02)
    stop.set()
    await task
    return stop


def _outcomes(store: StoreRegistrationMemory) -> int:
    return sum(store.count_outcomes().values())


def _intro(node: uuid.UUID, at: str | None, epoch: int = 1) -> str:
    envelope: dict[str, Any] = {
        "envelope_id": str(uuid.uuid4()),
        "topic": INTRO,
        "payload_type": "ModelNodeIntrospectionEvent",
        "payload": {
            "node_id": str(node),
            "node_name": f"n-{str(node)[:4]}",
            "node_type": "effect",
            "node_version": "1.0.0",
            "capabilities": {},
            "endpoints": {},
            "reason": "startup",
            "epoch": epoch,
            "timestamp": at or "2026-01-01T00:00:00Z",
        },
    }
    if at is not None:
        envelope["envelope_timestamp"] = at
    return json.dumps(envelope)


def _node_in(partition: int, partitions: int) -> uuid.UUID:
    from omnibase_infra.models import partition_hash

    while True:
        node = uuid.uuid4()
        if partition_hash(node) % partitions == partition:
            return node


# --- consumption --------------------------------------------------------------------------------


def test_a_published_history_ends_as_the_file_run_ends_and_everything_is_acknowledged() -> None:
    lines = history_lines()
    store = StoreRegistrationMemory()
    broker = EventBusInMemoryBroker()

    async def scenario() -> None:
        bus = _bus(broker, 3)
        await _publish(bus, lines)
        runner = registration_runner(bus, store, batch_size=16)
        await _run_until(runner, lambda: _outcomes(store) == expected_outcomes(lines, 3))
        assert bus.assignment() == frozenset()  # everything revoked on stop
        # nothing is left to deliver: every message was acknowledged
        other = _bus(broker, 3, ack_wait_seconds=0.05)
        await other.assign(ModelBusPartition(stream=INPUT_STREAM, index=k) for k in range(3))
        await asyncio.sleep(0.1)
        for k in range(3):
            ref = ModelBusPartition(stream=INPUT_STREAM, index=k)
            assert await other.fetch(ref, 10, 0) == ()
        await bus.close()
        await other.close()

    asyncio.run(scenario())
    reference = StoreRegistrationMemory()
    with ServiceRegistrationRuntime(reference) as runtime:
        runtime.run_lines(lines, "input.jsonl")
    assert comparable(store) == comparable(reference)
    assert comparable(store)["nodes"]


def test_a_poison_message_is_dead_lettered_acknowledged_and_does_not_block_its_partition() -> None:
    store = StoreRegistrationMemory()
    broker = EventBusInMemoryBroker()
    node = _node_in(1, 2)

    async def scenario() -> None:
        bus = _bus(broker, 2)
        await bus.publish(HEARTBEAT, b"\xff not json", idempotency_id="poison", partition=1)
        await bus.publish(HEARTBEAT, b"[1, 2]", idempotency_id="not-an-envelope", partition=1)
        await _publish(bus, [_intro(node, "2026-03-01T12:00:00Z")])
        runner = registration_runner(bus, store)
        await _run_until(
            runner, lambda: bool(store.list_nodes()) and len(store.list_dead_letters()) == 2
        )
        again = _bus(broker, 2, ack_wait_seconds=0.05)
        ref = ModelBusPartition(stream=INPUT_STREAM, index=1)
        await again.assign([ref])
        await asyncio.sleep(0.1)
        assert await again.fetch(ref, 10, 0) == ()
        await bus.close()
        await again.close()

    asyncio.run(scenario())
    letters = sorted(store.list_dead_letters(), key=lambda d: d.line_number or 0)
    assert [d.reason for d in letters] == [
        EnumDeadLetterReason.UNPARSEABLE,
        EnumDeadLetterReason.INVALID_ENVELOPE,
    ]
    assert [(d.source, d.line_number) for d in letters] == [
        (f"{INPUT_STREAM}/1", 1),
        (f"{INPUT_STREAM}/1", 2),
    ]
    assert [n.node_id for n in store.list_nodes()] == [node]


def test_an_envelope_without_a_timestamp_is_stamped_with_the_time_the_broker_stored_it() -> None:
    store = StoreRegistrationMemory()
    broker = EventBusInMemoryBroker()
    node = uuid.uuid4()

    async def scenario() -> tuple[datetime, datetime]:
        bus = _bus(broker, 1)
        before = datetime.now(UTC)
        await _publish(bus, [_intro(node, None)])
        after = datetime.now(UTC)
        await asyncio.sleep(0.05)
        runner = registration_runner(bus, store)
        await _run_until(runner, lambda: bool(store.list_nodes()))
        await bus.close()
        return before, after

    before, after = asyncio.run(scenario())
    (row,) = store.list_nodes()
    # stamped when stored (between the two readings), not when the runner applied it later
    assert before <= row.registered_at <= after


def test_bad_runner_settings_are_refused_with_the_value() -> None:
    bus = _bus(EventBusInMemoryBroker(), 2, max_batch=50)
    store = StoreRegistrationMemory()
    for options, named in (
        ({"batch_size": 51}, "batch_size 51"),
        ({"batch_size": 0}, "batch_size 0"),
        ({"tick_interval_seconds": 0.0}, "tick_interval_seconds 0.0"),
        ({"fetch_timeout_seconds": -1.0}, "fetch_timeout_seconds -1.0"),
        ({"stream": "nope"}, "'nope'"),
    ):
        with pytest.raises(ModelOnexError) as caught:
            registration_runner(bus, store, **options)
        assert caught.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
        assert named in caught.value.message


# --- leases ---------------------------------------------------------------------------------------


class _Leases:
    """Leases held in memory for unit tests: a shared table of holders, ``members`` given."""

    def __init__(self, table: dict[str, str], owner: str, members: Callable[[], int]) -> None:
        self.table = table
        self.owner = owner
        self._members = members
        self.tokens = 0
        self.lost: set[str] = set()

    def members(self) -> int:
        return self._members()

    def try_acquire(self, name: str) -> int | None:
        if self.table.get(name, self.owner) != self.owner:
            return None
        self.table[name] = self.owner
        self.tokens += 1
        return self.tokens

    def release(self, name: str) -> None:
        if self.table.get(name) == self.owner:
            del self.table[name]

    def held(self) -> dict[str, int]:
        return {n: self.tokens for n, o in self.table.items() if o == self.owner}

    def verify(self) -> frozenset[str]:
        return frozenset(self.lost)

    def close(self) -> None:
        for name in self.held():
            del self.table[name]


def test_runners_share_the_partitions_fairly_and_take_over_when_one_leaves() -> None:
    store = StoreRegistrationMemory()
    broker = EventBusInMemoryBroker()

    async def scenario() -> None:
        bus_a, bus_b = _bus(broker, 5), _bus(broker, 5)
        leases_a, leases_b = store.open_leases("a"), None
        a = registration_runner(bus_a, store, leases=leases_a, rebalance_seconds=0.02)
        stop_a, stop_b = asyncio.Event(), asyncio.Event()
        task_a = asyncio.create_task(a.run(stop_a))
        await _until(lambda: len(a.owned) == 5)
        assert {p.index for p in bus_a.assignment()} == set(range(5))
        leases_b = store.open_leases("b")
        b = registration_runner(bus_b, store, leases=leases_b, rebalance_seconds=0.02)
        task_b = asyncio.create_task(b.run(stop_b))
        await _until(lambda: len(a.owned) == 3 and len(b.owned) == 2)  # ceil(5 / 2) and the rest
        assert a.owned.isdisjoint(b.owned)
        assert {p.index for p in bus_a.assignment()} == a.owned
        assert {p.index for p in bus_b.assignment()} == b.owned
        assert set(leases_a.held()) == {a.lease_name(k) for k in a.owned}
        stop_a.set()
        await task_a
        leases_a.close()
        await _until(lambda: len(b.owned) == 5)
        assert leases_a.held() == {}
        stop_b.set()
        await task_b
        assert leases_b.held() == {}  # the runner released its partitions; the manager is open
        leases_b.close()
        await bus_a.close()
        await bus_b.close()

    asyncio.run(scenario())


def test_a_batch_whose_lease_is_lost_is_never_committed_nor_acknowledged() -> None:
    store = StoreRegistrationMemory()
    broker = EventBusInMemoryBroker()
    node = _node_in(0, 1)
    checked: list[tuple[str, int]] = []
    entered = threading.Event()
    release = threading.Event()

    class _FencedStore:
        """The memory store whose transactions check a lease as a store with leases does; the
        first check waits until the test has taken the lease away."""

        url = store.url

        @contextmanager
        def transaction(self) -> Iterator[Any]:
            with store.transaction() as txn:
                yield _FencedTxn(txn)

        def close(self) -> None:
            store.close()

    class _FencedTxn:
        def __init__(self, txn: Any) -> None:
            self._txn = txn

        def __getattr__(self, name: str) -> Any:
            return getattr(self._txn, name)

        def check_lease(self, name: str, token: int) -> None:
            checked.append((name, token))
            entered.set()
            release.wait(10)
            raise ModelLeaseLostError("test", name, token, token + 1)

    async def scenario() -> None:
        bus = _bus(broker, 1, ack_wait_seconds=0.2)
        await _publish(bus, [_intro(node, "2026-03-01T12:00:00Z")])
        leases = _Leases({}, "a", lambda: 1)
        runner = registration_runner(bus, _FencedStore(), leases=leases, rebalance_seconds=0.02)
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        await asyncio.to_thread(entered.wait, 10)
        leases.lost.add(runner.lease_name(0))
        await _until(lambda: 0 not in runner.owned)  # revoked while the batch is in flight
        release.set()
        stop.set()
        await task
        # the batch was not acknowledged: another owner gets it after the ack wait
        other = _bus(broker, 1)
        second = registration_runner(other, store)
        await _run_until(second, lambda: bool(store.list_nodes()))
        await bus.close()
        await other.close()

    asyncio.run(scenario())
    assert checked == [(f"{INPUT_STREAM}/0", 1)]
    assert [n.node_id for n in store.list_nodes()] == [node]
    assert sum(store.count_outcomes().values()) == 1


async def _until(condition: Callable[[], bool], limit: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.01)


# --- ticks ----------------------------------------------------------------------------------------


def _tick_clock(store: StoreRegistrationMemory, key: str) -> datetime | None:
    with store.transaction() as txn:
        return txn.get_tick_clock(key)


def test_a_caught_up_partition_ticks_on_the_grid_and_a_second_owner_never_ticks_twice() -> None:
    store = StoreRegistrationMemory()
    broker = EventBusInMemoryBroker()
    interval = 3600.0  # one grid instant for the whole test: both owners tick the same one

    async def one_owner() -> None:
        bus = _bus(broker, 2)
        runner = registration_runner(bus, store, tick_interval_seconds=interval)
        await _run_until(runner, lambda: _outcomes(store) >= 2)
        await bus.close()

    asyncio.run(one_owner())
    assert _outcomes(store) == 2  # one tick per partition
    grid = ModelTickClock(interval)
    now = datetime.now(UTC)
    for key in ("0/2", "1/2"):
        clock = _tick_clock(store, key)
        assert clock is not None
        assert clock <= now
        assert clock.timestamp() % interval == 0
    first_clocks = [_tick_clock(store, k) for k in ("0/2", "1/2")]
    asyncio.run(one_owner_again(store, broker, interval))
    assert [_tick_clock(store, k) for k in ("0/2", "1/2")] == first_clocks
    assert _outcomes(store) == 2  # the second owner's ticks were duplicates
    assert grid.envelope_id(INPUT_STREAM, 0, 2, 5) == ModelTickClock(1).envelope_id(
        INPUT_STREAM, 0, 2, 3600 * 5
    )


async def one_owner_again(
    store: StoreRegistrationMemory, broker: EventBusInMemoryBroker, interval: float
) -> None:
    bus = _bus(broker, 2)
    applied: list[int] = []

    class _Observer:
        def batch_committed(
            self, partition: Any, result: Any, messages: int, seconds: float
        ) -> None:
            applied.append(result[0].duplicates)

        def batch_abandoned(self, partition: Any, reason: str) -> None: ...
        def store_retry(self, partition: Any) -> None: ...
        def redelivered(self, partition: Any, count: int) -> None: ...
        def ticked(self, partition: Any, at: datetime) -> None:
            applied.append(-1)

        def lease_changed(self, partition: Any, kind: str) -> None: ...

        def partitions_owned(self, partitions: Any) -> None: ...

    observer: ProtocolBusRunnerObserver = _Observer()
    runner = registration_runner(bus, store, tick_interval_seconds=interval, observer=observer)
    await _run_until(runner, lambda: applied.count(-1) >= 2)
    await bus.close()


def test_a_partition_applying_a_backlog_ticks_with_message_time_never_wall_clock() -> None:
    store = StoreRegistrationMemory()
    broker = EventBusInMemoryBroker()
    node = _node_in(0, 1)
    # minutes apart: with the wall clock (months later) the first tick would expire the node
    stamps = ["2026-01-01T00:00:00Z", "2026-01-01T00:00:50Z", "2026-01-01T00:01:40Z"]

    async def scenario() -> None:
        bus = _bus(broker, 1, max_batch=1)
        await _publish(bus, [_intro(node, at, epoch=i + 1) for i, at in enumerate(stamps)])
        runner = registration_runner(bus, store, batch_size=1, tick_interval_seconds=30.0)

        def expired_once_caught_up() -> bool:
            rows = store.list_nodes()
            return bool(rows) and rows[0].state.value == "liveness_expired"

        await _run_until(runner, expired_once_caught_up)
        await bus.close()

    asyncio.run(scenario())
    kinds = [e.event_type.value for e in store.iter_events()]
    # registered, updated twice by the backlog (never expired in between), and expired only
    # by the first wall-clock tick once the partition caught up
    assert kinds == [
        "NodeRegistrationInitiated",
        "NodeBecameActive",
        "NodeRegistrationUpdated",
        "NodeRegistrationUpdated",
        "NodeLivenessExpired",
    ]
    clock = _tick_clock(store, "0/1")
    assert clock is not None
    assert clock > datetime(2026, 6, 1, tzinfo=UTC)


# --- slow batches --------------------------------------------------------------------------------


def test_a_batch_the_store_keeps_rolling_back_is_kept_alive_and_committed_once() -> None:
    """The store refuses the batch for several ack waits in a row (a database failing over);
    the runner redoes it and keeps it alive on the bus meanwhile, so it is never delivered
    again, and it commits once."""
    store = StoreRegistrationMemory()
    broker = EventBusInMemoryBroker()
    node = _node_in(0, 1)
    failures = {"left": 6}
    redeliveries: list[int] = []
    retries: list[int] = []

    class _FlakyStore:
        url = store.url

        @contextmanager
        def transaction(self) -> Iterator[Any]:
            with store.transaction() as txn:
                if failures["left"] > 0:
                    failures["left"] -= 1
                    raise ModelStoreUnavailableError("connection lost (test)")
                yield txn

        def close(self) -> None:
            store.close()

    class _Observer:
        def batch_committed(
            self, partition: Any, result: Any, messages: int, seconds: float
        ) -> None: ...
        def batch_abandoned(self, partition: Any, reason: str) -> None: ...
        def store_retry(self, partition: Any) -> None:
            retries.append(1)

        def redelivered(self, partition: Any, count: int) -> None:
            redeliveries.append(count)

        def ticked(self, partition: Any, at: datetime) -> None: ...
        def lease_changed(self, partition: Any, kind: str) -> None: ...
        def partitions_owned(self, partitions: Any) -> None: ...

    async def scenario() -> None:
        bus = _bus(broker, 1, ack_wait_seconds=0.2)
        await _publish(bus, [_intro(node, "2026-03-01T12:00:00Z")])
        observer: ProtocolBusRunnerObserver = _Observer()
        runner = registration_runner(bus, _FlakyStore(), observer=observer)
        await _run_until(runner, lambda: bool(store.list_nodes()))
        await bus.close()

    asyncio.run(scenario())
    assert failures["left"] == 0
    assert len(retries) == 6
    assert redeliveries == []
    assert sum(store.count_outcomes().values()) == 1


def test_a_store_that_cannot_answer_about_leases_is_retried_not_fatal() -> None:
    store = StoreRegistrationMemory()
    outage = {"rounds": 3}

    class _FlakyLeases(_Leases):
        def members(self) -> int:
            if outage["rounds"] > 0:
                outage["rounds"] -= 1
                raise ModelStoreUnavailableError("the database restarts (test)")
            return 1

    async def scenario() -> None:
        bus = _bus(EventBusInMemoryBroker(), 2)
        leases = _FlakyLeases({}, "a", lambda: 1)
        runner = registration_runner(bus, store, leases=leases, rebalance_seconds=0.02)
        await _run_until(runner, lambda: len(runner.owned) == 2)
        await bus.close()

    asyncio.run(scenario())
    assert outage["rounds"] == 0
