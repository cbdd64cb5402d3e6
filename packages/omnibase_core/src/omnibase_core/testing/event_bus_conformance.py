"""The conformance suite every :class:`~omnibase_core.protocols.ProtocolEventBus` passes.

Use it by subclassing :class:`EventBusConformance` in a test module and providing a fixture
``open_event_bus``: an async callable that takes a ``ModelEventBusSettings`` and returns a new,
connected bus. Every bus it opens must be a client of the same broker, so that a second bus
sees what the first published, and what the first left unacknowledged:

.. code-block:: python

    class TestEventBusInMemoryConformance(EventBusConformance):
        @pytest.fixture
        def open_event_bus(self) -> EventBusOpener:
            broker = EventBusInMemoryBroker()

            async def open_bus(settings: ModelEventBusSettings) -> ProtocolEventBus:
                return EventBusInMemory(settings, broker)

            return open_bus

Each test builds streams with fresh names, so a shared broker needs no cleaning. Each test runs
its scenario in its own event loop (``asyncio.run``) and closes what it opened. Tests that wait
for a redelivery use ``ack_wait_seconds`` (raise it for a broker whose timers are coarse);
``patience_seconds`` only bounds waits for something that must happen, nothing is asserted
about how long it took.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.bus.model_bus_message import ModelBusMessage
from omnibase_core.models.bus.model_bus_outbound_message import ModelBusOutboundMessage
from omnibase_core.models.bus.model_bus_partition import ModelBusPartition
from omnibase_core.models.bus.model_bus_stream_settings import ModelBusStreamSettings
from omnibase_core.models.bus.model_event_bus_settings import ModelEventBusSettings
from omnibase_core.models.errors.model_onex_error import ModelOnexError
from omnibase_core.protocols.protocol_event_bus import ProtocolEventBus

EventBusOpener = Callable[[ModelEventBusSettings], Awaitable[ProtocolEventBus]]
T = TypeVar("T")


def _run(scenario: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(scenario)


class _Recorder:
    """A partition listener that records what it heard."""

    def __init__(self) -> None:
        self.events: list[tuple[str, frozenset[int]]] = []

    async def on_partitions_assigned(self, partitions: frozenset[ModelBusPartition]) -> None:
        self.events.append(("assigned", frozenset(p.index for p in partitions)))

    async def on_partitions_revoked(self, partitions: frozenset[ModelBusPartition]) -> None:
        self.events.append(("revoked", frozenset(p.index for p in partitions)))


class EventBusConformance:
    """The behaviour the event bus protocol promises, as tests (see the module docstring)."""

    #: The ack wait of streams in tests that wait for a redelivery.
    ack_wait_seconds: ClassVar[float] = 0.3
    #: The most any single wait for an expected message may take before the test fails.
    patience_seconds: ClassVar[float] = 15.0

    # --- helpers -------------------------------------------------------------------------------
    def stream(self, **overrides: Any) -> ModelBusStreamSettings:
        """Settings of a stream with a fresh name and two topics."""
        name = f"conf{uuid.uuid4().hex[:12]}"
        values: dict[str, Any] = {
            "name": name,
            "topics": (f"conf.{name}.first", f"conf.{name}.second"),
            "partitions": 1,
            "max_batch": 10,
            "ack_wait_seconds": self.ack_wait_seconds,
            **overrides,
        }
        return ModelBusStreamSettings(**values)

    @staticmethod
    def bus_settings(stream: ModelBusStreamSettings) -> ModelEventBusSettings:
        """A bus over the one stream ``stream``."""
        return ModelEventBusSettings(streams=(stream,), operation_timeout_seconds=10.0)

    @staticmethod
    def partitions(stream: ModelBusStreamSettings) -> list[ModelBusPartition]:
        """Every partition of ``stream``."""
        return [ModelBusPartition(stream=stream.name, index=k) for k in range(stream.partitions)]

    async def drain(
        self, bus: ProtocolEventBus, partition: ModelBusPartition, count: int
    ) -> list[ModelBusMessage]:
        """Fetch until ``count`` messages came (fails after ``patience_seconds``)."""
        got: list[ModelBusMessage] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience_seconds
        while len(got) < count:
            remaining = deadline - loop.time()
            assert remaining > 0, f"only {len(got)} of {count} messages arrived on {partition}"
            batch = await bus.fetch(partition, min(10, count - len(got)), remaining)
            got.extend(batch)
            if batch:
                await bus.ack_through(batch[-1])
        return got

    async def first_batch(
        self, bus: ProtocolEventBus, partition: ModelBusPartition, max_messages: int = 10
    ) -> tuple[ModelBusMessage, ...]:
        """The next non-empty batch (fails after ``patience_seconds``)."""
        batch = await bus.fetch(partition, max_messages, self.patience_seconds)
        assert batch, f"nothing arrived on {partition} within {self.patience_seconds}s"
        return batch

    @staticmethod
    def raises(code: EnumCoreErrorCode) -> Any:
        """``pytest.raises`` for a ``ModelOnexError`` with ``code``."""
        return pytest.raises(ModelOnexError, check=lambda e: e.error_code == code)

    # --- order and routing ---------------------------------------------------------------------
    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(
        partitions=st.integers(min_value=1, max_value=4),
        batch=st.booleans(),
        sends=st.lists(
            st.tuples(st.integers(0, 4), st.integers(0, 1), st.binary(max_size=40)),
            min_size=1,
            max_size=25,
        ),
    )
    def test_keyed_messages_arrive_in_publish_order_on_their_partition(
        self,
        open_event_bus: EventBusOpener,
        partitions: int,
        batch: bool,
        sends: list[tuple[int, int, bytes]],
    ) -> None:
        """Whatever is published, each partition delivers exactly its keys' messages, in the
        order they were published, across topics, with every field intact."""
        keys = [str(uuid.uuid4()) for _ in range(5)]
        stream = self.stream(partitions=partitions)

        async def scenario() -> None:
            bus = await open_event_bus(self.bus_settings(stream))
            try:
                outbound = [
                    ModelBusOutboundMessage(
                        topic=stream.topics[topic],
                        key=keys[key],
                        value=value,
                        idempotency_id=f"m-{i}",
                        headers={"x-index": str(i)},
                    )
                    for i, (key, topic, value) in enumerate(sends)
                ]
                if batch:
                    results = list(await bus.publish_batch(outbound))
                else:
                    results = [
                        await bus.publish(
                            o.topic,
                            o.value,
                            key=o.key,
                            idempotency_id=o.idempotency_id,
                            headers=o.headers,
                        )
                        for o in outbound
                    ]
                expected: dict[int, list[int]] = {k: [] for k in range(partitions)}
                for i, (sent, result) in enumerate(zip(outbound, results, strict=True)):
                    assert sent.key is not None
                    where = bus.partition_for(sent.topic, sent.key)
                    assert (result.stream, result.partition) == (stream.name, where.index)
                    assert not result.duplicate
                    expected[where.index].append(i)
                await bus.assign(self.partitions(stream))
                for partition in self.partitions(stream):
                    want = expected[partition.index]
                    got = await self.drain(bus, partition, len(want))
                    assert [int(m.headers["x-index"]) for m in got] == want
                    assert [m.sequence for m in got] == [results[i].sequence for i in want]
                    assert [m.sequence for m in got] == sorted({m.sequence for m in got})
                    for m, i in zip(got, want, strict=True):
                        sent = outbound[i]
                        assert (m.stream, m.partition, m.topic) == (
                            stream.name,
                            partition.index,
                            sent.topic,
                        )
                        assert (m.key, m.value, m.idempotency_id) == (
                            sent.key,
                            sent.value,
                            sent.idempotency_id,
                        )
                        assert m.delivery_count == 1
                    assert await bus.fetch(partition, 10, 0) == ()
            finally:
                await bus.close()

        _run(scenario())

    def test_publish_to_all_partitions_reaches_each_partition_once(
        self, open_event_bus: EventBusOpener
    ) -> None:
        """A broadcast puts one copy on every partition, each with its own idempotency id, and
        repeating it stores nothing."""
        stream = self.stream(partitions=3)

        async def scenario() -> None:
            bus = await open_event_bus(self.bus_settings(stream))
            try:
                first = await bus.publish_to_all_partitions(
                    stream.topics[1], b"tick", idempotency_id="tick-1"
                )
                assert [r.partition for r in first] == [0, 1, 2]
                assert not any(r.duplicate for r in first)
                again = await bus.publish_to_all_partitions(
                    stream.topics[1], b"tick", idempotency_id="tick-1"
                )
                assert all(r.duplicate for r in again)
                assert [r.sequence for r in again] == [r.sequence for r in first]
                await bus.assign(self.partitions(stream))
                for partition in self.partitions(stream):
                    (message,) = await self.drain(bus, partition, 1)
                    assert message.key is None
                    assert message.value == b"tick"
                    assert message.idempotency_id == f"tick-1/{partition.index}"
                    assert await bus.fetch(partition, 10, 0) == ()
            finally:
                await bus.close()

        _run(scenario())

    def test_fetch_waits_for_a_publish_and_times_out_empty(
        self, open_event_bus: EventBusOpener
    ) -> None:
        """A waiting fetch returns as soon as a message is published (with the time it was
        stored, when the bus can tell); with nothing to deliver it returns an empty batch."""
        stream = self.stream()
        (partition,) = self.partitions(stream)

        async def scenario() -> None:
            bus = await open_event_bus(self.bus_settings(stream))
            try:
                await bus.assign([partition])
                assert await bus.fetch(partition, 10, 0) == ()
                assert await bus.fetch(partition, 10, 0.05) == ()
                waiting = asyncio.ensure_future(bus.fetch(partition, 10, self.patience_seconds))
                await asyncio.sleep(0.05)
                before = time.time_ns()
                await bus.publish(
                    stream.topics[0], b"late", key=str(uuid.uuid4()), idempotency_id="late"
                )
                after = time.time_ns()
                (message,) = await waiting
                assert message.value == b"late"
                # when it was stored, if the bus can tell (the broker's clock: a second of slack)
                stored = message.stored_at_ns
                assert stored is None or before - 10**9 <= stored <= after + 10**9
                await bus.ack_through(message)
            finally:
                await bus.close()

        _run(scenario())

    # --- acknowledgement and redelivery --------------------------------------------------------
    def test_ack_through_acknowledges_every_earlier_message_and_survives_reconnect(
        self, open_event_bus: EventBusOpener
    ) -> None:
        """Acknowledging message 3 acknowledges 1..3; after the consumer disconnects, only
        4 and 5 come again (to the next consumer), and once acknowledged nothing does."""
        stream = self.stream()
        (partition,) = self.partitions(stream)
        key = str(uuid.uuid4())

        async def scenario() -> None:
            first = await open_event_bus(self.bus_settings(stream))
            for i in range(5):
                await first.publish(stream.topics[0], b"%d" % i, key=key, idempotency_id=f"a{i}")
            await first.assign([partition])
            batch = await first.fetch(partition, 5, self.patience_seconds)
            while len(batch) < 5:
                batch += await first.fetch(partition, 5 - len(batch), self.patience_seconds)
            assert [m.sequence for m in batch] == sorted(m.sequence for m in batch)
            await first.ack_through(batch[2])
            await first.close()

            second = await open_event_bus(self.bus_settings(stream))
            try:
                await second.assign([partition])
                again = list(await self.first_batch(second, partition))
                while len(again) < 2:
                    again += await self.first_batch(second, partition)
                assert [m.sequence for m in again] == [batch[3].sequence, batch[4].sequence]
                assert [m.value for m in again] == [b"3", b"4"]
                assert all(m.delivery_count >= 2 and m.redelivered for m in again)
                await second.ack_through(again[-1])
                assert await second.fetch(partition, 10, 2 * self.ack_wait_seconds) == ()
            finally:
                await second.close()

        _run(scenario())

    def test_unacknowledged_messages_are_redelivered_in_order_before_newer_ones(
        self, open_event_bus: EventBusOpener
    ) -> None:
        """With the partition's in-flight limit reached, nothing new is delivered; after the
        ack wait the same messages come again, in order (each with the time it was stored, as
        on its first delivery), then the newer ones."""
        stream = self.stream(max_batch=3)
        (partition,) = self.partitions(stream)
        key = str(uuid.uuid4())

        async def scenario() -> None:
            bus = await open_event_bus(self.bus_settings(stream))
            try:
                for i in range(3):
                    await bus.publish(stream.topics[0], b"%d" % i, key=key, idempotency_id=f"r{i}")
                await bus.assign([partition])
                batch = await self.first_batch(bus, partition, 3)
                while len(batch) < 3:
                    batch += await self.first_batch(bus, partition, 3 - len(batch))
                for i in range(3, 5):
                    await bus.publish(stream.topics[1], b"%d" % i, key=key, idempotency_id=f"r{i}")
                assert await bus.fetch(partition, 3, 0) == ()
                again = await self.first_batch(bus, partition, 3)
                assert [m.sequence for m in again] == [m.sequence for m in batch][: len(again)]
                assert all(m.delivery_count == 2 for m in again)
                stored = [m.stored_at_ns for m in batch][: len(again)]
                assert [m.stored_at_ns for m in again] == stored
                await bus.ack_through(again[-1])
                rest = await self.drain(bus, partition, 5 - len(again))
                assert [m.value for m in rest] == [b"%d" % i for i in range(len(again), 5)]
            finally:
                await bus.close()

        _run(scenario())

    def test_in_progress_extends_the_ack_deadline(self, open_event_bus: EventBusOpener) -> None:
        """A batch kept alive with ``in_progress`` is not redelivered to another consumer for
        as long as it is kept alive; once it stops, it is."""
        wait = 2 * self.ack_wait_seconds
        stream = self.stream(ack_wait_seconds=wait)
        (partition,) = self.partitions(stream)
        key = str(uuid.uuid4())

        async def scenario() -> None:
            owner = await open_event_bus(self.bus_settings(stream))
            other = await open_event_bus(self.bus_settings(stream))
            try:
                for i in range(3):
                    await owner.publish(
                        stream.topics[0], b"%d" % i, key=key, idempotency_id=f"p{i}"
                    )
                await owner.assign([partition])
                await other.assign([partition])
                batch = await self.first_batch(owner, partition, 3)
                while len(batch) < 3:
                    batch += await self.first_batch(owner, partition, 3 - len(batch))
                loop = asyncio.get_running_loop()
                keep_until = loop.time() + 1.5 * wait
                while loop.time() < keep_until:
                    await owner.in_progress(batch)
                    assert await other.fetch(partition, 3, wait / 5) == ()
                taken = await self.first_batch(other, partition, 3)
                assert taken[0].sequence == batch[0].sequence
                assert all(m.redelivered for m in taken)
                await other.ack_through(taken[-1])
            finally:
                await owner.close()
                await other.close()

        _run(scenario())

    def test_takeover_never_overtakes_messages_outstanding_elsewhere(
        self, open_event_bus: EventBusOpener
    ) -> None:
        """A second consumer of a partition gets nothing while an earlier message is
        outstanding at the first (even one the first fetched after the second arrived); after
        the ack wait it gets them all, from the first unacknowledged one, in order."""
        stream = self.stream(max_batch=10)
        (partition,) = self.partitions(stream)
        key = str(uuid.uuid4())

        async def scenario() -> None:
            stale = await open_event_bus(self.bus_settings(stream))
            fresh = await open_event_bus(self.bus_settings(stream))
            try:
                for i in range(3):
                    await stale.publish(
                        stream.topics[0], b"%d" % i, key=key, idempotency_id=f"t{i}"
                    )
                await stale.assign([partition])
                held = await self.first_batch(stale, partition)
                await fresh.assign([partition])
                for i in range(3, 6):
                    await stale.publish(
                        stream.topics[1], b"%d" % i, key=key, idempotency_id=f"t{i}"
                    )
                held += await stale.fetch(partition, 10, self.ack_wait_seconds / 3)
                assert await fresh.fetch(partition, 10, self.ack_wait_seconds / 3) == ()
                got = list(await self.first_batch(fresh, partition))
                assert got[0].sequence == held[0].sequence
                await fresh.ack_through(got[-1])
                got += await self.drain(fresh, partition, 6 - len(got))
                assert [m.value for m in got] == [b"%d" % i for i in range(6)]
                assert [m.sequence for m in got] == sorted(m.sequence for m in got)
            finally:
                await stale.close()
                await fresh.close()

        _run(scenario())

    def test_takeover_proceeds_once_the_stale_owner_acknowledges(
        self, open_event_bus: EventBusOpener
    ) -> None:
        """When the first consumer acknowledges what it held (it committed them), the second
        goes on at once with the next message, without waiting for any ack wait."""
        stream = self.stream(ack_wait_seconds=60)
        (partition,) = self.partitions(stream)
        key = str(uuid.uuid4())

        async def scenario() -> None:
            stale = await open_event_bus(self.bus_settings(stream))
            fresh = await open_event_bus(self.bus_settings(stream))
            try:
                for i in range(3):
                    await stale.publish(
                        stream.topics[0], b"%d" % i, key=key, idempotency_id=f"s{i}"
                    )
                await stale.assign([partition])
                held = list(await self.first_batch(stale, partition))
                while len(held) < 3:
                    held += await self.first_batch(stale, partition)
                await fresh.assign([partition])
                await stale.publish(stream.topics[0], b"3", key=key, idempotency_id="s3")
                assert await fresh.fetch(partition, 10, 0.1) == ()
                await stale.ack_through(held[-1])
                (message,) = await self.first_batch(fresh, partition)
                assert (message.value, message.delivery_count) == (b"3", 1)
                await fresh.ack_through(message)
            finally:
                await stale.close()
                await fresh.close()

        _run(scenario())

    def test_a_batch_given_up_by_revoking_comes_back_before_anything_newer(
        self, open_event_bus: EventBusOpener
    ) -> None:
        """A consumer that revokes and reassigns a partition instead of committing its batch
        gets that batch again after the ack wait, in order, before newer messages."""
        stream = self.stream()
        (partition,) = self.partitions(stream)
        key = str(uuid.uuid4())

        async def scenario() -> None:
            bus = await open_event_bus(self.bus_settings(stream))
            try:
                for i in range(3):
                    await bus.publish(stream.topics[0], b"%d" % i, key=key, idempotency_id=f"g{i}")
                await bus.assign([partition])
                given_up = list(await self.first_batch(bus, partition))
                while len(given_up) < 3:
                    given_up += await self.first_batch(bus, partition)
                await bus.revoke([partition])
                await bus.assign([partition])
                for i in range(3, 5):
                    await bus.publish(stream.topics[1], b"%d" % i, key=key, idempotency_id=f"g{i}")
                assert await bus.fetch(partition, 10, self.ack_wait_seconds / 3) == ()
                got = await self.drain(bus, partition, 5)
                assert [m.value for m in got] == [b"%d" % i for i in range(5)]
                assert [m.redelivered for m in got] == [True, True, True, False, False]
            finally:
                await bus.close()

        _run(scenario())

    def test_max_batch_bounds_unacknowledged_messages(self, open_event_bus: EventBusOpener) -> None:
        """At most ``max_batch`` messages of a partition are out unacknowledged; acknowledging
        some lets as many more out."""
        stream = self.stream(max_batch=4)
        (partition,) = self.partitions(stream)
        key = str(uuid.uuid4())

        async def scenario() -> None:
            bus = await open_event_bus(self.bus_settings(stream))
            try:
                results = await bus.publish_batch(
                    [
                        ModelBusOutboundMessage(
                            topic=stream.topics[0], key=key, value=b"%d" % i, idempotency_id=f"b{i}"
                        )
                        for i in range(7)
                    ]
                )
                assert [r.sequence for r in results] == sorted(r.sequence for r in results)
                await bus.assign([partition])
                out = list(await self.first_batch(bus, partition, 4))
                while len(out) < 4:
                    out += await self.first_batch(bus, partition, 4 - len(out))
                assert await bus.fetch(partition, 4, 0.05) == ()
                await bus.ack_through(out[1])
                more = list(await self.first_batch(bus, partition, 4))
                while len(more) < 2:
                    more += await self.first_batch(bus, partition, 4)
                assert [m.value for m in more] == [b"4", b"5"]
                assert await bus.fetch(partition, 4, 0.05) == ()
                await bus.ack_through(more[-1])
                assert [m.value for m in await self.drain(bus, partition, 1)] == [b"6"]
            finally:
                await bus.close()

        _run(scenario())

    # --- de-duplication ------------------------------------------------------------------------
    def test_duplicate_idempotency_id_is_stored_once(self, open_event_bus: EventBusOpener) -> None:
        """Within the window, a repeated idempotency id stores nothing and answers with the
        first copy's position; also inside one batch."""
        stream = self.stream()
        (partition,) = self.partitions(stream)
        key = str(uuid.uuid4())

        async def scenario() -> None:
            bus = await open_event_bus(self.bus_settings(stream))
            try:
                first = await bus.publish(stream.topics[0], b"one", key=key, idempotency_id="x")
                again = await bus.publish(stream.topics[0], b"two", key=key, idempotency_id="x")
                assert not first.duplicate
                assert again.duplicate
                assert again.sequence == first.sequence
                results = await bus.publish_batch(
                    [
                        ModelBusOutboundMessage(
                            topic=stream.topics[1], key=key, value=v, idempotency_id=i
                        )
                        for v, i in ((b"y1", "y"), (b"y2", "y"), (b"z", "z"), (b"x", "x"))
                    ]
                )
                assert [r.duplicate for r in results] == [False, True, False, True]
                assert results[1].sequence == results[0].sequence
                assert results[3].sequence == first.sequence
                await bus.assign([partition])
                got = await self.drain(bus, partition, 3)
                assert [m.value for m in got] == [b"one", b"y1", b"z"]
                assert await bus.fetch(partition, 10, 0) == ()
            finally:
                await bus.close()

        _run(scenario())

    # --- assignment ----------------------------------------------------------------------------
    def test_listeners_hear_each_assignment_change_once(
        self, open_event_bus: EventBusOpener
    ) -> None:
        """Listeners hear only the partitions that changed; closing revokes the rest; a
        revoked partition can no longer be fetched or acknowledged."""
        stream = self.stream(partitions=4)
        p = self.partitions(stream)

        async def scenario() -> None:
            bus = await open_event_bus(self.bus_settings(stream))
            recorder = _Recorder()
            bus.add_partition_listener(recorder)
            await bus.publish(stream.topics[0], b"m", partition=0, idempotency_id="m")
            await bus.assign([p[0], p[1]])
            await bus.assign([p[1], p[2]])
            await bus.assign([p[2]])
            (message,) = await self.first_batch(bus, p[0])
            await bus.revoke([p[0], p[3]])
            assert bus.assignment() == frozenset({p[1], p[2]})
            with self.raises(EnumCoreErrorCode.INVALID_STATE):
                await bus.fetch(p[0], 1, 0)
            with self.raises(EnumCoreErrorCode.INVALID_STATE):
                await bus.ack_through(message)
            with self.raises(EnumCoreErrorCode.INVALID_STATE):
                await bus.in_progress([message])
            await bus.close()
            await bus.close()
            assert bus.is_closed
            assert recorder.events == [
                ("assigned", frozenset({0, 1})),
                ("assigned", frozenset({2})),
                ("revoked", frozenset({0})),
                ("revoked", frozenset({1, 2})),
            ]
            assert bus.assignment() == frozenset()

        _run(scenario())

    # --- errors --------------------------------------------------------------------------------
    def test_bad_input_gets_one_precise_error_and_stores_nothing(
        self, open_event_bus: EventBusOpener
    ) -> None:
        """Unknown topics, partitions and streams, missing or contradictory routing, empty
        ids, reserved headers, non-bytes values and out-of-range fetches are refused; a batch
        with one bad message stores none of it."""
        stream = self.stream(partitions=2, max_batch=5)
        key = str(uuid.uuid4())
        invalid = EnumCoreErrorCode.INVALID_PARAMETER

        async def scenario() -> None:
            bus = await open_event_bus(self.bus_settings(stream))
            topic = stream.topics[0]
            try:
                home = bus.partition_for(topic, key).index
                with self.raises(invalid):
                    await bus.publish("no.such.topic", b"v", key=key, idempotency_id="i")
                with self.raises(invalid):
                    await bus.publish(topic, b"v", idempotency_id="i")
                with self.raises(invalid):
                    await bus.publish(topic, b"v", partition=2, idempotency_id="i")
                with self.raises(invalid):
                    await bus.publish(topic, b"v", key=key, partition=1 - home, idempotency_id="i")
                with self.raises(invalid):
                    await bus.publish(topic, b"v", key=key, idempotency_id="")
                with self.raises(invalid):
                    await bus.publish(topic, b"v", key="", idempotency_id="i")
                with self.raises(invalid):
                    await bus.publish(
                        topic, b"v", key=key, idempotency_id="i", headers={"Nats-Msg-Id": "x"}
                    )
                with self.raises(invalid):
                    await bus.publish(topic, "text", key=key, idempotency_id="i")  # type: ignore[arg-type]
                with self.raises(invalid):
                    bus.partition_for("no.such.topic", key)
                good = ModelBusOutboundMessage(
                    topic=topic, key=key, value=b"ok", idempotency_id="g"
                )
                bad = ModelBusOutboundMessage(
                    topic="nowhere", key=key, value=b"", idempotency_id="b"
                )
                with self.raises(invalid):
                    await bus.publish_batch([good, bad])
                with self.raises(invalid):
                    await bus.assign([ModelBusPartition(stream=stream.name, index=2)])
                with self.raises(invalid):
                    await bus.assign([ModelBusPartition(stream="nosuchstream", index=0)])
                partition = ModelBusPartition(stream=stream.name, index=home)
                with self.raises(EnumCoreErrorCode.INVALID_STATE):
                    await bus.fetch(partition, 1, 0)
                await bus.assign([partition])
                for size, timeout in ((0, 0.0), (6, 0.0), (1, -1.0), (1, float("nan"))):
                    with self.raises(invalid):
                        await bus.fetch(partition, size, timeout)
                assert await bus.fetch(partition, 5, 0.05) == ()
                assert bus.assignment() == frozenset({partition})
            finally:
                await bus.close()

        _run(scenario())

    def test_a_closed_bus_refuses_every_operation(self, open_event_bus: EventBusOpener) -> None:
        """After ``close`` every operation raises ``INVALID_STATE``."""
        stream = self.stream()
        (partition,) = self.partitions(stream)
        key = str(uuid.uuid4())
        state = EnumCoreErrorCode.INVALID_STATE

        async def scenario() -> None:
            bus = await open_event_bus(self.bus_settings(stream))
            await bus.publish(stream.topics[0], b"v", key=key, idempotency_id="c")
            await bus.assign([partition])
            (message,) = await self.first_batch(bus, partition)
            await bus.close()
            with self.raises(state):
                await bus.publish(stream.topics[0], b"v", key=key, idempotency_id="d")
            with self.raises(state):
                await bus.publish_batch([])
            with self.raises(state):
                await bus.publish_to_all_partitions(stream.topics[0], b"v", idempotency_id="e")
            with self.raises(state):
                await bus.assign([partition])
            with self.raises(state):
                await bus.revoke([partition])
            with self.raises(state):
                await bus.fetch(partition, 1, 0)
            with self.raises(state):
                await bus.ack_through(message)
            with self.raises(state):
                await bus.in_progress([message])

        _run(scenario())
