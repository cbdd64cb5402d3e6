"""The shared state behind in-memory buses: what a broker is to its clients.

Every :class:`~omnibase_core.bus.EventBusInMemory` created on the same broker sees the same
streams, the same consumer positions and the same de-duplication windows, as clients of one
server do; a bus that is closed (or dropped) is like a client that disconnected: what it held
unacknowledged is delivered again after the ack wait.

Thread safety: every operation takes one lock for a short critical section that never waits;
buses on any threads and event loops may share a broker. A fetch that has to wait registers a
waker that is called (thread-safely, through its event loop) when the partition changes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from omnibase_core.bus.bus_checks import invalid
from omnibase_core.bus.bus_publish_target import BusPublishTarget
from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.bus.model_bus_message import ModelBusMessage
from omnibase_core.models.bus.model_bus_publish_result import ModelBusPublishResult
from omnibase_core.models.bus.model_bus_stream_settings import ModelBusStreamSettings
from omnibase_core.models.errors.model_onex_error import ModelOnexError

Waker = Callable[[], None]


class _Record(NamedTuple):
    topic: str
    key: str | None
    value: bytes
    headers: dict[str, str]
    idempotency_id: str
    stored_at_ns: int


@dataclass
class _Pending:
    holder: object
    deadline: float
    deliveries: int


@dataclass
class _Consumer:
    ack_floor: int = 0
    next_new: int = 1
    pending: dict[int, _Pending] = field(default_factory=dict)


@dataclass
class _PartitionLog:
    records: list[_Record] = field(default_factory=list)
    ids: OrderedDict[str, tuple[int, float]] = field(default_factory=OrderedDict)
    consumers: dict[str, _Consumer] = field(default_factory=dict)
    wakers: set[Waker] = field(default_factory=set)


class EventBusInMemoryBroker:
    """Streams, consumer groups and de-duplication windows kept in memory.

    ``clock`` (monotonic seconds) drives ack waits and duplicate windows; tests may pass
    their own.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._streams: dict[str, ModelBusStreamSettings] = {}
        self._topic_owner: dict[str, str] = {}
        self._logs: dict[tuple[str, int], _PartitionLog] = {}

    def now(self) -> float:
        """The broker's clock (monotonic seconds): ack deadlines are on this clock."""
        return self._clock()

    def declare(self, stream: ModelBusStreamSettings) -> None:
        """Create ``stream``, or check it matches the one already there.

        A stream's partitions and topics are fixed once created; a topic belongs to one
        stream. Raises ``ModelOnexError(CONFIGURATION_ERROR)`` on a conflict.
        """
        with self._lock:
            existing = self._streams.get(stream.name)
            if existing is not None and (
                existing.partitions != stream.partitions
                or set(existing.topics) != set(stream.topics)
            ):
                raise ModelOnexError(
                    f"stream {stream.name!r} exists with {existing.partitions} partitions and "
                    f"topics {list(existing.topics)}; asked for {stream.partitions} and "
                    f"{list(stream.topics)}. A stream's partitions and topics are fixed: use "
                    "another stream name",
                    EnumCoreErrorCode.CONFIGURATION_ERROR,
                    {"stream": stream.name},
                )
            for topic in stream.topics:
                owner = self._topic_owner.get(topic, stream.name)
                if owner != stream.name:
                    raise ModelOnexError(
                        f"topic {topic!r} already belongs to stream {owner!r}; it cannot also "
                        f"belong to {stream.name!r}",
                        EnumCoreErrorCode.CONFIGURATION_ERROR,
                        {"stream": stream.name, "topic": topic},
                    )
            self._streams[stream.name] = stream
            for topic in stream.topics:
                self._topic_owner[topic] = stream.name
            for index in range(stream.partitions):
                self._logs.setdefault((stream.name, index), _PartitionLog())

    def append(self, targets: Sequence[BusPublishTarget]) -> tuple[ModelBusPublishResult, ...]:
        """Store checked messages in order; an id seen within the window is not stored again."""
        results = []
        touched: list[_PartitionLog] = []
        with self._lock:
            now = self._clock()
            stored_at_ns = time.time_ns()
            for target in targets:
                log = self._logs[(target.stream.name, target.partition)]
                horizon = now - target.stream.duplicate_window_seconds
                while log.ids and next(iter(log.ids.values()))[1] < horizon:
                    log.ids.popitem(last=False)
                seen = log.ids.get(target.idempotency_id)
                if seen is not None:
                    results.append(
                        ModelBusPublishResult(
                            stream=target.stream.name,
                            partition=target.partition,
                            sequence=seen[0],
                            duplicate=True,
                        )
                    )
                    continue
                log.records.append(
                    _Record(
                        target.topic,
                        target.key,
                        target.value,
                        target.headers,
                        target.idempotency_id,
                        stored_at_ns,
                    )
                )
                sequence = len(log.records)
                log.ids[target.idempotency_id] = (sequence, now)
                results.append(
                    ModelBusPublishResult(
                        stream=target.stream.name,
                        partition=target.partition,
                        sequence=sequence,
                        duplicate=False,
                    )
                )
                touched.append(log)
            wakers = [w for log in {id(x): x for x in touched}.values() for w in log.wakers]
        for wake in wakers:
            wake()
        return tuple(results)

    def take(
        self,
        holder: object,
        stream: ModelBusStreamSettings,
        index: int,
        max_messages: int,
        waker: Waker | None,
    ) -> tuple[list[ModelBusMessage], float | None]:
        """Deliver up to ``max_messages`` of a partition to ``holder``.

        Expired messages first (redelivered, in order), then new ones while fewer than
        ``max_batch`` are unacknowledged; nothing past a message that another holder has
        outstanding. Returns the messages and, when nothing was delivered, the earliest time
        something may expire; ``waker`` is then registered until :meth:`forget`.
        """
        with self._lock:
            now = self._clock()
            log = self._logs[(stream.name, index)]
            consumer = log.consumers.setdefault(stream.group, _Consumer())
            taken: list[tuple[int, int]] = []
            blocked = False
            for sequence in sorted(consumer.pending):
                pending = consumer.pending[sequence]
                if pending.deadline <= now:
                    if len(taken) == max_messages:
                        break
                    pending.holder = holder
                    pending.deliveries += 1
                    pending.deadline = now + stream.ack_wait_seconds
                    taken.append((sequence, pending.deliveries))
                elif pending.holder is not holder:
                    blocked = True
                    break
            if not blocked:
                while (
                    len(taken) < max_messages
                    and len(consumer.pending) < stream.max_batch
                    and consumer.next_new <= len(log.records)
                ):
                    sequence = consumer.next_new
                    consumer.next_new += 1
                    consumer.pending[sequence] = _Pending(holder, now + stream.ack_wait_seconds, 1)
                    taken.append((sequence, 1))
            if not taken:
                if waker is not None:
                    log.wakers.add(waker)
                deadlines = [p.deadline for p in consumer.pending.values()]
                return [], min(deadlines) if deadlines else None
            messages = [
                _message(stream.name, index, sequence, deliveries, log.records[sequence - 1])
                for sequence, deliveries in taken
            ]
        return messages, None

    def forget(self, stream: str, index: int, waker: Waker) -> None:
        """Unregister a waker added by :meth:`take`."""
        with self._lock:
            self._logs[(stream, index)].wakers.discard(waker)

    def ack_through(self, stream: ModelBusStreamSettings, index: int, sequence: int) -> None:
        """Acknowledge every delivered message of the partition up to ``sequence``.

        Raises ``INVALID_PARAMETER`` for a sequence that was never delivered.
        """
        with self._lock:
            log = self._logs[(stream.name, index)]
            consumer = log.consumers.setdefault(stream.group, _Consumer())
            if sequence >= consumer.next_new:
                raise invalid(
                    f"message {sequence} of partition {stream.name}/{index} was never delivered "
                    f"to group {stream.group!r}; acknowledge a message that fetch returned",
                    sequence=sequence,
                )
            for done in [s for s in consumer.pending if s <= sequence]:
                del consumer.pending[done]
            consumer.ack_floor = max(consumer.ack_floor, sequence)
            wakers = list(log.wakers)
        for wake in wakers:
            wake()

    def extend(
        self, holder: object, stream: ModelBusStreamSettings, index: int, sequences: list[int]
    ) -> None:
        """Restart the ack-wait clock of ``holder``'s outstanding messages among ``sequences``."""
        with self._lock:
            now = self._clock()
            consumer = self._logs[(stream.name, index)].consumers.get(stream.group)
            if consumer is None:
                return
            for sequence in sequences:
                pending = consumer.pending.get(sequence)
                if pending is not None and pending.holder is holder:
                    pending.deadline = now + stream.ack_wait_seconds


def _message(
    stream: str, index: int, sequence: int, deliveries: int, record: _Record
) -> ModelBusMessage:
    return ModelBusMessage(
        stream=stream,
        partition=index,
        topic=record.topic,
        key=record.key,
        value=record.value,
        headers=dict(record.headers),
        idempotency_id=record.idempotency_id,
        sequence=sequence,
        delivery_count=deliveries,
        receipt=f"{sequence}:{deliveries}",
        stored_at_ns=record.stored_at_ns,
    )
