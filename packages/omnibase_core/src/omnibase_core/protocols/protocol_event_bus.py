"""The event bus every node can sit on: partitioned, ordered, at-least-once, de-duplicated."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from omnibase_core.models.bus.model_bus_message import ModelBusMessage
from omnibase_core.models.bus.model_bus_outbound_message import ModelBusOutboundMessage
from omnibase_core.models.bus.model_bus_partition import ModelBusPartition
from omnibase_core.models.bus.model_bus_publish_result import ModelBusPublishResult
from omnibase_core.models.bus.model_event_bus_settings import ModelEventBusSettings
from omnibase_core.protocols.protocol_bus_partition_listener import ProtocolBusPartitionListener


@runtime_checkable
class ProtocolEventBus(Protocol):
    """A partitioned message log with pull consumers and cumulative acknowledgements.

    Model: each stream (``settings.streams``) carries some topics in ``P`` partitions; each
    partition is one ordered log. A producer publishes with a key (the partition is
    ``hash(key) % P``, so a key's messages stay in order) or to an explicit partition, and with
    an idempotency id (a repeat within the stream's duplicate window is not stored again). A
    consumer is assigned partitions, fetches batches from each, and acknowledges *through* a
    message: that message and every earlier one of its partition.

    Guarantees every implementation keeps (the conformance suite in
    ``omnibase_core.testing`` checks them):

    - **Order.** A partition's messages are delivered in publish order; redeliveries come
      before newer messages.
    - **No overtaking.** ``fetch`` never returns a message while an earlier message of the
      partition is outstanding at another consumer (delivered there, not acknowledged and not
      yet expired). So a consumer that commits each batch before acknowledging it, and
      fetches the next batch only after that, never acknowledges a message before every
      earlier message of its partition was committed, even while a stale owner still runs.
    - **At least once.** A delivered message not acknowledged within the ack wait (extended
      by ``in_progress``) is delivered again, to whichever consumer fetches the partition;
      also after the consumer closed or crashed.
    - **Bounded in flight.** At most ``max_batch`` messages of a partition are delivered and
      unacknowledged at any time.

    A consumer's own messages: ``fetch`` continues after the last message it returned, even
    if that one is not acknowledged yet. A consumer that retries a failed batch keeps it in
    hand (and alive with ``in_progress``); one that gives a batch up without committing it
    revokes the partition and assigns it again: the batch then counts as held elsewhere and
    is delivered again after the ack wait, before anything newer.

    Errors: bad arguments raise ``ModelOnexError(INVALID_PARAMETER)``; using a closed bus, or
    a partition this bus is not assigned, raises ``ModelOnexError(INVALID_STATE)``; an
    unreachable broker raises ``ModelBusUnavailableError`` (safe to retry).
    """

    @property
    def settings(self) -> ModelEventBusSettings:
        """The streams this bus produces to and consumes from."""
        ...

    @property
    def is_closed(self) -> bool:
        """Whether ``close`` was called."""
        ...

    def partition_for(self, topic: str, key: str) -> ModelBusPartition:
        """The partition a message on ``topic`` with ``key`` goes to.

        Raises ``INVALID_PARAMETER`` for a topic of no stream or a key the bus cannot carry.
        """
        ...

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
        """Append one message and wait until the broker stored it.

        The partition comes from ``key`` or ``partition`` (one is required; both must agree).
        Retries with the same idempotency id until stored or ``operation_timeout_seconds``
        passed. Raises ``INVALID_PARAMETER`` on bad input, ``INVALID_STATE`` when closed,
        ``ModelBusUnavailableError`` when the broker did not store it in time.
        """
        ...

    async def publish_batch(
        self, messages: Sequence[ModelBusOutboundMessage]
    ) -> tuple[ModelBusPublishResult, ...]:
        """Append several messages, pipelined, and wait until all are stored.

        Results are in the order of ``messages``; a partition's messages are appended in that
        order. The whole batch is checked before anything is sent. Raises as ``publish``.
        """
        ...

    async def publish_to_all_partitions(
        self,
        topic: str,
        value: bytes,
        *,
        idempotency_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[ModelBusPublishResult, ...]:
        """Append one copy of an unkeyed message to every partition of the topic's stream.

        Copy ``k`` carries the idempotency id ``f"{idempotency_id}/{k}"``, so each copy is
        de-duplicated on its own. Results are in partition order. Raises as ``publish``.
        """
        ...

    def add_partition_listener(self, listener: ProtocolBusPartitionListener) -> None:
        """Tell ``listener`` about every later assignment and revocation."""
        ...

    def assignment(self) -> frozenset[ModelBusPartition]:
        """The partitions this bus is currently assigned."""
        ...

    async def assign(self, partitions: Iterable[ModelBusPartition]) -> None:
        """Start consuming ``partitions`` (in addition to those already assigned).

        Where ownership is decided outside the broker (leases), the owner calls this after
        taking a partition; listeners hear about the newly assigned ones. Raises
        ``INVALID_PARAMETER`` for an unknown stream or an index ``>= P``.
        """
        ...

    async def revoke(self, partitions: Iterable[ModelBusPartition]) -> None:
        """Stop consuming ``partitions``; listeners hear about those that were assigned.

        Messages fetched and not acknowledged are delivered again after the ack wait.
        """
        ...

    async def fetch(
        self, partition: ModelBusPartition, max_messages: int, timeout_seconds: float
    ) -> tuple[ModelBusMessage, ...]:
        """Up to ``max_messages`` messages of an assigned partition, in order.

        Returns as soon as at least one message is available, or an empty tuple after
        ``timeout_seconds`` (``0``: do not wait). Raises ``INVALID_PARAMETER`` when
        ``max_messages`` is not within ``1..max_batch`` or the timeout is negative,
        ``INVALID_STATE`` for a partition not assigned here or a closed bus,
        ``ModelBusUnavailableError`` when the broker cannot be reached.
        """
        ...

    async def ack_through(self, message: ModelBusMessage) -> None:
        """Acknowledge ``message`` and every earlier message of its partition.

        Call it only once every earlier message of the partition is committed. Raises
        ``INVALID_STATE`` when the message's partition is not assigned here or the bus is
        closed, ``ModelBusUnavailableError`` when the broker did not confirm (the messages
        may then be delivered again: the consumer's inbox absorbs the duplicates).
        """
        ...

    async def in_progress(self, messages: Sequence[ModelBusMessage]) -> None:
        """Restart the ack-wait clock of each of ``messages`` (a long batch still working).

        Messages already acknowledged are ignored. Raises as ``ack_through``.
        """
        ...

    async def close(self) -> None:
        """Revoke every partition (listeners hear about it), then release the connection.

        Unacknowledged messages are delivered again after the ack wait. Idempotent.
        """
        ...
