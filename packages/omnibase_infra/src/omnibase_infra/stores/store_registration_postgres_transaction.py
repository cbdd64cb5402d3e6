"""One open database transaction of the PostgreSQL registration store.

Reads check the transaction's own writes first; writes are kept and sent in a few set-based
statements at commit (or before a claim or a savepoint that must see them). A failed statement
poisons the transaction (:attr:`StoreRegistrationPostgresTransaction.failure`), so it can only
roll back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NoReturn
from uuid import UUID

import psycopg

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.enums import EnumMessageOutcome
from omnibase_infra.models import (
    ModelDeadLetter,
    ModelLifecycleEvent,
    ModelPartition,
    ModelRegistrationProjection,
)
from omnibase_infra.stores import lease_checks
from omnibase_infra.stores import postgres_rows as rows
from omnibase_infra.stores import store_value_checks as checks
from omnibase_infra.stores.model_lease_lost_error import ModelLeaseLostError
from omnibase_infra.stores.model_store_data_error import ModelStoreDataError
from omnibase_infra.stores.model_store_unavailable_error import ModelStoreUnavailableError
from omnibase_infra.stores.postgres_arrays import text_array, uuid_array
from omnibase_infra.stores.timestamps import require_aware

if TYPE_CHECKING:
    from omnibase_infra.stores.store_registration_postgres import StoreRegistrationPostgres

_SAVEPOINT = "onex_message"
#: A fenced transaction share-locks its lease row, which a takeover must update to bump the
#: token: a transaction whose process stops talking to the server (frozen, stopped, starved)
#: would hold the takeover off for as long as it stays so. The server ends such a transaction
#: once it has waited this long on its client; a live batch never idles that long between two
#: statements (and if it did, it would be redone). Below the leases' default lock timeout
#: (30 s), so a takeover's first wait outlasts the stale transaction.
FENCED_IDLE_TIMEOUT_MS = 10_000
_CHECK_LEASE = (
    "SELECT token, set_config('idle_in_transaction_session_timeout', %s, true) "
    "FROM leases WHERE name = %s FOR SHARE"
)
#: The order of ``UUID`` (by its integer), compared without a Python call per comparison.
_UUID_ORDER = attrgetter("int")
_GET_CURSOR = "SELECT sequence FROM relay_cursors WHERE name = %s FOR UPDATE"
_SET_CURSOR = (
    "INSERT INTO relay_cursors (name, sequence) VALUES (%s, %s) "
    "ON CONFLICT (name) DO UPDATE SET sequence = EXCLUDED.sequence"
)


class StoreRegistrationPostgresTransaction:
    """One open database transaction of :class:`StoreRegistrationPostgres`.

    ``_known_*`` hold what this transaction has read or written (so repeated reads cost no round
    trip); ``_pending_*`` hold writes not yet sent, flushed by :meth:`flush`. ``node_memo`` is
    the store's :data:`postgres_rows.NodeMemo`, shared by its transactions.
    """

    def __init__(
        self,
        store: StoreRegistrationPostgres,
        conn: psycopg.Connection[Any],
        node_memo: rows.NodeMemo,
    ) -> None:
        self._store = store
        self._conn = conn
        self._node_memo = node_memo
        self._cur = conn.cursor()
        self.failure: ModelOnexError | None = None
        self._known_nodes: dict[UUID, ModelRegistrationProjection | None] = {}
        self._known_outcomes: dict[UUID, EnumMessageOutcome | None] = {}
        self._known_requests: dict[UUID, datetime | None] = {}
        self._known_clocks: dict[str, datetime | None] = {}
        self._pending_nodes: dict[UUID, ModelRegistrationProjection] = {}
        self._pending_inbox: dict[UUID, tuple[EnumMessageOutcome, str | None, datetime]] = {}
        self._pending_requests: dict[UUID, datetime] = {}
        self._pending_clocks: dict[str, datetime] = {}
        self._pending_events: list[ModelLifecycleEvent] = []
        self._pending_dead: dict[UUID, ModelDeadLetter] = {}
        self._outbox_locked = False
        #: The last ``processed_at`` :meth:`record_outcome` found storable (checked once).
        self._checked_processed_at: datetime | None = None

    # --- plumbing ------------------------------------------------------------------------------
    def _execute(self, method: str, query: str, params: Sequence[Any]) -> psycopg.Cursor[Any]:
        if self.failure is not None:
            raise self.failure
        try:
            return self._cur.execute(query, params)
        except psycopg.Error as exc:
            self.fail(method, exc)
        except (UnicodeError, OverflowError) as exc:  # adapting a parameter, before sending
            self.failure = checks.refuse(
                f"StoreRegistrationPostgres.{method}", "a value of the transaction", str(exc)
            )
            raise self.failure from exc

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A SQL ``SAVEPOINT`` around the block, whose writes are sent before it ends: if the
        block or its writes fail with ``ModelStoreDataError``, every write of the block is
        rolled back, the transaction is usable again and the error propagates.

        Writes pending from before the block are sent first, so the rollback removes the
        block's writes only. A retryable ``ModelStoreUnavailableError`` (lost connection,
        inbox conflict with another process) is not undone here: it propagates and the
        whole transaction rolls back.
        """
        self.flush(final=True)
        known = (
            dict(self._known_nodes),
            dict(self._known_outcomes),
            dict(self._known_requests),
            dict(self._known_clocks),
        )
        outbox_locked = self._outbox_locked
        self._execute("savepoint", f"SAVEPOINT {_SAVEPOINT}", ())
        try:
            yield
            self.flush(final=True)
        except ModelStoreDataError:
            failure = self.failure
            self.failure = None
            try:
                self._execute("savepoint", f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}", ())
                self._execute("savepoint", f"RELEASE SAVEPOINT {_SAVEPOINT}", ())
            except ModelOnexError:
                self.failure = self.failure or failure
                raise
            self._known_nodes, self._known_outcomes, self._known_requests, self._known_clocks = (
                known
            )
            self._outbox_locked = outbox_locked
            self._pending_nodes.clear()
            self._pending_inbox.clear()
            self._pending_requests.clear()
            self._pending_clocks.clear()
            self._pending_events.clear()
            self._pending_dead.clear()
            raise
        except BaseException:
            # Not a refused value: the block's writes stay with the enclosing savepoint or
            # transaction, which that error rolls back as a whole. Released, so that a
            # rollback of an enclosing savepoint (a caller catching the error there) reaches
            # back past this one.
            if self.failure is None:
                with suppress(psycopg.Error):
                    self._cur.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            raise
        self._execute("savepoint", f"RELEASE SAVEPOINT {_SAVEPOINT}", ())

    # --- fencing and the relay cursor -----------------------------------------------------------
    def check_lease(self, name: str, token: int) -> None:
        """Share-lock lease ``name``'s row until this transaction ends (a takeover's token bump
        waits for it) and raise ``ModelLeaseLostError``, poisoning the transaction, unless its
        token is still ``token``. From here on the server ends this transaction if it waits on
        this process more than ``FENCED_IDLE_TIMEOUT_MS`` (a frozen owner cannot hold a
        takeover off)."""
        where = "StoreRegistrationPostgres.check_lease"
        lease_checks.check_name(where, name)
        lease_checks.check_whole(where, token, "token", 1)
        params = (str(FENCED_IDLE_TIMEOUT_MS), name)
        row = self._execute("check_lease", _CHECK_LEASE, params).fetchone()
        current = None if row is None else int(row[0])
        if current != token:
            self.failure = ModelLeaseLostError(where, name, token, current)
            raise self.failure

    def set_relay_cursor(self, name: str, sequence: int) -> None:
        """Move relay ``name``'s cursor to ``sequence``; ``INVALID_STATE`` if that is back."""
        row = self._execute("advance_relay_cursor", _GET_CURSOR, (name,)).fetchone()
        where = "StoreRegistrationPostgres.advance_relay_cursor"
        lease_checks.check_forward(where, name, 0 if row is None else int(row[0]), sequence)
        self._execute("advance_relay_cursor", _SET_CURSOR, (name, sequence))

    def fail(self, method: str, exc: psycopg.Error) -> NoReturn:
        """Poison the transaction with the store's translation of ``exc`` and raise it.

        Used for every failed statement, the commit included, so the transaction can only
        roll back afterwards.
        """
        self.failure = self._store.translate_error(f"StoreRegistrationPostgres.{method}", exc)
        raise self.failure from exc

    def _lock_key(self, method: str, namespace: int, key: str) -> None:
        self._execute(method, rows.LOCK_KEY, (namespace, key))

    # --- batch read-ahead ----------------------------------------------------------------------
    def prefetch(self, envelope_ids: Sequence[UUID], node_ids: Sequence[UUID]) -> None:
        """Read the inbox records of ``envelope_ids`` and lock the rows of ``node_ids`` in two
        statements, so the batch's later ``get_outcome``/``get_node`` calls cost no round trip.

        Optional for callers (not part of the protocol). Rows are locked in id order, which
        also keeps two processes working on the same nodes from deadlocking.
        """
        envelopes = list({e for e in envelope_ids if e not in self._known_outcomes})
        if envelopes:
            inbox = self._execute(
                "prefetch",
                "SELECT envelope_id, outcome FROM inbox WHERE envelope_id = ANY(%b)",
                (uuid_array(envelopes),),
            ).fetchall()
            found = {row[0]: EnumMessageOutcome(row[1]) for row in inbox}
            for envelope_id in envelopes:
                self._known_outcomes[envelope_id] = found.get(envelope_id)
        nodes = sorted({n for n in node_ids if n not in self._known_nodes}, key=_UUID_ORDER)
        if nodes:
            locked = self._execute(
                "prefetch",
                f"SELECT {rows.NODE_COLUMNS} FROM nodes WHERE node_id = ANY(%b) "
                "ORDER BY node_id FOR UPDATE",
                (uuid_array(nodes),),
            ).fetchall()
            for row in locked:  # ids without a row stay unknown: get_node locks their key
                self._known_nodes[row[0]] = rows.node_from_row(row, self._node_memo)

    # --- inbox ---------------------------------------------------------------------------------
    def get_outcome(self, envelope_id: UUID) -> EnumMessageOutcome | None:
        """The recorded outcome of ``envelope_id`` (own or committed), or ``None``."""
        try:
            return self._known_outcomes[envelope_id]
        except KeyError:
            pass
        row = self._execute(
            "get_outcome", "SELECT outcome FROM inbox WHERE envelope_id = %s", (envelope_id,)
        ).fetchone()
        outcome = None if row is None else EnumMessageOutcome(row[0])
        self._known_outcomes[envelope_id] = outcome
        return outcome

    def record_outcome(
        self,
        envelope_id: UUID,
        outcome: EnumMessageOutcome,
        reason: str | None,
        processed_at: datetime,
    ) -> bool:
        """Record the outcome; ``False`` when ``envelope_id`` is already recorded.

        A record made by another process that commits after this transaction looked is caught
        at commit, which then raises a retryable ``ModelStoreUnavailableError``.
        """
        checked = processed_at is self._checked_processed_at  # a batch shares one instant
        if not checked:
            require_aware(processed_at, "StoreRegistrationPostgres.record_outcome")
        checks.check_text("StoreRegistrationPostgres.record_outcome", "the reason", reason)
        if not checked:
            checks.check_instant(
                "StoreRegistrationPostgres.record_outcome", "processed_at", processed_at
            )
            self._checked_processed_at = processed_at
        if self.get_outcome(envelope_id) is not None:
            return False
        if type(outcome) is not EnumMessageOutcome:
            outcome = EnumMessageOutcome(outcome)
        self._known_outcomes[envelope_id] = outcome
        self._pending_inbox[envelope_id] = (outcome, reason, processed_at)
        return True

    # --- nodes ---------------------------------------------------------------------------------
    def get_node(self, node_id: UUID) -> ModelRegistrationProjection | None:
        """The node's row locked until the end of the transaction (absent: its id locked)."""
        try:
            return self._known_nodes[node_id]
        except KeyError:
            pass
        row = self._execute("get_node", rows.SELECT_NODE, (node_id,)).fetchone()
        if row is None:
            self._lock_key("get_node", rows.NODE_LOCKS, str(node_id))
            row = self._execute("get_node", rows.SELECT_NODE, (node_id,)).fetchone()
        node = None if row is None else rows.node_from_row(row, self._node_memo)
        self._known_nodes[node_id] = node
        return node

    def upsert_node(self, projection: ModelRegistrationProjection) -> None:
        """Insert or replace the node's row (sent at commit)."""
        checks.check_projection(
            "StoreRegistrationPostgres.upsert_node",
            projection,
            self._known_nodes.get(projection.node_id),
        )
        self._known_nodes[projection.node_id] = projection
        self._pending_nodes[projection.node_id] = projection

    def claim_expired(
        self, now: datetime, limit: int, partition: ModelPartition
    ) -> list[ModelRegistrationProjection]:
        """Lock and return up to ``limit`` due ACTIVE nodes of ``partition``, skipping rows
        another transaction holds (``FOR UPDATE SKIP LOCKED``)."""
        require_aware(now, "StoreRegistrationPostgres.claim_expired")
        if limit <= 0:
            return []
        self.flush()
        where = "state = 'active' AND liveness_deadline < %s"
        params: list[Any] = [now]
        if partition.count > 1:
            where += " AND partition_hash %% %s = %s"
            params += [partition.count, partition.index]
        query = (
            f"SELECT {rows.NODE_COLUMNS} FROM nodes WHERE {where} "
            "ORDER BY liveness_deadline, node_id LIMIT %s FOR UPDATE SKIP LOCKED"
        )
        due = self._execute("claim_expired", query, [*params, limit]).fetchall()
        nodes = [rows.node_from_row(row, self._node_memo) for row in due]
        for node in nodes:
            self._known_nodes[node.node_id] = node
        return nodes

    # --- per-node and per-partition memories ---------------------------------------------------
    def get_introspection_requested_at(self, node_id: UUID) -> datetime | None:
        """When introspection was last requested from ``node_id`` (the row is locked)."""
        if node_id in self._known_requests:
            return self._known_requests[node_id]
        query = "SELECT requested_at FROM introspection_requests WHERE node_id = %s FOR UPDATE"
        row = self._execute("get_introspection_requested_at", query, (node_id,)).fetchone()
        if row is None:
            self._lock_key("get_introspection_requested_at", rows.NODE_LOCKS, str(node_id))
            row = self._execute("get_introspection_requested_at", query, (node_id,)).fetchone()
        value: datetime | None = None if row is None else row[0]
        self._known_requests[node_id] = value
        return value

    def set_introspection_requested_at(self, node_id: UUID, requested_at: datetime) -> None:
        """Remember when introspection was requested (sent at commit)."""
        require_aware(requested_at, "StoreRegistrationPostgres.set_introspection_requested_at")
        checks.check_instant(
            "StoreRegistrationPostgres.set_introspection_requested_at", "requested_at", requested_at
        )
        self._known_requests[node_id] = requested_at
        self._pending_requests[node_id] = requested_at

    def get_tick_clock(self, partition_key: str) -> datetime | None:
        """The partition's newest applied tick, its row locked (absent: its key locked)."""
        if partition_key in self._known_clocks:
            return self._known_clocks[partition_key]
        query = "SELECT tick_now FROM tick_clocks WHERE partition_key = %s FOR UPDATE"
        row = self._execute("get_tick_clock", query, (partition_key,)).fetchone()
        if row is None:
            self._lock_key("get_tick_clock", rows.CLOCK_LOCKS, partition_key)
            row = self._execute("get_tick_clock", query, (partition_key,)).fetchone()
        value: datetime | None = None if row is None else row[0]
        self._known_clocks[partition_key] = value
        return value

    def set_tick_clock(self, partition_key: str, now: datetime) -> None:
        """Record the partition's newest applied tick (sent at commit)."""
        require_aware(now, "StoreRegistrationPostgres.set_tick_clock")
        checks.check_instant("StoreRegistrationPostgres.set_tick_clock", "the tick clock", now)
        checks.check_text(
            "StoreRegistrationPostgres.set_tick_clock", "the partition key", partition_key
        )
        self._known_clocks[partition_key] = now
        self._pending_clocks[partition_key] = now

    # --- keyed JSON records ---------------------------------------------------------------------
    def get_record(self, kind: str, key: str) -> dict[str, Any] | None:
        """The document under ``(kind, key)``, its row locked (absent: its key locked)."""
        row = self._execute("get_record", rows.GET_RECORD, (kind, key)).fetchone()
        if row is None:
            self._lock_key("get_record", rows.RECORD_LOCKS, f"{kind}\x1f{key}")
            row = self._execute("get_record", rows.GET_RECORD, (kind, key)).fetchone()
        if row is None:
            return None
        document: dict[str, Any] = json.loads(row[0])
        return document

    def put_record(self, kind: str, key: str, document: Mapping[str, Any]) -> None:
        """Insert or replace the document under ``(kind, key)`` as canonical JSON text (sent at
        once, so a savepoint covers it)."""
        text = checks.check_record("StoreRegistrationPostgres.put_record", kind, key, document)
        self._execute("put_record", rows.PUT_RECORD, (kind, key, text))

    # --- outputs -------------------------------------------------------------------------------
    def append_events(self, events: Sequence[ModelLifecycleEvent]) -> None:
        """Queue events for the outbox; they get their ``sequence`` in append order at commit."""
        checks.check_events("StoreRegistrationPostgres.append_events", list(events))
        self._pending_events.extend(events)

    def add_dead_letter(self, dead_letter: ModelDeadLetter) -> None:
        """Keep a dead letter; a second one with the same ``dead_letter_id`` writes nothing."""
        checks.check_dead_letter("StoreRegistrationPostgres.add_dead_letter", dead_letter)
        self._pending_dead.setdefault(dead_letter.dead_letter_id, dead_letter)

    # --- sending the writes --------------------------------------------------------------------
    def flush(self, *, final: bool = False) -> None:
        """Send the pending writes; raises a retryable ``ModelStoreUnavailableError`` when an
        inbox record conflicts with one another process committed meanwhile.

        Outbox events wait for the ``final`` flush right before commit, where they are
        inserted under the outbox lock (nothing reads the outbox inside a transaction).
        """
        if self._pending_nodes:
            nodes = list(self._pending_nodes.values())
            self._pending_nodes.clear()
            columns = self._columns(partial(rows.node_columns, memo=self._node_memo), nodes)
            self._execute("flush", rows.UPSERT_NODES, columns)
        if self._pending_requests:
            requests = self._pending_requests.copy()
            self._pending_requests.clear()
            by_node = (uuid_array(requests), list(requests.values()))
            self._execute("flush", rows.UPSERT_REQUESTS, by_node)
        if self._pending_clocks:
            clocks = self._pending_clocks.copy()
            self._pending_clocks.clear()
            by_key = (text_array(clocks), list(clocks.values()))
            self._execute("flush", rows.UPSERT_CLOCKS, by_key)
        if self._pending_dead:
            letters = list(self._pending_dead.values())
            self._pending_dead.clear()
            self._execute("flush", rows.INSERT_DEAD_LETTERS, rows.dead_letter_columns(letters))
        if self._pending_inbox:
            inbox = self._pending_inbox.copy()
            self._pending_inbox.clear()
            ids = list(inbox)
            params = (
                uuid_array(ids),
                text_array([record[0].value for record in inbox.values()]),
                text_array([record[1] for record in inbox.values()]),
                [record[2] for record in inbox.values()],
            )
            cursor = self._execute("flush", rows.INSERT_INBOX, params)
            if cursor.rowcount != len(ids):  # the returned ids are read only on a conflict
                inserted = {row[0] for row in cursor.fetchall()}
                taken = next(envelope_id for envelope_id in ids if envelope_id not in inserted)
                self.failure = ModelStoreUnavailableError(
                    f"StoreRegistrationPostgres.flush: envelope {taken} was applied by another "
                    "process while this transaction was running; the transaction is rolled "
                    "back, redo the batch (the envelope will then be a duplicate)",
                    EnumCoreErrorCode.INVALID_STATE,
                    {"envelope_id": str(taken), "store_url": self._store.url},
                )
                raise self.failure
        if final and self._pending_events:
            events = self._pending_events.copy()
            self._pending_events.clear()
            if not self._outbox_locked:
                self._execute("flush", "SELECT pg_advisory_xact_lock(%s)", (rows.OUTBOX_LOCK,))
                self._outbox_locked = True
            self._execute("flush", rows.INSERT_EVENTS, self._columns(rows.event_columns, events))

    def _columns(
        self, build: Callable[[Sequence[Any]], tuple[list[Any], ...]], items: Sequence[Any]
    ) -> tuple[list[Any], ...]:
        """``build(items)``; a value that cannot be encoded poisons the transaction with
        ``ModelStoreDataError``."""
        try:
            return build(items)
        except rows.ENCODE_ERRORS as exc:
            self.failure = checks.refuse("StoreRegistrationPostgres.flush", "a document", str(exc))
            raise self.failure from exc
