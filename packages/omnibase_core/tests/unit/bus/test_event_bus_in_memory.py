"""What the in-memory bus promises beyond the conformance suite: a shared broker across
threads, a clock it can be driven by, fixed stream shapes and its partitioner."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import uuid

import pytest

from omnibase_core.bus import EventBusInMemory, EventBusInMemoryBroker, crc32_of_key
from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import (
    ModelBusPartition,
    ModelBusStreamSettings,
    ModelEventBusSettings,
)
from omnibase_core.models.errors import ModelOnexError


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def bus_settings(**overrides: object) -> ModelEventBusSettings:
    values: dict[str, object] = {"name": "s", "topics": ("t.a", "t.b"), "max_batch": 5}
    values.update(overrides)
    return ModelEventBusSettings(streams=(ModelBusStreamSettings.model_validate(values),))


def test_threads_publishing_to_one_broker_lose_and_reorder_nothing() -> None:
    """Four threads, each with its own event loop and bus, publish concurrently; one consumer
    then reads every message once, each thread's messages in its order."""
    broker = EventBusInMemoryBroker()
    settings = bus_settings(partitions=1)
    per_thread = 200

    def produce(thread: int) -> None:
        async def run() -> None:
            bus = EventBusInMemory(settings, broker)
            for i in range(per_thread):
                await bus.publish(
                    "t.a",
                    f"{thread}:{i}".encode(),
                    key=f"k{thread}",
                    idempotency_id=f"{thread}-{i}",
                )
            await bus.close()

        asyncio.run(run())

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    async def consume() -> list[tuple[int, bytes]]:
        bus = EventBusInMemory(settings, broker)
        partition = ModelBusPartition(stream="s", index=0)
        await bus.assign([partition])
        got: list[tuple[int, bytes]] = []
        while batch := await bus.fetch(partition, 5, 0):
            got.extend((m.sequence, m.value) for m in batch)
            await bus.ack_through(batch[-1])
        await bus.close()
        return got

    got = asyncio.run(consume())
    assert [sequence for sequence, _ in got] == list(range(1, 4 * per_thread + 1))
    for n in range(4):
        mine = [v for _, v in got if v.startswith(f"{n}:".encode())]
        assert mine == [f"{n}:{i}".encode() for i in range(per_thread)]


def test_a_fetch_waiting_in_one_thread_wakes_on_a_publish_from_another() -> None:
    broker = EventBusInMemoryBroker()
    settings = bus_settings()
    partition = ModelBusPartition(stream="s", index=0)
    started = threading.Event()

    async def consume() -> bytes:
        bus = EventBusInMemory(settings, broker)
        await bus.assign([partition])
        started.set()
        (message,) = await bus.fetch(partition, 5, 30)
        await bus.close()
        return message.value

    result: list[bytes] = []
    consumer = threading.Thread(target=lambda: result.append(asyncio.run(consume())))
    consumer.start()
    started.wait(10)

    async def produce() -> None:
        await EventBusInMemory(settings, broker).publish(
            "t.a", b"across", partition=0, idempotency_id="x"
        )

    asyncio.run(produce())
    consumer.join(30)
    assert result == [b"across"]


def test_redelivery_and_duplicate_window_follow_the_broker_clock() -> None:
    """Nothing is redelivered before the ack wait passes on the broker's clock, and an id is
    de-duplicated exactly while it is inside the window."""
    clock = ManualClock()
    broker = EventBusInMemoryBroker(clock)
    settings = bus_settings(ack_wait_seconds=30, duplicate_window_seconds=120)
    partition = ModelBusPartition(stream="s", index=0)

    async def scenario() -> None:
        bus = EventBusInMemory(settings, broker)
        await bus.publish("t.a", b"1", partition=0, idempotency_id="one")
        await bus.assign([partition])
        (first,) = await bus.fetch(partition, 5, 0)
        clock.now += 29.9
        assert await bus.fetch(partition, 5, 0) == ()
        await bus.in_progress([first])
        clock.now += 29.9
        assert await bus.fetch(partition, 5, 0) == ()
        clock.now += 0.2
        (again,) = await bus.fetch(partition, 5, 0)
        assert (again.sequence, again.delivery_count) == (first.sequence, 2)
        await bus.ack_through(again)
        inside = await bus.publish("t.a", b"1", partition=0, idempotency_id="one")
        assert inside.duplicate
        clock.now += 120.1
        outside = await bus.publish("t.a", b"1", partition=0, idempotency_id="one")
        assert not outside.duplicate
        assert outside.sequence == first.sequence + 1
        await bus.close()

    asyncio.run(scenario())


