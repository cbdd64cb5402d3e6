"""One owned bus partition: fetch a batch, commit it in one store transaction, then acknowledge.

The loop of a partition, strictly one step after the other (never two fetches outstanding,
never a ``nak``, so a node's messages are applied in log order):

1. ``fetch`` up to ``batch_size`` messages;
2. decode each with the node's payload models (an undecodable message becomes a dead letter,
   like a bad line of a file, and is acknowledged with its batch: it never blocks the
   partition); an envelope without ``envelope_timestamp`` is stamped with the time the broker
   stored the message, the same on every delivery, so a redelivery decodes identically;
3. apply the batch through the node engine's batch applier in ONE store transaction, on this
   partition's own worker thread (the store call blocks; the event loop stays free), the
   partition lease checked first inside that transaction; meanwhile the batch is kept alive
   on the bus (``in_progress``) while the store retries a rolled-back batch;
4. only after the commit, ``ack_through`` the batch's last message.

A batch that cannot commit (its lease is gone, or the store stayed unavailable past the retry
budget) is given up unacknowledged: the worker ends and its owner revokes the partition, so
the batch is delivered again, before anything newer, to whoever owns the partition next.

Ticks: after each step the partition's :class:`ModelTickClock` says whether a tick is due
(message time while a backlog is applied, wall-clock time once caught up: a fetch came back
empty and the bus counts nothing left of the partition, see ``_drained``); the node builds the
tick envelope (:class:`ProtocolTickingNode`) and it is applied through the same path, fenced
the same way, in a transaction of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, Generic

from omnibase_core.models.bus import ModelBusMessage, ModelBusPartition, ModelBusUnavailableError
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.protocols import ProtocolEventBus
from omnibase_infra.models import ModelPartition
from omnibase_infra.runtime.fault_points import fault_point
from omnibase_infra.runtime.model_tick_clock import ModelTickClock
from omnibase_infra.runtime.protocol_bus_runner_observer import ProtocolBusRunnerObserver
from omnibase_infra.runtime.protocol_engine_node import ProtocolEngineNode, TxnT
from omnibase_infra.runtime.protocol_ticking_node import ProtocolTickingNode
from omnibase_infra.runtime.service_batch_applier import (
    BatchResult,
    ModelEngineItem,
    ServiceBatchApplier,
)
from omnibase_infra.runtime.wire_codec import decode_line
from omnibase_infra.stores.model_lease_lost_error import ModelLeaseLostError
from omnibase_infra.stores.model_store_unavailable_error import ModelStoreUnavailableError
from omnibase_infra.stores.protocol_engine_store import ProtocolEngineStore
from omnibase_infra.stores.protocol_engine_transaction import ProtocolEngineTransaction
from omnibase_infra.stores.store_retry import DEFAULT_MAX_SECONDS, run_with_store_retry

_log = logging.getLogger("omnibase_infra.runtime.bus_runner")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Pauses after a bus error before the next attempt (seconds), growing to the last one.
_BUS_BACKOFF = (0.1, 0.2, 0.5, 1.0, 2.0)


class _BatchAbandonedError(Exception):
    """A batch is given up without committing: the lease is lost."""


class ServiceBusPartitionWorker(Generic[TxnT]):
    """The loop of one owned partition (see the module doc).

    Built by the runner when it takes the partition's lease; ``token`` is the lease's fencing
    token, checked inside every batch transaction through ``check_lease`` when the store's
    transactions offer it. :meth:`run` returns when the runner's ``stop`` is set, when
    :meth:`leave` was called (after the batch in flight), or when a batch had to be given up
    (:attr:`failure` says why); the runner then revokes the partition.
    """

    def __init__(
        self,
        bus: ProtocolEventBus,
        store: ProtocolEngineStore[TxnT],
        node: ProtocolEngineNode[TxnT],
        partition: ModelBusPartition,
        partitions: int,
        *,
        executor: ThreadPoolExecutor,
        batch_size: int,
        keepalive_seconds: float,
        fetch_timeout_seconds: float,
        lease_name: str | None,
        token: int | None,
        tick_clock: ModelTickClock | None,
        observer: ProtocolBusRunnerObserver | None = None,
        store_retry_seconds: float = DEFAULT_MAX_SECONDS,
    ) -> None:
        self._bus = bus
        self._node = node
        self._ref = partition
        self._partitions = partitions
        self._model_partition = ModelPartition(index=partition.index, count=partitions)
        self._executor = executor
        self._batch_size = batch_size
        self._keepalive = keepalive_seconds
        self._fetch_timeout = fetch_timeout_seconds
        self._lease_name = lease_name
        self._token = token
        self._clock = tick_clock if isinstance(node, ProtocolTickingNode) else None
        self._observer = observer
        self._store_retry_seconds = store_retry_seconds
        self._applier = ServiceBatchApplier(
            store, node, self._model_partition, f"bus partition {partition}", guard=self._guard
        )
        self._lost = threading.Event()
        self._leaving = False
        self.failure: str | None = None
        self.committed_messages = 0

    @property
    def partition(self) -> ModelBusPartition:
        """The bus partition this worker consumes."""
        return self._ref

    @property
    def token(self) -> int | None:
        """The fencing token of the lease this worker holds the partition by."""
        return self._token

    def leave(self) -> None:
        """Finish the batch in flight, then return from :meth:`run` (the lease goes elsewhere)."""
        self._leaving = True

    def lose(self) -> None:
        """The lease is gone: abandon the batch in flight (never acknowledge it) and return."""
        self._lost.set()
        self._leaving = True

    @property
    def lost(self) -> bool:
        """Whether :meth:`lose` was called."""
        return self._lost.is_set()

    @property
    def leaving(self) -> bool:
        """Whether :meth:`leave` (or :meth:`lose`) was called."""
        return self._leaving

    # --- the loop ---------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Consume the partition until ``stop``, :meth:`leave`, :meth:`lose` or a given-up
        batch. Never raises for bus or store trouble (it is logged and retried, or ends the
        loop with :attr:`failure` set); raises ``asyncio.CancelledError`` when cancelled."""
        errors = 0
        caught_up = False
        while not (stop.is_set() or self._leaving):
            try:
                messages = await self._bus.fetch(self._ref, self._batch_size, self._fetch_timeout)
            except ModelOnexError as exc:
                if self.leaving:
                    return  # revoked under the fetch (the lease was lost)
                if not isinstance(exc, ModelBusUnavailableError):
                    raise
                _log.warning("partition %s: fetch failed: %s", self._ref, exc.message)
                await _pause(stop, _BUS_BACKOFF[min(errors, len(_BUS_BACKOFF) - 1)])
                errors += 1
                continue
            errors = 0
            if messages:
                caught_up = False
                if not await self._consume(messages, stop):
                    return
            else:
                caught_up = await self._drained()
            if self._clock is not None and not self._leaving and not await self._tick(caught_up):
                return

    async def _consume(self, messages: tuple[ModelBusMessage, ...], stop: asyncio.Event) -> bool:
        """Decode, commit and acknowledge one batch; ``False`` when it was given up."""
        fault_point("bus-batch-fetched")
        redelivered = sum(1 for m in messages if m.delivery_count > 1)
        if redelivered and self._observer is not None:
            self._observer.redelivered(self._ref, redelivered)
        items = [self._decode(message) for message in messages]
        started = time.perf_counter()
        result = await self._commit(items, messages)
        if result is None:
            return False
        if self._observer is not None:
            self._observer.batch_committed(
                self._ref, result, len(messages), time.perf_counter() - started
            )
        self.committed_messages += len(messages)
        if self._lost.is_set():
            # committed just before the lease went (the new owner's first transaction waited
            # for it), but no longer ours to acknowledge: the new owner finds duplicates
            return False
        if self._clock is not None:
            for item in items:
                if isinstance(item.value, ModelEventEnvelope):
                    self._clock.observe(item.value.envelope_timestamp)
        fault_point("bus-batch-committed")
        await self._acknowledge(messages[-1], stop)
        return True

    def _decode(self, message: ModelBusMessage) -> ModelEngineItem:
        stored = message.stored_at_ns
        # A bus that cannot tell when it stored a message leaves the accept time as the stamp;
        # a redelivery of an envelope without a timestamp then decodes with a new one.
        accepted_at = datetime.now(UTC) if stored is None else _from_ns(stored)
        source = str(self._ref)
        value = decode_line(
            message.value,
            payloads=self._node.payload_catalog,
            source=source,
            line_number=message.sequence,
            accepted_at=accepted_at,
        )
        return ModelEngineItem(value, message.value, source, message.sequence, checked=True)

    async def _commit(
        self, items: list[ModelEngineItem], messages: tuple[ModelBusMessage, ...]
    ) -> BatchResult | None:
        """Apply ``items`` in one transaction on the worker thread, keeping ``messages`` alive
        on the bus meanwhile; ``None`` (and :attr:`failure` set) when the batch was given up."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self._apply_blocking, items)
        while True:
            done, _ = await asyncio.wait({future}, timeout=self._keepalive)
            if done:
                break
            if messages:
                try:
                    await self._bus.in_progress(messages)
                except ModelBusUnavailableError as exc:
                    _log.warning("partition %s: keeping the batch alive failed: %s", self._ref, exc)
        try:
            return future.result()
        except _BatchAbandonedError as exc:
            self._give_up(f"lease lost ({exc})")
        except ModelLeaseLostError as exc:
            self._lost.set()
            self._leaving = True
            self._give_up(exc.message)
        except ModelStoreUnavailableError as exc:
            self._give_up(f"the store stayed unavailable: {exc.message}")
        except Exception as exc:  # a lease check that failed, or the store broke otherwise
            self._give_up(f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}")
        return None

    def _give_up(self, reason: str) -> None:
        self.failure = reason
        _log.warning(
            "partition %s: batch given up unacknowledged (%s); it will be delivered again",
            self._ref,
            reason,
        )
        if self._observer is not None:
            self._observer.batch_abandoned(self._ref, reason)

    def _apply_blocking(self, items: list[ModelEngineItem]) -> BatchResult:
        """On the worker thread: the batch in one transaction, redone while the store is
        briefly unavailable; raises :class:`_BatchAbandonedError` once the lease is lost."""
        loop = _thread_loop()

        def once() -> BatchResult:
            if self._lost.is_set():
                raise _BatchAbandonedError(f"partition {self._ref} was taken away")
            return loop.run_until_complete(self._applier.apply_batch(items))

        def on_retry(error: ModelStoreUnavailableError, attempt: int, delay: float) -> None:
            if self._lost.is_set():
                raise _BatchAbandonedError(f"partition {self._ref} was taken away")
            _log.warning(
                "partition %s: batch rolled back (%s); retry %d in %.2f s",
                self._ref,
                error.message,
                attempt,
                delay,
            )
            if self._observer is not None:
                self._observer.store_retry(self._ref)

        return run_with_store_retry(once, max_seconds=self._store_retry_seconds, on_retry=on_retry)

    def _guard(self, txn: ProtocolEngineTransaction) -> None:
        """First thing in every batch transaction: the lease must still be ours."""
        if self._lost.is_set():
            raise _BatchAbandonedError(f"partition {self._ref} was taken away")
        if self._lease_name is not None and self._token is not None:
            txn.check_lease(self._lease_name, self._token)
        fault_point("bus-batch-lease-checked")

    async def _acknowledge(self, last: ModelBusMessage, stop: asyncio.Event) -> None:
        """Acknowledge through ``last`` (committed): retried while the bus is unreachable; given
        up when the lease is lost or, when stopping, after a few attempts (the messages are then
        delivered again, and the inbox absorbs them)."""
        for attempt in range(1_000_000):
            try:
                await self._bus.ack_through(last)
                return
            except ModelOnexError as exc:
                if (
                    not isinstance(exc, ModelBusUnavailableError)
                    or self._lost.is_set()
                    or (stop.is_set() and attempt >= 4)
                ):
                    _log.warning(
                        "partition %s: acknowledgement through %d not confirmed (%s); those "
                        "messages will be delivered again as duplicates",
                        self._ref,
                        last.sequence,
                        exc.message,
                    )
                    return
                await asyncio.sleep(_BUS_BACKOFF[min(attempt, len(_BUS_BACKOFF) - 1)])

    async def _drained(self) -> bool:
        """Whether an empty fetch means the partition is caught up: nothing of it is left on
        the bus. It may not be: the batch a previous owner died with stays unacknowledged
        until its ack wait ends, and nothing after it is delivered meanwhile, so fetches come
        back empty over a backlog; ticking at wall-clock time then would expire nodes whose
        heartbeats wait behind that batch. Asked only when a wall-clock tick would be due; a
        bus that cannot count the backlog (no ``backlog(partition)``) is taken at its word,
        and one that cannot answer now counts as not caught up (message time goes on)."""
        if self._clock is None or self._clock.due(True) is None:
            return True
        backlog: Callable[[ModelBusPartition], Awaitable[int]] | None = getattr(
            self._bus, "backlog", None
        )
        if backlog is None:
            return True
        try:
            return await backlog(self._ref) == 0
        except ModelOnexError as exc:
            _log.warning("partition %s: backlog unknown: %s", self._ref, exc.message)
            return False

    async def _tick(self, caught_up: bool) -> bool:
        """Apply the tick that is due, if any; ``False`` when it had to be given up."""
        clock = self._clock
        assert clock is not None
        sequence = clock.due(caught_up)
        if sequence is None:
            return True
        node: Any = self._node
        at = clock.instant(sequence)
        envelope_id = clock.envelope_id(
            self._ref.stream, self._ref.index, self._partitions, sequence
        )
        envelope = node.tick_envelope(self._model_partition, at, sequence, envelope_id)
        result = await self._commit([ModelEngineItem(envelope)], ())
        if result is None:
            return False
        clock.ticked(sequence)
        if self._observer is not None:
            self._observer.ticked(self._ref, at)
        return True


_THREAD = threading.local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    """The private event loop of the calling worker thread (the node's handlers are async)."""
    loop: asyncio.AbstractEventLoop | None = getattr(_THREAD, "loop", None)
    if loop is None:
        loop = _THREAD.loop = asyncio.new_event_loop()
    return loop


def close_thread_loop() -> None:
    """Close the calling worker thread's private event loop, if it has one (run it on the
    thread before shutting its executor down)."""
    loop: asyncio.AbstractEventLoop | None = getattr(_THREAD, "loop", None)
    if loop is not None:
        _THREAD.loop = None
        loop.close()


def _from_ns(ns: int) -> datetime:
    return _EPOCH + timedelta(microseconds=ns // 1000)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` or until ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


__all__ = ["ServiceBusPartitionWorker"]
