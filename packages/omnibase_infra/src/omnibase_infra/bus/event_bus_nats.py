"""The event bus on NATS JetStream (needs the ``omnibase-infra[nats]`` extra: ``nats-py``).

Mapping (see docs/operations.md, "The bus"):

- partition ``k`` of bus stream ``S`` is the JetStream stream ``S-k`` (subjects
  ``<topic>.<k>.<node_id>``, ``k`` from the stores' partition hash);
- the consumer group is one durable pull consumer per partition stream, acknowledging
  cumulatively (``AckPolicy all``) with ``max_ack_pending = max_batch``;
- the idempotency id is the ``Nats-Msg-Id`` header, de-duplicated by the server within the
  stream's duplicate window;
- ``ack_through`` is ``+ACK`` on the message (confirmed by the server), ``in_progress`` is
  ``+WPI`` on each message (the server keeps one ack timer per message).

Ownership of partitions is decided outside the broker (leases): ``assign`` and ``revoke``
open and close the partitions' pull subscriptions and tell the listeners.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import nats
import nats.errors

from omnibase_core.bus import BusPublishTarget, EventBusBase
from omnibase_core.bus.bus_checks import invalid
from omnibase_core.models.bus import (
    ModelBusMessage,
    ModelBusPartition,
    ModelBusPublishResult,
    ModelBusStreamSettings,
    ModelBusUnavailableError,
    ModelEventBusSettings,
)
from omnibase_infra.bus.model_nats_bus_options import ModelNatsBusOptions
from omnibase_infra.bus.model_nats_setup_step import ModelNatsSetupStep
from omnibase_infra.bus.nats_partition_consumer import NatsPartitionConsumer
from omnibase_infra.bus.nats_pipelined_publisher import NatsPipelinedPublisher
from omnibase_infra.bus.nats_subjects import node_key, partition_stream_name
from omnibase_infra.bus.nats_url import check_nats_url, unreachable
from omnibase_infra.bus.service_nats_stream_setup import ServiceNatsStreamSetup
from omnibase_infra.utils.url_masking import mask_url

_log = logging.getLogger(__name__)


class EventBusNats(EventBusBase):
    """A :class:`~omnibase_core.protocols.ProtocolEventBus` on NATS JetStream.

    Open it with :meth:`connect`. One instance is used from the event loop that connected it.
    Keys are node ids (UUIDs, normalised to canonical form: the subject carries them).
    """

    def __init__(
        self,
        nc: Any,
        settings: ModelEventBusSettings,
        options: ModelNatsBusOptions,
        url: str,
    ) -> None:
        """Wrap a connected nats-py client; use :meth:`connect` instead."""
        super().__init__(settings)
        self._nc = nc
        self._jsm = nc.jetstream(timeout=settings.operation_timeout_seconds)
        self._options = options
        self._url = url
        self._publisher = NatsPipelinedPublisher(nc, settings.operation_timeout_seconds)
        self._consumers: dict[ModelBusPartition, NatsPartitionConsumer] = {}
        self._events = _ConnectionEvents(mask_url(url))

    @classmethod
    async def connect(
        cls,
        url: str,
        settings: ModelEventBusSettings,
        options: ModelNatsBusOptions | None = None,
        *,
        setup: bool = True,
    ) -> EventBusNats:
        """Connect to ``url`` (``nats://host:port``) and, with ``setup``, create or update
        the streams and consumers of ``settings`` (idempotent).

        Raises ``ModelBusUnavailableError`` when no server answers, ``ModelOnexError
        (CONFIGURATION_ERROR)`` when the server's streams conflict with ``settings``.
        """
        options = options or ModelNatsBusOptions()
        events = _ConnectionEvents(mask_url(url))
        check_nats_url(url)
        try:
            nc = await nats.connect(
                servers=[url],
                name=options.connection_name,
                allow_reconnect=True,
                max_reconnect_attempts=options.connect_attempts,
                reconnect_time_wait=options.reconnect_wait_seconds,
                connect_timeout=options.connect_timeout_seconds,
                pending_size=options.pending_bytes,
                error_cb=events.error,
                disconnected_cb=events.disconnected,
                reconnected_cb=events.reconnected,
            )
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            raise unreachable(url, exc) from None
        # Connected: from now on reconnect forever (publishes and pulls ride it out).
        nc.options["max_reconnect_attempts"] = -1
        events.connected = True
        bus = cls(nc, settings, options, url)
        bus._events = events
        try:
            await bus._publisher.start()
            if setup:
                await bus.setup()
        except BaseException:
            events.closing = True
            await nc.close()
            raise
        return bus

    async def setup(self, *, producer: bool = False) -> tuple[ModelNatsSetupStep, ...]:
        """Create or update every partition stream and durable consumer (idempotent); with
        ``producer``, only create the partition streams that are missing and check the
        partition count of the others (a producer leaves the consumers' settings alone).

        Returns what was created, updated or found unchanged. Raises as :meth:`connect`.
        """
        try:
            return await ServiceNatsStreamSetup(self._jsm, self._options).ensure(
                self._settings, producer=producer
            )
        except (TimeoutError, nats.errors.Error) as exc:
            raise ModelBusUnavailableError(
                f"setting up streams on {mask_url(self._url)} failed: {type(exc).__name__}: "
                f"{exc}; is JetStream enabled (nats-server -js)?",
                context={"url": mask_url(self._url)},
            ) from None

    @property
    def is_connected(self) -> bool:
        """Whether the client is connected right now (it reconnects by itself)."""
        return bool(self._nc.is_connected)

    async def backlog(self, partition: ModelBusPartition) -> int:
        """Messages of ``partition`` its consumer group has not acknowledged yet (not yet
        delivered, plus delivered and unacknowledged), as the server counts them now: the
        pending gauge of a live service. Raises ``INVALID_PARAMETER`` for an unknown partition,
        ``ModelBusUnavailableError`` when the server does not answer."""
        stream = self._stream_of_partition(partition)
        name = partition_stream_name(stream.name, partition.index)
        try:
            info = await self._jsm.consumer_info(name, stream.group)
        except (TimeoutError, nats.errors.Error) as exc:
            raise ModelBusUnavailableError(
                f"reading consumer {stream.group!r} of {name!r} failed: {type(exc).__name__}: {exc}"
            ) from None
        return int(info.num_pending or 0) + int(info.num_ack_pending or 0)

    def _partition_key(self, key: str) -> tuple[str, int]:
        return node_key(key)

    async def _publish_targets(
        self, targets: Sequence[BusPublishTarget]
    ) -> tuple[ModelBusPublishResult, ...]:
        limit = self._nc.max_payload
        for target in targets:
            if len(target.value) > limit:
                raise invalid(
                    f"message {target.idempotency_id!r} is {len(target.value)} bytes; the "
                    f"server accepts at most {limit} (max_payload)",
                    size=len(target.value),
                )
        return await self._publisher.publish(targets)

    async def _open_partitions(self, partitions: frozenset[ModelBusPartition]) -> None:
        opened: list[NatsPartitionConsumer] = []
        try:
            for partition in sorted(partitions):
                consumer = NatsPartitionConsumer(
                    self._nc, self._jsm, self._streams[partition.stream], partition.index
                )
                await consumer.open()
                opened.append(consumer)
                self._consumers[partition] = consumer
        except BaseException:
            for consumer in opened:
                await consumer.close()
            for partition in partitions:
                self._consumers.pop(partition, None)
            raise

    async def _close_partitions(self, partitions: frozenset[ModelBusPartition]) -> None:
        for partition in partitions:
            consumer = self._consumers.pop(partition, None)
            if consumer is not None:
                await consumer.close()

    async def _fetch(
        self,
        partition: ModelBusPartition,
        stream: ModelBusStreamSettings,
        max_messages: int,
        timeout_seconds: float,
    ) -> tuple[ModelBusMessage, ...]:
        return await self._consumers[partition].fetch(max_messages, timeout_seconds)

    def _check_connected(self, doing: str) -> None:
        # Not buffered for after the reconnection: an acknowledgement reported as failed is
        # then really not sent (it would otherwise arrive whenever the client reconnects).
        if not self._nc.is_connected:
            raise ModelBusUnavailableError(
                f"{doing}: not connected to NATS at {mask_url(self._url)} (reconnecting); the "
                "messages may be delivered again"
            )

    async def _ack_through(self, message: ModelBusMessage) -> None:
        self._check_connected(
            f"acknowledgement of message {message.sequence} of partition "
            f"{message.stream}/{message.partition} not sent"
        )
        try:
            await self._nc.request(
                message.receipt, b"+ACK", timeout=self._settings.operation_timeout_seconds
            )
        except (TimeoutError, nats.errors.Error) as exc:
            raise ModelBusUnavailableError(
                f"acknowledgement of message {message.sequence} of partition "
                f"{message.stream}/{message.partition} not confirmed: {type(exc).__name__}: "
                f"{exc}; it and the messages before it may be delivered again",
                context={"sequence": message.sequence},
            ) from None
        consumer = self._consumers.get(message.partition_ref)
        if consumer is not None:
            consumer.forget_through(message.sequence)

    async def _in_progress(self, messages: Sequence[ModelBusMessage]) -> None:
        self._check_connected(f"progress of {len(messages)} message(s) not sent")
        try:
            for message in messages:
                await self._nc.publish(message.receipt, b"+WPI")
            await self._nc.flush(timeout=max(1, int(self._settings.operation_timeout_seconds)))
        except (TimeoutError, nats.errors.Error) as exc:
            raise ModelBusUnavailableError(
                f"progress of {len(messages)} message(s) not sent: {type(exc).__name__}: {exc}"
            ) from None

    async def _release(self) -> None:
        self._events.closing = True
        await self._publisher.stop()
        try:
            await self._nc.drain()
        except (TimeoutError, nats.errors.Error):
            await self._nc.close()


class _ConnectionEvents:
    """Logs what the client's connection goes through (quiet once the bus is closing)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.closing = False
        self.connected = False

    async def error(self, exc: Exception) -> None:
        if not self.connected:  # connect() reports the failure itself
            _log.debug("NATS connect attempt to %s failed: %s", self.url, exc)
        elif not self.closing:
            _log.warning("NATS client error on %s: %s: %s", self.url, type(exc).__name__, exc)

    async def disconnected(self) -> None:
        if not self.closing:
            _log.warning("disconnected from NATS at %s; reconnecting", self.url)

    async def reconnected(self) -> None:
        _log.warning("reconnected to NATS at %s", self.url)


__all__ = ["EventBusNats"]
