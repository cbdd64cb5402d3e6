"""What every event bus shares: input checks, partition choice, assignment and listeners.

An implementation subclasses :class:`EventBusBase` and provides the broker side: how a key
hashes, how checked messages are stored, how a partition is opened, fetched, acknowledged and
closed. Everything a caller can get wrong is checked here, once, with the same error for every
implementation (the conformance suite holds them to it).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence

from omnibase_core.bus import bus_checks
from omnibase_core.bus.bus_publish_target import BusPublishTarget
from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.bus.model_bus_message import ModelBusMessage
from omnibase_core.models.bus.model_bus_outbound_message import ModelBusOutboundMessage
from omnibase_core.models.bus.model_bus_partition import ModelBusPartition
from omnibase_core.models.bus.model_bus_publish_result import ModelBusPublishResult
from omnibase_core.models.bus.model_bus_stream_settings import ModelBusStreamSettings
from omnibase_core.models.bus.model_event_bus_settings import ModelEventBusSettings
from omnibase_core.models.errors.model_onex_error import ModelOnexError
from omnibase_core.protocols.protocol_bus_partition_listener import ProtocolBusPartitionListener


class EventBusBase(abc.ABC):
    """The broker-independent half of a :class:`~omnibase_core.protocols.ProtocolEventBus`.

    Not thread safe by itself: one instance is used from one event loop. (Implementations may
    say more; ``EventBusInMemory`` shares its broker across threads.)
    """

    def __init__(self, settings: ModelEventBusSettings) -> None:
        self._settings = settings
        self._streams = {stream.name: stream for stream in settings.streams}
        self._topics = {topic: stream for stream in settings.streams for topic in stream.topics}
        self._assigned: set[ModelBusPartition] = set()
        self._listeners: list[ProtocolBusPartitionListener] = []
        self._closed = False

    # --- broker side, provided by each implementation -------------------------------------
    @abc.abstractmethod
    def _partition_key(self, key: str) -> tuple[str, int]:
        """``(normalised key, hash)`` of a checked key; raise ``INVALID_PARAMETER`` if the
        broker cannot carry it."""

    @abc.abstractmethod
    async def _publish_targets(
        self, targets: Sequence[BusPublishTarget]
    ) -> tuple[ModelBusPublishResult, ...]:
        """Store checked messages (in order per partition); one result per target."""

    @abc.abstractmethod
    async def _open_partitions(self, partitions: frozenset[ModelBusPartition]) -> None:
        """Prepare to fetch from ``partitions`` (called before they count as assigned)."""

    @abc.abstractmethod
    async def _close_partitions(self, partitions: frozenset[ModelBusPartition]) -> None:
        """Stop fetching from ``partitions`` (called after they stopped counting as assigned)."""

    @abc.abstractmethod
    async def _fetch(
        self,
        partition: ModelBusPartition,
        stream: ModelBusStreamSettings,
        max_messages: int,
        timeout_seconds: float,
    ) -> tuple[ModelBusMessage, ...]:
        """Fetch from an assigned partition, arguments checked."""

    @abc.abstractmethod
    async def _ack_through(self, message: ModelBusMessage) -> None:
        """Acknowledge a message of an assigned partition and every earlier one."""

    @abc.abstractmethod
    async def _in_progress(self, messages: Sequence[ModelBusMessage]) -> None:
        """Restart the ack-wait clock of messages of assigned partitions."""

    @abc.abstractmethod
    async def _release(self) -> None:
        """Release the connection; every partition is already closed."""

    # --- the protocol ---------------------------------------------------------------------
    @property
    def settings(self) -> ModelEventBusSettings:
        """The streams this bus produces to and consumes from."""
        return self._settings

    @property
    def is_closed(self) -> bool:
        """Whether ``close`` was called."""
        return self._closed

    def partition_for(self, topic: str, key: str) -> ModelBusPartition:
        """The partition a message on ``topic`` with ``key`` goes to.

        Raises ``INVALID_PARAMETER`` for a topic of no stream or a key the bus cannot carry.
        """
        stream = self._stream_of_topic(topic)
        _, hashed = self._partition_key(bus_checks.check_key(key))
        return ModelBusPartition(stream=stream.name, index=hashed % stream.partitions)

    async def publish(
        self,
        topic: str,
        value: bytes,
        *,
        idempotency_id: str,
        key: str | None = None,
        partition: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ModelBusPublishResult:
        """Append one message and wait until the broker stored it (see the protocol).

        Raises ``INVALID_PARAMETER`` on bad input, ``INVALID_STATE`` when closed,
        ``ModelBusUnavailableError`` when the broker did not store it in time.
        """
        self._check_open()
        target = self._target(topic, value, key, partition, idempotency_id, headers)
        return (await self._publish_targets((target,)))[0]

    async def publish_batch(
        self, messages: Sequence[ModelBusOutboundMessage]
    ) -> tuple[ModelBusPublishResult, ...]:
        """Append several messages, pipelined; results in input order (see the protocol).

        Every message is checked before anything is sent. Raises as ``publish``.
        """
        self._check_open()
        targets = [
            self._target(m.topic, m.value, m.key, m.partition, m.idempotency_id, m.headers)
            for m in messages
        ]
        if not targets:
            return ()
        return await self._publish_targets(targets)

    async def publish_to_all_partitions(
        self,
        topic: str,
        value: bytes,
        *,
        idempotency_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[ModelBusPublishResult, ...]:
        """One copy per partition, copy ``k`` with id ``f"{idempotency_id}/{k}"``.

        Raises as ``publish``.
        """
        self._check_open()
        stream = self._stream_of_topic(topic)
        bus_checks.check_idempotency_id(idempotency_id)
        targets = [
            self._target(topic, value, None, k, f"{idempotency_id}/{k}", headers)
            for k in range(stream.partitions)
        ]
        return await self._publish_targets(targets)

    def add_partition_listener(self, listener: ProtocolBusPartitionListener) -> None:
        """Tell ``listener`` about every later assignment and revocation."""
        if not isinstance(listener, ProtocolBusPartitionListener):
            raise bus_checks.invalid(
                f"{listener!r} is not a partition listener: it needs async "
                "on_partitions_assigned(partitions) and on_partitions_revoked(partitions)"
            )
        self._listeners.append(listener)

    def assignment(self) -> frozenset[ModelBusPartition]:
        """The partitions this bus is currently assigned."""
        return frozenset(self._assigned)

    async def assign(self, partitions: Iterable[ModelBusPartition]) -> None:
        """Start consuming ``partitions``; listeners hear about the new ones.

        Raises ``INVALID_PARAMETER`` for an unknown stream or index, ``INVALID_STATE`` when
        closed.
        """
        self._check_open()
        wanted = frozenset(partitions)
        for partition in wanted:
            self._stream_of_partition(partition)
        new = wanted - self._assigned
        if not new:
            return
        await self._open_partitions(new)
        self._assigned |= new
        for listener in list(self._listeners):
            await listener.on_partitions_assigned(new)

    async def revoke(self, partitions: Iterable[ModelBusPartition]) -> None:
        """Stop consuming ``partitions``; listeners hear about those that were assigned.

        Raises ``INVALID_STATE`` when closed.
        """
        self._check_open()
        await self._revoke(frozenset(partitions) & self._assigned)

    async def fetch(
        self, partition: ModelBusPartition, max_messages: int, timeout_seconds: float
    ) -> tuple[ModelBusMessage, ...]:
        """Up to ``max_messages`` messages of an assigned partition, in order (see the protocol).

        Raises ``INVALID_PARAMETER`` on a bad size or timeout, ``INVALID_STATE`` for a
        partition not assigned here or a closed bus.
        """
        self._check_open()
        stream = self._check_assigned(partition)
        bus_checks.check_max_messages(max_messages, stream.max_batch)
        timeout = bus_checks.check_timeout(timeout_seconds)
        return await self._fetch(partition, stream, max_messages, timeout)

    async def ack_through(self, message: ModelBusMessage) -> None:
        """Acknowledge ``message`` and every earlier message of its partition.

        Raises ``INVALID_STATE`` when its partition is not assigned here or the bus is closed.
        """
        self._check_open()
        self._check_message(message)
        await self._ack_through(message)

    async def in_progress(self, messages: Sequence[ModelBusMessage]) -> None:
        """Restart the ack-wait clock of each message; raises as ``ack_through``."""
        self._check_open()
        for message in messages:
            self._check_message(message)
        if messages:
            await self._in_progress(messages)

    async def close(self) -> None:
        """Revoke every partition (listeners hear about it), then release. Idempotent."""
        if self._closed:
            return
        try:
            await self._revoke(frozenset(self._assigned))
        finally:
            self._closed = True
            await self._release()

    # --- helpers --------------------------------------------------------------------------
    async def _revoke(self, present: frozenset[ModelBusPartition]) -> None:
        if not present:
            return
        try:
            for listener in list(self._listeners):
                await listener.on_partitions_revoked(present)
        finally:
            self._assigned -= present
            await self._close_partitions(present)

    def _check_open(self) -> None:
        if self._closed:
            raise ModelOnexError(
                "the event bus is closed; open a new one", EnumCoreErrorCode.INVALID_STATE
            )

    def _stream_of_topic(self, topic: str) -> ModelBusStreamSettings:
        stream = self._topics.get(topic) if isinstance(topic, str) else None
        if stream is None:
            raise bus_checks.invalid(
                f"topic {topic!r} belongs to no stream of this bus (known topics: "
                f"{', '.join(sorted(self._topics))}); add it to a stream's topics",
                topic=topic,
            )
        return stream

    def _stream_of_partition(self, partition: ModelBusPartition) -> ModelBusStreamSettings:
        if not isinstance(partition, ModelBusPartition):
            raise bus_checks.invalid(f"{partition!r} is not a ModelBusPartition")
        stream = self._streams.get(partition.stream)
        if stream is None:
            raise bus_checks.invalid(
                f"partition {partition}: no stream {partition.stream!r} on this bus (streams: "
                f"{', '.join(sorted(self._streams))})",
                partition=str(partition),
            )
        if partition.index >= stream.partitions:
            raise bus_checks.invalid(
                f"partition {partition}: stream {stream.name!r} has {stream.partitions} "
                f"partitions (0..{stream.partitions - 1})",
                partition=str(partition),
            )
        return stream

    def _check_assigned(self, partition: ModelBusPartition) -> ModelBusStreamSettings:
        stream = self._stream_of_partition(partition)
        if partition not in self._assigned:
            raise ModelOnexError(
                f"partition {partition} is not assigned to this bus; assign it first",
                EnumCoreErrorCode.INVALID_STATE,
                {"partition": str(partition)},
            )
        return stream

    def _check_message(self, message: ModelBusMessage) -> None:
        if not isinstance(message, ModelBusMessage):
            raise bus_checks.invalid(f"{message!r} is not a ModelBusMessage")
        partition = ModelBusPartition(stream=message.stream, index=message.partition)
        if partition not in self._assigned:
            raise ModelOnexError(
                f"message {message.sequence} of partition {partition} cannot be acknowledged: "
                "the partition is not assigned to this bus (revoked or never assigned)",
                EnumCoreErrorCode.INVALID_STATE,
                {"partition": str(partition), "sequence": message.sequence},
            )

    def _target(
        self,
        topic: str,
        value: bytes,
        key: str | None,
        partition: int | None,
        idempotency_id: str,
        headers: Mapping[str, str] | None,
    ) -> BusPublishTarget:
        stream = self._stream_of_topic(topic)
        body = bus_checks.check_value(value)
        message_id = bus_checks.check_idempotency_id(idempotency_id)
        checked_headers = bus_checks.check_headers(headers)
        if partition is not None and (
            isinstance(partition, bool)
            or not isinstance(partition, int)
            or not 0 <= partition < stream.partitions
        ):
            raise bus_checks.invalid(
                f"partition {partition!r} is not within 0..{stream.partitions - 1} "
                f"(stream {stream.name!r} of topic {topic!r})",
                partition=partition,
            )
        if key is None:
            if partition is None:
                raise bus_checks.invalid(
                    f"publish to {topic!r} needs a key (the node id) or an explicit partition"
                )
            return BusPublishTarget(
                stream, partition, topic, None, body, message_id, checked_headers
            )
        normalised, hashed = self._partition_key(bus_checks.check_key(key))
        index = hashed % stream.partitions
        if partition is not None and partition != index:
            raise bus_checks.invalid(
                f"key {key!r} belongs to partition {index} of {stream.partitions}, not to the "
                f"partition {partition} given; give one of them",
                key=key,
                partition=partition,
            )
        return BusPublishTarget(stream, index, topic, normalised, body, message_id, checked_headers)
