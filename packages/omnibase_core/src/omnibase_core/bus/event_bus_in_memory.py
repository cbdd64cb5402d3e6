"""An event bus held in memory: the embedded default and the reference for the conformance
suite."""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence

from omnibase_core.bus.bus_publish_target import BusPublishTarget
from omnibase_core.bus.event_bus_base import EventBusBase
from omnibase_core.bus.event_bus_in_memory_broker import EventBusInMemoryBroker
from omnibase_core.models.bus.model_bus_message import ModelBusMessage
from omnibase_core.models.bus.model_bus_partition import ModelBusPartition
from omnibase_core.models.bus.model_bus_publish_result import ModelBusPublishResult
from omnibase_core.models.bus.model_bus_stream_settings import ModelBusStreamSettings
from omnibase_core.models.bus.model_event_bus_settings import ModelEventBusSettings


def crc32_of_key(key: str) -> int:
    """CRC-32 of the key's UTF-8 bytes: the default partitioning function.

    For a node id in canonical form (lower-case, hyphenated) this is the same number the
    stores' partition hash gives, so partitions mean the same thing on every bus.
    """
    return zlib.crc32(key.encode("utf-8"))


class EventBusInMemory(EventBusBase):
    """A :class:`~omnibase_core.protocols.ProtocolEventBus` over an in-memory broker.

    Each instance is one client: buses that share ``broker`` share streams, consumer groups
    and de-duplication, and a message one bus fetched and did not acknowledge is redelivered
    (to any of them) after the ack wait, as with a server. Without ``broker`` the bus has a
    private one. ``partitioner`` maps a key to a hash (``crc32_of_key`` by default).

    Thread and task safety: the broker is shared safely by buses on any threads and event
    loops. One bus instance keeps its assignment in plain attributes, so assign and revoke it
    from one event loop; fetch, publish and acknowledge may run concurrently on that loop.
    Nothing persists: a process that exits loses the broker.
    """

    def __init__(
        self,
        settings: ModelEventBusSettings,
        broker: EventBusInMemoryBroker | None = None,
        partitioner: Callable[[str], int] = crc32_of_key,
    ) -> None:
        super().__init__(settings)
        self._broker = broker if broker is not None else EventBusInMemoryBroker()
        self._partitioner = partitioner
        # One holder identity per assignment: after a revoke, what this bus held counts as
        # held elsewhere (it is redelivered after the ack wait before anything newer).
        self._holders: dict[ModelBusPartition, object] = {}
        for stream in settings.streams:
            self._broker.declare(stream)

    @property
    def broker(self) -> EventBusInMemoryBroker:
        """The broker this bus is a client of (pass it to another bus to share the log)."""
        return self._broker

    def _partition_key(self, key: str) -> tuple[str, int]:
        return key, self._partitioner(key)

    async def _publish_targets(
        self, targets: Sequence[BusPublishTarget]
    ) -> tuple[ModelBusPublishResult, ...]:
        return self._broker.append(targets)

    async def _open_partitions(self, partitions: frozenset[ModelBusPartition]) -> None:
        for partition in partitions:
            self._holders[partition] = object()

    async def _close_partitions(self, partitions: frozenset[ModelBusPartition]) -> None:
        for partition in partitions:
            self._holders.pop(partition, None)

    async def _fetch(
        self,
        partition: ModelBusPartition,
        stream: ModelBusStreamSettings,
        max_messages: int,
        timeout_seconds: float,
    ) -> tuple[ModelBusMessage, ...]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_seconds
        clock = self._broker.now
        while True:
            woken = asyncio.Event()

            def wake(event: asyncio.Event = woken) -> None:
                # RuntimeError: the loop closed, nobody is waiting any more
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(event.set)

            messages, next_expiry = self._broker.take(
                self._holders[partition], stream, partition.index, max_messages, wake
            )
            if messages:
                return tuple(messages)
            try:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return ()
                if next_expiry is not None:
                    remaining = min(remaining, max(0.0, next_expiry - clock()) + 0.001)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), remaining)
            finally:
                self._broker.forget(stream.name, partition.index, wake)

    async def _ack_through(self, message: ModelBusMessage) -> None:
        stream = self._streams[message.stream]
        self._broker.ack_through(stream, message.partition, message.sequence)

    async def _in_progress(self, messages: Sequence[ModelBusMessage]) -> None:
        by_partition: defaultdict[tuple[str, int], list[int]] = defaultdict(list)
        for message in messages:
            by_partition[(message.stream, message.partition)].append(message.sequence)
        for (name, index), sequences in by_partition.items():
            holder = self._holders[ModelBusPartition(stream=name, index=index)]
            self._broker.extend(holder, self._streams[name], index, sequences)

    async def _release(self) -> None:
        return None
