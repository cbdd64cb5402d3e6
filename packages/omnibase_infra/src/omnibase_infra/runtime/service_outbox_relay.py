"""The outbox relay: publishes a store's emitted events to the bus, each exactly once.

Events are read in commit order after the relay's cursor and published pipelined, each to its
own topic with its node id as the key and its ``event_id`` as the idempotency id (on NATS the
``Nats-Msg-Id`` header). The cursor, kept in the store, moves only after the bus stored the
whole batch, in a transaction fenced by the relay's lease. A crash between the publish and the
cursor move makes the next relay publish those events again, and the bus's de-duplication
(within the output stream's duplicate window) stores none of them twice.

One relay at a time: the relay works only while its process holds the lease ``name``
(``"relay"`` by default) and stops publishing as soon as it sees the lease gone. Seeing it gone
relies on the lease manager: its owner calls ``verify()`` regularly (the serve loop does), and
the fenced cursor move catches the rest, so a stale relay at most re-publishes a batch the
bus de-duplicates.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from contextlib import suppress
from itertools import islice
from typing import Final

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import ModelBusOutboundMessage
from omnibase_core.models.errors import ModelOnexError, ModelUnavailableError
from omnibase_core.protocols import ProtocolEventBus
from omnibase_infra.models import ModelLifecycleEvent
from omnibase_infra.runtime.fault_points import fault_point
from omnibase_infra.stores import lease_checks
from omnibase_infra.stores.model_lease_lost_error import ModelLeaseLostError
from omnibase_infra.stores.protocol_lease_store import ProtocolLeaseStore
from omnibase_infra.stores.protocol_partition_leases import ProtocolPartitionLeases

_log = logging.getLogger(__name__)

RELAY_LEASE: Final = "relay"
"""The default name of the relay's lease and cursor."""
DEFAULT_MAX_EVENTS: Final = 1000
MAX_EVENTS: Final = 10_000


def event_bytes(event: ModelLifecycleEvent) -> bytes:
    """An event as published: its wire JSON object (``to_wire``), compact, UTF-8: the bytes of
    the line ``events --json`` prints for it.

    The common fields are serialised by pydantic in one pass and the event's own fields
    appended after them, which costs a third of dumping ``to_wire()``'s dictionary.
    """
    head = event.model_dump_json(exclude={"data"})
    if not event.data:
        return head.encode("utf-8")
    own = json.dumps(event.data, separators=(",", ":"), ensure_ascii=False)
    return f"{head[:-1]},{own[1:]}".encode()