def test_acknowledging_a_message_never_delivered_is_refused() -> None:
    async def scenario() -> None:
        bus = EventBusInMemory(bus_settings())
        await bus.publish("t.a", b"1", partition=0, idempotency_id="one")
        partition = ModelBusPartition(stream="s", index=0)
        await bus.assign([partition])
        (message,) = await bus.fetch(partition, 5, 0)
        forged = dataclasses.replace(message, sequence=7)
        with pytest.raises(ModelOnexError) as caught:
            await bus.ack_through(forged)
        assert caught.value.error_code == EnumCoreErrorCode.INVALID_PARAMETER
        assert "never delivered" in caught.value.message
        await bus.close()

    asyncio.run(scenario())


def test_a_stream_keeps_its_partitions_and_topics() -> None:
    broker = EventBusInMemoryBroker()
    EventBusInMemory(bus_settings(partitions=2), broker)
    EventBusInMemory(bus_settings(partitions=2, ack_wait_seconds=5), broker)
    with pytest.raises(ModelOnexError) as caught:
        EventBusInMemory(bus_settings(partitions=3), broker)
    assert caught.value.error_code == EnumCoreErrorCode.CONFIGURATION_ERROR
    assert "fixed" in caught.value.message
    with pytest.raises(ModelOnexError) as caught:
        EventBusInMemory(bus_settings(name="other", topics=("t.a",)), broker)
    assert caught.value.error_code == EnumCoreErrorCode.CONFIGURATION_ERROR
    assert "already belongs to stream 's'" in caught.value.message


def test_the_partitioner_decides_partitions() -> None:
    settings = bus_settings(partitions=7)
    default = EventBusInMemory(settings)
    node = uuid.uuid4()
    assert default.partition_for("t.a", str(node)).index == crc32_of_key(str(node)) % 7
    fixed = EventBusInMemory(settings, partitioner=lambda key: 3)
    assert fixed.partition_for("t.b", "anything").index == 3

    async def scenario() -> None:
        result = await fixed.publish("t.b", b"v", key="anything", idempotency_id="i")
        assert result.partition == 3

    asyncio.run(scenario())


def test_a_listener_that_raises_still_sees_the_change_recorded() -> None:
    class Failing:
        async def on_partitions_assigned(self, partitions: frozenset[ModelBusPartition]) -> None:
            raise RuntimeError("listener failed")

        async def on_partitions_revoked(self, partitions: frozenset[ModelBusPartition]) -> None:
            raise RuntimeError("listener failed on revoke")

    async def scenario() -> None:
        bus = EventBusInMemory(bus_settings())
        bus.add_partition_listener(Failing())
        partition = ModelBusPartition(stream="s", index=0)
        with pytest.raises(RuntimeError, match="listener failed"):
            await bus.assign([partition])
        assert bus.assignment() == {partition}
        with pytest.raises(RuntimeError, match="on revoke"):
            await bus.close()
        assert bus.is_closed
        assert bus.assignment() == frozenset()

    asyncio.run(scenario())


def test_only_listeners_can_listen() -> None:
    bus = EventBusInMemory(bus_settings())
    with pytest.raises(ModelOnexError) as caught:
        bus.add_partition_listener(object())  # type: ignore[arg-type]
    assert caught.value.error_code == EnumCoreErrorCode.INVALID_PARAMETER
