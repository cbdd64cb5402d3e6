"""A node on a bus: own a fair share of the partitions, consume each, tick each.

Ownership: a partition is consumed only by the holder of its lease (``leases``, from the
store: PostgreSQL session locks shared by any number of processes, or the single owner of a
SQLite file). Every ``rebalance_seconds`` the runner

- checks its leases (``verify``): a lease found lost is revoked at once and its batch in
  flight abandoned (never acknowledged; the fencing check inside every batch transaction makes
  sure a stale owner's batch cannot commit either);
- counts the members and computes the fair share ``ceil(P / members)``;
- takes free leases up to the share (each taken partition is assigned on the bus and gets its
  worker, :class:`ServiceBusPartitionWorker`), and releases extras when more members appeared,
  each after the batch it has in flight.

Without leases (``leases=None``) the runner owns every partition: one process, one store.
On stop it lets every worker finish and acknowledge its batch in flight, then revokes the
partitions and releases their leases (the lease manager itself stays open: its owner, who may
hold other leases such as the outbox relay's, closes it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import ModelBusPartition, ModelBusStreamSettings
from omnibase_core.models.errors import ModelOnexError, ModelUnavailableError
from omnibase_core.protocols import ProtocolEventBus
from omnibase_infra.models import ModelPartition
from omnibase_infra.runtime.model_tick_clock import ModelTickClock
from omnibase_infra.runtime.protocol_bus_runner_observer import ProtocolBusRunnerObserver
from omnibase_infra.runtime.protocol_engine_node import ProtocolEngineNode, TxnT
from omnibase_infra.runtime.service_bus_partition_worker import (
    ServiceBusPartitionWorker,
    close_thread_loop,
)
from omnibase_infra.stores.protocol_engine_store import ProtocolEngineStore
from omnibase_infra.stores.protocol_partition_leases import ProtocolPartitionLeases
from omnibase_infra.stores.store_retry import DEFAULT_MAX_SECONDS

_log = logging.getLogger("omnibase_infra.runtime.bus_runner")
T = TypeVar("T")


class ServiceBusNodeRunner(Generic[TxnT]):
    """Runs a node over the partitions of one bus stream (see the module doc).

    ``node_for(partition)`` builds the node for one partition (a node's handlers may depend
    on the partition they serve); it is called once per partition index the runner ever owns.
    """

    def __init__(
        self,
        bus: ProtocolEventBus,
        store: ProtocolEngineStore[TxnT],
        node_for: Callable[[ModelPartition], ProtocolEngineNode[TxnT]],
        *,
        stream: str | None = None,
        leases: ProtocolPartitionLeases | None = None,
        batch_size: int | None = None,
        tick_interval_seconds: float | None = None,
        fetch_timeout_seconds: float = 0.5,
        rebalance_seconds: float = 1.0,
        store_retry_seconds: float = DEFAULT_MAX_SECONDS,
        observer: ProtocolBusRunnerObserver | None = None,
    ) -> None:
        """Prepare to run; nothing is taken or assigned before :meth:`run`.

        ``stream``: the bus stream to consume (default: the bus's only stream);
        ``batch_size``: messages per fetch and per transaction (default and maximum: the
        stream's ``max_batch``); ``tick_interval_seconds``: tick every owned partition on that
        grid (``None``: no ticks of its own; the node must be a ``ProtocolTickingNode`` for
        ticks). Raises ``ModelOnexError(INVALID_PARAMETER)`` for an unknown stream, a batch
        size outside ``1..max_batch``, or a non-positive interval or timeout.
        """
        self._bus = bus
        self._store = store
        self._node_for = node_for
        self._stream = _pick_stream(bus, stream)
        self._partitions = self._stream.partitions
        size = self._stream.max_batch if batch_size is None else batch_size
        if isinstance(size, bool) or not 1 <= size <= self._stream.max_batch:
            raise _invalid(
                f"batch_size {size!r} must be within 1..{self._stream.max_batch} (the max_batch "
                f"of bus stream {self._stream.name!r})"
            )
        for name, value in (
            ("tick_interval_seconds", tick_interval_seconds),
            ("fetch_timeout_seconds", fetch_timeout_seconds),
            ("rebalance_seconds", rebalance_seconds),
        ):
            if value is not None and not (value > 0 and math.isfinite(value)):
                raise _invalid(f"{name} {value!r} must be a positive number of seconds")
        self._batch_size = size
        self._tick_interval = tick_interval_seconds
        self._fetch_timeout = fetch_timeout_seconds
        self._rebalance = rebalance_seconds
        self._store_retry = store_retry_seconds
        self._leases = leases
        self._observer = observer
        self._nodes: dict[int, ProtocolEngineNode[TxnT]] = {}
        self._executors: dict[int, ThreadPoolExecutor] = {}
        self._clocks: dict[int, ModelTickClock] = {}
        self._workers: dict[int, ServiceBusPartitionWorker[TxnT]] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._zombies: list[asyncio.Task[None]] = []
        self._lease_thread = ThreadPoolExecutor(1, thread_name_prefix="bus-leases")
        self._stop = asyncio.Event()
        self._balanced = False
        self._committed = 0

    # --- state ---------------------------------------------------------------------------------
    @property
    def stream(self) -> ModelBusStreamSettings:
        """The bus stream consumed."""
        return self._stream

    @property
    def owned(self) -> frozenset[int]:
        """Indexes of the partitions owned right now."""
        return frozenset(self._workers)

    @property
    def committed_messages(self) -> int:
        """Bus messages this runner has committed since it started (every partition it owned)."""
        return self._committed + sum(w.committed_messages for w in self._workers.values())

    @property
    def balanced(self) -> bool:
        """Whether the first round of taking partitions is done (readiness)."""
        return self._balanced

    def lease_name(self, index: int) -> str:
        """The lease that owns partition ``index``."""
        return f"{self._stream.name}/{index}"

    # --- running -------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Own and consume partitions until ``stop`` is set, then drain: every worker finishes
        and acknowledges its batch in flight, the partitions are revoked and the leases
        released. Raises ``ModelOnexError`` when a partition cannot be assigned on the bus at
        all (its consumer is missing); a store or bus that is
        unavailable while balancing is logged and balancing is tried again next round."""
        self._stop = stop
        try:
            while not stop.is_set():
                try:
                    await self._rebalance_once()
                    self._balanced = True
                except ModelUnavailableError as exc:
                    # the store (leases) or the bus is down: what is owned keeps going as far as
                    # it can; balancing is tried again next round
                    _log.warning("balancing partitions failed, retrying: %s", exc.message)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._rebalance)
        finally:
            await self._drain()

    async def _rebalance_once(self) -> None:
        await self._reap()
        if self._leases is None:
            missing = [k for k in range(self._partitions) if k not in self._workers]
            for index in missing:
                await self._start(index, None)
            return
        lost = await self._lease_call(self._leases.verify)
        for index, worker in list(self._workers.items()):
            if self.lease_name(index) in lost:
                await self._lose(index, worker)
        count = await self._lease_call(self._leases.members)
        share = math.ceil(self._partitions / max(1, count))
        staying = [k for k, w in self._workers.items() if not w.leaving]
        if len(staying) > share:
            for index in sorted(staying, reverse=True)[: len(staying) - share]:
                _log.info(
                    "releasing partition %s/%d for a fair share (%d members, share %d)",
                    self._stream.name,
                    index,
                    count,
                    share,
                )
                self._workers[index].leave()
            return
        for index in self._candidates():
            if len(staying) >= share or self._stop.is_set():
                break
            token = await self._lease_call(self._leases.try_acquire, self.lease_name(index))
            if token is None:
                continue
            await self._start(index, token)
            staying.append(index)

    def _candidates(self) -> list[int]:
        """Partitions not owned, starting at a different place in each process (less contention
        when several start at once)."""
        free = [k for k in range(self._partitions) if k not in self._workers]
        if not free:
            return free
        offset = id(self) % len(free)
        return free[offset:] + free[:offset]

    async def _start(self, index: int, token: int | None) -> None:
        ref = ModelBusPartition(stream=self._stream.name, index=index)
        try:
            await self._bus.assign([ref])
        except BaseException:
            if self._leases is not None:
                await self._lease_call(self._leases.release, self.lease_name(index))
            raise
        worker = ServiceBusPartitionWorker(
            self._bus,
            self._store,
            self._node(index),
            ref,
            self._partitions,
            executor=self._executor(index),
            batch_size=self._batch_size,
            keepalive_seconds=max(0.05, self._stream.ack_wait_seconds / 3),
            fetch_timeout_seconds=self._fetch_timeout,
            lease_name=self.lease_name(index) if self._leases is not None else None,
            token=token,
            tick_clock=self._clock(index),
            observer=self._observer,
            store_retry_seconds=self._store_retry,
        )
        self._workers[index] = worker
        self._tasks[index] = asyncio.create_task(worker.run(self._stop), name=f"partition-{ref}")
        _log.info(
            "partition %s acquired%s; owning %s",
            ref,
            "" if token is None else f" (lease token {token})",
            self._owned_text(),
        )
        self._report_owned(ref, "acquired")

    async def _lose(self, index: int, worker: ServiceBusPartitionWorker[TxnT]) -> None:
        """The lease of ``index`` is gone: revoke the partition now; the batch in flight is
        abandoned (its transaction fails the lease check, or commits before the new owner's
        first one and is never acknowledged here)."""
        _log.warning(
            "lease lost: partition %s (token %s); revoking it", worker.partition, worker.token
        )
        worker.lose()
        del self._workers[index]
        self._committed += worker.committed_messages
        self._zombies.append(self._tasks.pop(index))
        with contextlib.suppress(ModelOnexError):
            await self._bus.revoke([worker.partition])
        if self._leases is not None:
            with contextlib.suppress(ModelOnexError):
                await self._lease_call(self._leases.release, self.lease_name(index))
        self._report_owned(worker.partition, "lost")

    async def _reap(self) -> None:
        """Revoke (and release the lease of) every partition whose worker has ended."""
        self._zombies = [task for task in self._zombies if not task.done()]
        for index, task in list(self._tasks.items()):
            if not task.done():
                continue
            worker = self._workers.pop(index)
            del self._tasks[index]
            self._committed += worker.committed_messages
            if not task.cancelled() and task.exception() is not None:
                _log.error("partition %s: worker failed: %r", worker.partition, task.exception())
            await self._revoke(worker)

    async def _revoke(self, worker: ServiceBusPartitionWorker[TxnT]) -> None:
        ref = worker.partition
        with contextlib.suppress(ModelOnexError):
            await self._bus.revoke([ref])
        if self._leases is not None:
            with contextlib.suppress(ModelOnexError):
                await self._lease_call(self._leases.release, self.lease_name(ref.index))
        why = "lost" if worker.lost else ("given up: " + worker.failure if worker.failure else "")
        _log.info(
            "partition %s released%s; owning %s",
            ref,
            f" ({why})" if why else "",
            self._owned_text(),
        )
        self._report_owned(ref, "lost" if worker.lost else "released")

    async def _drain(self) -> None:
        """Let every worker finish its batch in flight, then revoke and release everything."""
        for worker in self._workers.values():
            worker.leave()
        if self._tasks or self._zombies:
            await asyncio.gather(*self._tasks.values(), *self._zombies, return_exceptions=True)
        await self._reap()
        _log.info("partitions drained: %d messages committed by this runner", self._committed)
        for executor in self._executors.values():
            await asyncio.get_running_loop().run_in_executor(executor, close_thread_loop)
            executor.shutdown(wait=True)
        self._executors.clear()
        self._lease_thread.shutdown(wait=True)

    # --- helpers -------------------------------------------------------------------------------
    def _node(self, index: int) -> ProtocolEngineNode[TxnT]:
        if index not in self._nodes:
            self._nodes[index] = self._node_for(ModelPartition(index=index, count=self._partitions))
        return self._nodes[index]

    def _executor(self, index: int) -> ThreadPoolExecutor:
        # One thread per partition index for the runner's life: the store keeps a connection
        # per thread, so a partition taken again reuses its connection.
        if index not in self._executors:
            self._executors[index] = ThreadPoolExecutor(
                1, thread_name_prefix=f"partition-{self._stream.name}-{index}"
            )
        return self._executors[index]

    def _clock(self, index: int) -> ModelTickClock | None:
        if self._tick_interval is None:
            return None
        if index not in self._clocks:
            self._clocks[index] = ModelTickClock(self._tick_interval)
        return self._clocks[index]

    async def _lease_call(self, call: Callable[..., T], *args: Any) -> T:
        """A lease operation on the lease thread (it may wait on the database)."""
        return await asyncio.get_running_loop().run_in_executor(self._lease_thread, call, *args)

    def _owned_text(self) -> str:
        owned = sorted(self._workers)
        return f"[{', '.join(str(k) for k in owned)}] of {self._partitions}"

    def _report_owned(self, partition: ModelBusPartition, kind: str) -> None:
        if self._observer is not None:
            self._observer.lease_changed(partition, kind)
            self._observer.partitions_owned(
                frozenset(
                    ModelBusPartition(stream=self._stream.name, index=k) for k in self._workers
                )
            )


def _pick_stream(bus: ProtocolEventBus, name: str | None) -> ModelBusStreamSettings:
    streams = bus.settings.streams
    if name is None:
        if len(streams) != 1:
            raise _invalid(
                f"the bus has {len(streams)} streams ({', '.join(s.name for s in streams)}); "
                "name the one to consume"
            )
        return streams[0]
    stream = bus.settings.stream(name)
    if stream is None:
        raise _invalid(
            f"bus stream {name!r} is not configured; the bus has "
            f"{', '.join(s.name for s in streams)}"
        )
    return stream


def _invalid(message: str) -> ModelOnexError:
    return ModelOnexError(f"ServiceBusNodeRunner: {message}", EnumCoreErrorCode.INVALID_PARAMETER)


__all__ = ["ServiceBusNodeRunner"]