class ServiceOutboxRelay:
    """Publishes ``store``'s outbox to ``bus`` under the lease ``name`` of ``leases``.

    Store and lease calls block, so they run in worker threads (``asyncio.to_thread``); use
    one relay from one event loop.
    """

    def __init__(
        self,
        store: ProtocolLeaseStore,
        bus: ProtocolEventBus,
        leases: ProtocolPartitionLeases,
        *,
        name: str = RELAY_LEASE,
        max_events: int = DEFAULT_MAX_EVENTS,
        encode: Callable[[ModelLifecycleEvent], bytes] = event_bytes,
    ) -> None:
        """Raises ``ModelOnexError(VALIDATION_ERROR)`` for a bad lease name and
        ``INVALID_PARAMETER`` for ``max_events`` outside ``1..10000``."""
        self._name = lease_checks.check_name("ServiceOutboxRelay", name)
        self._max_events = _check_max_events(max_events)
        self._store = store
        self._bus = bus
        self._leases = leases
        self._encode = encode
        self._token: int | None = None
        self._cursor = 0
        self._lag = 0
        self._published = 0
        self._duplicates = 0

    # --- what it has done ----------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The name of the relay's lease and cursor."""
        return self._name

    @property
    def cursor(self) -> int:
        """The sequence of the last event this relay published and recorded (as last seen)."""
        return self._cursor

    @property
    def lag(self) -> int:
        """Events committed but not yet relayed, measured at the last :meth:`relay_once`
        (``last_sequence - cursor``; ``0`` before the first)."""
        return self._lag

    @property
    def published(self) -> int:
        """Events this relay published (each counted once per publish, duplicates included)."""
        return self._published

    @property
    def duplicates(self) -> int:
        """Publishes the bus answered as duplicates (a batch published again after a crash)."""
        return self._duplicates

    @property
    def is_relaying(self) -> bool:
        """Whether this process holds the relay's lease (as the lease manager knows it)."""
        return self._name in self._leases.held()

    # --- relaying ------------------------------------------------------------------------------
    async def relay_once(self, max_events: int | None = None) -> int:
        """Publish up to ``max_events`` events after the cursor and move the cursor past them;
        returns how many (``0`` when there is nothing to relay or the lease is not ours).

        Takes the lease when free. Raises ``ModelBusUnavailableError`` when the bus did not
        store the batch and ``ModelStoreUnavailableError`` when the store cannot be reached
        (the cursor did not move: calling again is safe), ``INVALID_PARAMETER`` for a bad
        ``max_events``. A lease lost on the way is not an error: nothing more is published and
        ``0`` is returned.
        """
        limit = self._max_events if max_events is None else _check_max_events(max_events)
        token = await self._lease()
        if token is None:
            return 0
        events, last_sequence = await asyncio.to_thread(self._read, limit)
        self._lag = max(0, last_sequence - self._cursor)
        if not events or self._leases.held().get(self._name) != token:
            return 0
        messages = [
            ModelBusOutboundMessage(
                topic=event.topic,
                value=self._encode(event),
                key=str(event.node_id),
                idempotency_id=str(event.event_id),
            )
            for event in events
        ]
        results = await self._bus.publish_batch(messages)
        self._published += len(results)
        self._duplicates += sum(result.duplicate for result in results)
        fault_point("relay-published")
        sequence = events[-1].sequence
        assert sequence is not None  # events read from a store carry their sequence
        try:
            await asyncio.to_thread(self._store.advance_relay_cursor, self._name, sequence, token)
        except ModelLeaseLostError as lost:
            _log.warning("outbox relay %r stops: %s", self._name, lost.message)
            self._token = None
            self._leases.release(self._name)
            return 0
        self._cursor = sequence
        self._lag = max(0, last_sequence - sequence)
        return len(events)

    async def run(self, stop_event: asyncio.Event, poll_seconds: float = 0.2) -> None:
        """Relay until ``stop_event`` is set, then publish what is committed by then, release
        the lease and return.

        Waits ``poll_seconds`` whenever it has caught up (or is not the relay). A bus or store
        that is unavailable is logged and tried again after ``poll_seconds``; other errors
        propagate. Raises ``INVALID_PARAMETER`` for a ``poll_seconds`` that is not positive.
        """
        if not poll_seconds > 0:
            raise ModelOnexError(
                f"ServiceOutboxRelay.run: poll_seconds must be a positive number of seconds, "
                f"got {poll_seconds!r}",
                EnumCoreErrorCode.INVALID_PARAMETER,
            )
        try:
            while not stop_event.is_set():
                relayed = await self._relay_logging_outages()
                if relayed < self._max_events:
                    with suppress(TimeoutError):
                        await asyncio.wait_for(stop_event.wait(), poll_seconds)
            while await self._relay_logging_outages() == self._max_events:
                pass
        finally:
            self._token = None
            await asyncio.to_thread(self._leases.release, self._name)

    # --- steps ---------------------------------------------------------------------------------
    async def _relay_logging_outages(self) -> int:
        try:
            return await self.relay_once()
        except ModelUnavailableError as exc:
            _log.warning("outbox relay %r waits: %s", self._name, exc.message)
            return 0

    async def _lease(self) -> int | None:
        """The relay lease's token (taken if free), or ``None``; a new token re-reads the
        cursor, which another relay may have moved meanwhile."""
        token = self._leases.held().get(self._name)
        if token is None:
            token = await asyncio.to_thread(self._leases.try_acquire, self._name)
            if token is None:
                self._token = None
                return None
        if token != self._token:
            self._cursor = await asyncio.to_thread(self._store.relay_cursor, self._name)
            self._token = token
            _log.info("outbox relay %r relays from sequence %d", self._name, self._cursor)
        return token

    def _read(self, limit: int) -> tuple[list[ModelLifecycleEvent], int]:
        """Up to ``limit`` events after the cursor, and the newest committed sequence."""
        last_sequence = self._store.last_sequence()
        events = list(islice(self._store.iter_events(after_sequence=self._cursor), limit))
        newest = (events[-1].sequence or 0) if events else 0
        return events, max(last_sequence, newest)


def _check_max_events(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EVENTS:
        raise ModelOnexError(
            f"ServiceOutboxRelay: max_events must be a whole number from 1 to {MAX_EVENTS}, got "
            f"{value!r}",
            EnumCoreErrorCode.INVALID_PARAMETER,
            {"max_events": repr(value)},
        )
    return value
