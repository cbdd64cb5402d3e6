"""The in-memory registration store (``memory://``): for tests and for measuring store cost."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.enums import EnumMessageOutcome, EnumRegistrationState
from omnibase_infra.models import (
    ModelDeadLetter,
    ModelLifecycleEvent,
    ModelPartition,
    ModelRegistrationProjection,
)
from omnibase_infra.models.trusted_models import replace_trusted
from omnibase_infra.stores import lease_checks
from omnibase_infra.stores import store_value_checks as checks
from omnibase_infra.stores.model_lease_lost_error import ModelLeaseLostError
from omnibase_infra.stores.model_store_data_error import ModelStoreDataError
from omnibase_infra.stores.protocol_registration_transaction import (
    ProtocolRegistrationTransaction,
)
from omnibase_infra.stores.store_partition_leases_memory import (
    MemoryLeaseTable,
    StorePartitionLeasesMemory,
)
from omnibase_infra.stores.store_transaction_slot import StoreTransactionSlot
from omnibase_infra.stores.timestamps import require_aware

_InboxRecord = tuple[EnumMessageOutcome, str | None, datetime]


@dataclass
class _MemoryState:
    """The committed contents of a memory store (also reused as a transaction's staged writes)."""

    #: Rows and inbox records by the integer of their id (``UUID.int``): an ``int`` hashes
    #: in C, a ``UUID`` through Python, and both name one id.
    nodes: dict[int, ModelRegistrationProjection] = field(default_factory=dict)
    inbox: dict[int, _InboxRecord] = field(default_factory=dict)
    introspection_requests: dict[UUID, datetime] = field(default_factory=dict)
    tick_clocks: dict[str, datetime] = field(default_factory=dict)
    dead_letters: dict[UUID, ModelDeadLetter] = field(default_factory=dict)
    events: list[ModelLifecycleEvent] = field(default_factory=list)
    #: Keyed JSON records, by (kind, key), as canonical JSON text.
    records: dict[tuple[str, str], str] = field(default_factory=dict)

    def copy(self) -> _MemoryState:
        """A copy whose containers are new (the models in them are immutable)."""
        return replace(
            self,
            nodes=dict(self.nodes),
            inbox=dict(self.inbox),
            introspection_requests=dict(self.introspection_requests),
            tick_clocks=dict(self.tick_clocks),
            dead_letters=dict(self.dead_letters),
            events=list(self.events),
            records=dict(self.records),
        )


class _MemoryTransaction:
    """One transaction over a memory store: writes are staged and applied only on commit.

    Every write is held to the wire limits first (``store_value_checks``), so this store
    refuses exactly the values the SQLite and PostgreSQL stores refuse, with
    ``ModelStoreDataError``.
    """

    __slots__ = ("_checked_at", "_committed", "_leases", "_staged")

    def __init__(self, committed: _MemoryState, leases: MemoryLeaseTable) -> None:
        self._committed = committed
        self._leases = leases
        self._staged = _MemoryState()
        #: The last ``processed_at`` found storable (a batch records every outcome at one).
        self._checked_at: datetime | None = None

    def check_lease(self, name: str, token: int) -> None:
        """Raise ``ModelLeaseLostError`` unless lease ``name``'s token is still ``token``
        (token bumps wait for this transaction: they take the store's transaction lock)."""
        where = "StoreRegistrationMemory.check_lease"
        lease_checks.check_name(where, name)
        lease_checks.check_whole(where, token, "token", 1)
        with self._leases.lock:
            current = self._leases.tokens.get(name)
        if current != token:
            raise ModelLeaseLostError(where, name, token, current)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo every write of the block if it raises ``ModelStoreDataError`` (which
        propagates); the transaction stays usable."""
        saved = self._staged.copy()
        try:
            yield
        except ModelStoreDataError:
            self._staged = saved
            raise

    # --- inbox ---------------------------------------------------------------------------------
    def get_outcome(self, envelope_id: UUID) -> EnumMessageOutcome | None:
        key = envelope_id.int
        record = self._staged.inbox.get(key) or self._committed.inbox.get(key)
        return None if record is None else record[0]

    def record_outcome(
        self,
        envelope_id: UUID,
        outcome: EnumMessageOutcome,
        reason: str | None,
        processed_at: datetime,
    ) -> bool:
        fresh = processed_at is not self._checked_at  # the same instant object passes again
        if fresh:
            require_aware(processed_at, "StoreRegistrationMemory.record_outcome(processed_at)")
        if reason is not None:
            checks.check_text("StoreRegistrationMemory.record_outcome", "the reason", reason)
        if fresh:
            checks.check_instant(
                "StoreRegistrationMemory.record_outcome", "processed_at", processed_at
            )
            self._checked_at = processed_at
        key = envelope_id.int
        if key in self._committed.inbox:
            return False
        if type(outcome) is not EnumMessageOutcome:
            outcome = EnumMessageOutcome(outcome)
        record = (outcome, reason, processed_at)
        return self._staged.inbox.setdefault(key, record) is record

    # --- nodes ---------------------------------------------------------------------------------
    def get_node(self, node_id: UUID) -> ModelRegistrationProjection | None:
        key = node_id.int
        staged = self._staged.nodes.get(key)
        return staged if staged is not None else self._committed.nodes.get(key)

    def upsert_node(self, projection: ModelRegistrationProjection) -> None:
        key = projection.node_id.int
        staged = self._staged.nodes
        previous = staged.get(key)
        if previous is None:
            previous = self._committed.nodes.get(key)
        checks.check_projection("StoreRegistrationMemory.upsert_node", projection, previous)
        staged[key] = projection

    def claim_expired(
        self, now: datetime, limit: int, partition: ModelPartition
    ) -> list[ModelRegistrationProjection]:
        require_aware(now, "StoreRegistrationMemory.claim_expired(now)")
        if limit <= 0:
            return []
        active = EnumRegistrationState.ACTIVE
        staged = self._staged.nodes
        # the committed rows this transaction did not rewrite, then its own rows
        overdue = [
            node
            for node in self._committed.nodes.values()
            if node.state is active
            and node.liveness_deadline is not None
            and node.liveness_deadline < now
            and node.node_id.int not in staged
        ]
        overdue.extend(
            node
            for node in staged.values()
            if node.state is active
            and node.liveness_deadline is not None
            and node.liveness_deadline < now
        )
        due = [node for node in overdue if partition.owns(node.node_id)]
        due.sort(key=lambda node: (node.liveness_deadline, str(node.node_id)))
        return due[:limit]

    # --- per-node and per-partition memories ---------------------------------------------------
    def get_introspection_requested_at(self, node_id: UUID) -> datetime | None:
        staged = self._staged.introspection_requests.get(node_id)
        return staged if staged is not None else self._committed.introspection_requests.get(node_id)

    def set_introspection_requested_at(self, node_id: UUID, requested_at: datetime) -> None:
        require_aware(
            requested_at, "StoreRegistrationMemory.set_introspection_requested_at(requested_at)"
        )
        checks.check_instant(
            "StoreRegistrationMemory.set_introspection_requested_at", "requested_at", requested_at
        )
        self._staged.introspection_requests[node_id] = requested_at

    def get_tick_clock(self, partition_key: str) -> datetime | None:
        staged = self._staged.tick_clocks.get(partition_key)
        return staged if staged is not None else self._committed.tick_clocks.get(partition_key)

    def set_tick_clock(self, partition_key: str, now: datetime) -> None:
        require_aware(now, "StoreRegistrationMemory.set_tick_clock(now)")
        checks.check_instant("StoreRegistrationMemory.set_tick_clock", "the tick clock", now)
        checks.check_text(
            "StoreRegistrationMemory.set_tick_clock", "the partition key", partition_key
        )
        self._staged.tick_clocks[partition_key] = now

    # --- keyed JSON records ---------------------------------------------------------------------
    def get_record(self, kind: str, key: str) -> dict[str, Any] | None:
        text = self._staged.records.get((kind, key)) or self._committed.records.get((kind, key))
        if text is None:
            return None
        document: dict[str, Any] = json.loads(text)
        return document

    def put_record(self, kind: str, key: str, document: Mapping[str, Any]) -> None:
        text = checks.check_record("StoreRegistrationMemory.put_record", kind, key, document)
        self._staged.records[(kind, key)] = text

    # --- outputs -------------------------------------------------------------------------------
    def append_events(self, events: Sequence[ModelLifecycleEvent]) -> None:
        checks.check_events("StoreRegistrationMemory.append_events", list(events))
        self._staged.events.extend(events)

    def add_dead_letter(self, dead_letter: ModelDeadLetter) -> None:
        checks.check_dead_letter("StoreRegistrationMemory.add_dead_letter", dead_letter)
        key = dead_letter.dead_letter_id
        if key not in self._staged.dead_letters and key not in self._committed.dead_letters:
            self._staged.dead_letters[key] = dead_letter

    # --- commit --------------------------------------------------------------------------------
    def apply_to(self, committed: _MemoryState) -> None:
        """Apply the staged writes to ``committed`` (the caller holds the store's locks)."""
        staged = self._staged
        committed.nodes.update(staged.nodes)
        committed.inbox.update(staged.inbox)
        committed.introspection_requests.update(staged.introspection_requests)
        committed.tick_clocks.update(staged.tick_clocks)
        committed.dead_letters.update(staged.dead_letters)
        committed.records.update(staged.records)
        sequence = len(committed.events)
        for event in staged.events:
            sequence += 1
            committed.events.append(replace_trusted(event, sequence=sequence))


class StoreRegistrationMemory:
    """A registration store held in process memory (``memory://``); gone when the process ends.

    Transactions are real: writes are staged in the transaction and applied to the committed
    state only when the block exits normally, so an exception leaves nothing behind. One lock
    serialises transactions (so there are no lost updates between threads) and a second, short
    lock guards the committed state, so read methods never see a half-applied commit.
    """

    def __init__(self, url: str = "memory://") -> None:
        """Create an empty store; ``url`` must be ``memory://`` (else ``CONFIGURATION_ERROR``)."""
        if url.strip().lower() != "memory://":
            raise ModelOnexError(
                f"store URL {url!r} is not a memory store URL; the memory store takes exactly "
                "'memory://' (it has no path or options)",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                {"store_url": url},
            )
        self._url = "memory://"
        self._state = _MemoryState()
        self._transaction_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._transactions: StoreTransactionSlot[_MemoryTransaction] = StoreTransactionSlot(
            "StoreRegistrationMemory", self._url
        )
        self._leases = MemoryLeaseTable()
        self._closed = False

    @property
    def url(self) -> str:
        """The store URL (``memory://``)."""
        return self._url

    # --- leases and the relay cursor ------------------------------------------------------------
    def open_leases(self, owner: str) -> StorePartitionLeasesMemory:
        """A lease manager for ``owner``; several may share this store (one process's threads).
        Raises ``VALIDATION_ERROR`` for a blank owner, ``INVALID_STATE`` once closed."""
        self._check_open("open_leases")
        return StorePartitionLeasesMemory(self._leases, owner, self._exclusive)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the transaction lock (no transaction of this thread may be open)."""
        self._transactions.require_none_open()
        with self._transaction_lock:
            yield

    def relay_cursor(self, name: str) -> int:
        """The last sequence relay ``name`` published (``0``: none)."""
        lease_checks.check_name("StoreRegistrationMemory.relay_cursor", name)
        self._check_open("relay_cursor")
        with self._leases.lock:
            return self._leases.cursors.get(name, 0)

    def advance_relay_cursor(self, name: str, sequence: int, token: int) -> None:
        """Move relay ``name``'s cursor to ``sequence``, fenced by lease ``name`` and
        ``token``; raises ``ModelLeaseLostError`` (nothing moved) when the token moved on and
        ``INVALID_STATE`` when ``sequence`` is below the cursor."""
        where = "StoreRegistrationMemory.advance_relay_cursor"
        lease_checks.check_name(where, name)
        lease_checks.check_whole(where, sequence, "sequence", 0)
        lease_checks.check_whole(where, token, "token", 1)
        with self.transaction() as txn:
            txn.check_lease(name, token)
            with self._leases.lock:
                lease_checks.check_forward(where, name, self._leases.cursors.get(name, 0), sequence)
                self._leases.cursors[name] = sequence

    def migrate(self) -> int:
        """Nothing to migrate in memory; returns ``0``. Raises ``INVALID_STATE`` once closed."""
        self._check_open("migrate")
        return 0

    @contextmanager
    def transaction(self) -> Iterator[ProtocolRegistrationTransaction]:
        """Open a transaction, committed on normal exit and rolled back on an exception.

        Raises ``ModelOnexError(INVALID_STATE)`` when this thread already has a transaction open
        on this store (transactions do not nest) or the store is closed.
        """
        self._check_open("transaction")
        self._transactions.require_none_open()
        with self._transaction_lock:
            with self._transactions.holding(_MemoryTransaction(self._state, self._leases)) as txn:
                yield txn
            with self._state_lock:
                txn.apply_to(self._state)

    def list_nodes(
        self, state: EnumRegistrationState | None = None
    ) -> list[ModelRegistrationProjection]:
        """Committed registry rows ordered by node name then id, optionally only in ``state``."""
        self._check_open("list_nodes")
        with self._state_lock:
            nodes = list(self._state.nodes.values())
        if state is not None:
            nodes = [node for node in nodes if node.state == state]
        nodes.sort(key=lambda node: (node.node_name, str(node.node_id)))
        return nodes

    def iter_events(self, after_sequence: int = 0) -> Iterator[ModelLifecycleEvent]:
        """Committed events with ``sequence > after_sequence``, in commit order."""
        self._check_open("iter_events")
        with self._state_lock:
            events = self._state.events[max(after_sequence, 0) :]
        return iter(events)

    def last_sequence(self) -> int:
        """The sequence of the newest committed event (``0`` when there is none)."""
        self._check_open("last_sequence")
        with self._state_lock:
            return len(self._state.events)

    def list_dead_letters(self) -> list[ModelDeadLetter]:
        """Committed dead letters in the order they were recorded."""
        self._check_open("list_dead_letters")
        with self._state_lock:
            return list(self._state.dead_letters.values())

    def list_records(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """Committed records of ``kind`` as ``(key, document)``, ordered by key."""
        self._check_open("list_records")
        with self._state_lock:
            found = [
                (k, text) for (k_kind, k), text in self._state.records.items() if k_kind == kind
            ]
        return [(key, json.loads(text)) for key, text in sorted(found)]

    def count_outcomes(self) -> dict[EnumMessageOutcome, int]:
        """Inbox records by outcome plus dead letters without an envelope id (all keys present)."""
        self._check_open("count_outcomes")
        counts = dict.fromkeys(EnumMessageOutcome, 0)
        with self._state_lock:
            for outcome, _reason, _at in self._state.inbox.values():
                counts[outcome] += 1
            counts[EnumMessageOutcome.DEAD_LETTERED] += sum(
                1 for letter in self._state.dead_letters.values() if letter.envelope_id is None
            )
        return counts

    def count_ignored_by_reason(self) -> dict[str, int]:
        """Ignored inbox records by reason code (the text before the first ``:``)."""
        self._check_open("count_ignored_by_reason")
        counts: dict[str, int] = {}
        with self._state_lock:
            for outcome, reason, _at in self._state.inbox.values():
                if outcome is EnumMessageOutcome.IGNORED:
                    code = (reason or "").split(":", 1)[0]
                    counts[code] = counts.get(code, 0) + 1
        return counts

    def close(self) -> None:
        """Mark the store closed; later calls raise ``INVALID_STATE``. Idempotent."""
        self._closed = True

    def _check_open(self, method: str) -> None:
        if self._closed:
            raise ModelOnexError(
                f"StoreRegistrationMemory.{method}: the store is closed; open a new one",
                EnumCoreErrorCode.INVALID_STATE,
                {"store_url": self._url},
            )
