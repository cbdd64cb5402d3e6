"""The PostgreSQL registration store (``postgresql://user[:password]@host[:port]/database``).

Several orchestrator processes may share one database. What makes that safe:

- one database transaction per store transaction (the runtime uses one per batch) holding the
  node rows, the outbox events, the dead letters and the inbox records;
- the inbox's primary key on ``envelope_id`` with ``INSERT ... ON CONFLICT DO NOTHING``: when two
  processes apply the same envelope, the second one's insert waits for the first to commit and
  then conflicts, so its whole batch is rolled back and redone (where the envelope is now a
  duplicate), never applied twice;
- ``get_node`` locks the node row (``SELECT ... FOR UPDATE``; for a node without a row, a
  transaction-scoped advisory lock on its id, so two processes never both create it);
- the tick's expiry claim is ``SELECT ... FOR UPDATE SKIP LOCKED`` over the partition's ACTIVE
  nodes, so two processes ticking at once each claim different nodes;
- tick clocks are rows keyed by partition, locked while read, so the stale-tick rule survives a
  restart and one partition never waits for another's clock.

Writes are kept in the transaction and sent at commit (or before a claim that must see them) in
a few set-based statements; reads check the transaction's own writes first. That keeps a message
to about two round trips. A lost connection, a server restart, a deadlock or a serialization
failure raises :class:`ModelStoreUnavailableError` (retryable) and poisons the transaction, so it
can only roll back; the caller redoes the batch (see ``store_retry``).
"""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit
from uuid import UUID

import psycopg

from omnibase_core.enums import EnumCoreErrorCode, EnumNodeKind
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.enums import (
    EnumDeadLetterReason,
    EnumLifecycleEventType,
    EnumMessageOutcome,
    EnumRegistrationState,
)
from omnibase_infra.models import (
    ModelDeadLetter,
    ModelLifecycleEvent,
    ModelPartition,
    ModelRegistrationProjection,
    partition_hash,
)
from omnibase_infra.stores import store_value_checks as checks
from omnibase_infra.stores.migrations.migrations_postgres import MIGRATIONS
from omnibase_infra.stores.model_store_data_error import ModelStoreDataError
from omnibase_infra.stores.model_store_unavailable_error import ModelStoreUnavailableError
from omnibase_infra.stores.protocol_registration_transaction import (
    ProtocolRegistrationTransaction,
)
from omnibase_infra.stores.store_transaction_slot import StoreTransactionSlot
from omnibase_infra.stores.timestamps import require_aware

_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
_loads = json.loads
"""JSON documents are kept as the exact text written (``text`` columns, not ``jsonb``)."""
_MIGRATION_LOCK = zlib.crc32(b"omnibase_infra.registration.migrate")
"""Key of the advisory lock that serialises migrations across processes."""
_OUTBOX_LOCK = zlib.crc32(b"omnibase_infra.registration.outbox")
"""Key of the advisory lock held from a transaction's outbox insert to its commit, so that
outbox ``sequence`` order is commit order: a reader paging by sequence never skips an event
that commits later with a smaller sequence."""
_SAVEPOINT = "onex_message"
#: What the JSON encoder raises for a value it cannot write: an unencodable string, a
#: non-finite number, a value that is not JSON.
_ENCODE_ERRORS = (UnicodeError, OverflowError, ValueError, TypeError)
_NODE_LOCKS = 1_001
_CLOCK_LOCKS = 1_002
"""Advisory lock namespaces (first key of the two-key form) for rows that do not exist yet."""

_NODE_COLUMNS = (
    "node_id, node_name, state, node_type, node_version, epoch, capabilities, endpoints, "
    "registered_at, last_heartbeat_at, liveness_deadline, last_introspection_at, updated_at"
)
_SELECT_NODE = f"SELECT {_NODE_COLUMNS} FROM nodes WHERE node_id = %s FOR UPDATE"
_LOCK_KEY = "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"

_UPSERT_NODES = """
INSERT INTO nodes (node_id, partition_hash, node_name, state, node_type, node_version, epoch,
                   capabilities, endpoints, registered_at, last_heartbeat_at, liveness_deadline,
                   last_introspection_at, updated_at)
SELECT n.node_id, n.partition_hash, n.node_name, n.state, n.node_type, n.node_version, n.epoch,
       n.capabilities, n.endpoints, n.registered_at, n.last_heartbeat_at,
       n.liveness_deadline, n.last_introspection_at, n.updated_at
FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[],
            %s::bigint[], %s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[],
            %s::timestamptz[], %s::timestamptz[], %s::timestamptz[])
     AS n(node_id, partition_hash, node_name, state, node_type, node_version, epoch,
          capabilities, endpoints, registered_at, last_heartbeat_at, liveness_deadline,
          last_introspection_at, updated_at)
ON CONFLICT (node_id) DO UPDATE SET
    node_name = EXCLUDED.node_name, state = EXCLUDED.state, node_type = EXCLUDED.node_type,
    node_version = EXCLUDED.node_version, epoch = EXCLUDED.epoch,
    capabilities = EXCLUDED.capabilities, endpoints = EXCLUDED.endpoints,
    registered_at = EXCLUDED.registered_at, last_heartbeat_at = EXCLUDED.last_heartbeat_at,
    liveness_deadline = EXCLUDED.liveness_deadline,
    last_introspection_at = EXCLUDED.last_introspection_at, updated_at = EXCLUDED.updated_at
"""
_UPSERT_REQUESTS = """
INSERT INTO introspection_requests (node_id, requested_at)
SELECT * FROM unnest(%s::uuid[], %s::timestamptz[])
ON CONFLICT (node_id) DO UPDATE SET requested_at = EXCLUDED.requested_at
"""
_UPSERT_CLOCKS = """
INSERT INTO tick_clocks (partition_key, tick_now)
SELECT * FROM unnest(%s::text[], %s::timestamptz[])
ON CONFLICT (partition_key) DO UPDATE SET tick_now = EXCLUDED.tick_now
"""
_INSERT_EVENTS = """
INSERT INTO outbox (event_id, event_type, topic, node_id, causation_id, correlation_id,
                    emitted_at, data)
SELECT e.event_id, e.event_type, e.topic, e.node_id, e.causation_id, e.correlation_id,
       e.emitted_at, e.data
FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::uuid[], %s::uuid[], %s::uuid[],
            %s::timestamptz[], %s::text[]) WITH ORDINALITY
     AS e(event_id, event_type, topic, node_id, causation_id, correlation_id, emitted_at, data,
          position)
ORDER BY e.position
"""
_INSERT_DEAD_LETTERS = """
INSERT INTO dead_letters (dead_letter_id, envelope_id, reason, detail, source, line_number, raw,
                          recorded_at, raw_escaped)
SELECT d.dead_letter_id, d.envelope_id, d.reason, d.detail, d.source, d.line_number, d.raw,
       d.recorded_at, d.raw_escaped
FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::text[], %s::text[], %s::bigint[],
            %s::text[], %s::timestamptz[], %s::boolean[]) WITH ORDINALITY
     AS d(dead_letter_id, envelope_id, reason, detail, source, line_number, raw, recorded_at,
          raw_escaped, position)
ORDER BY d.position
ON CONFLICT (dead_letter_id) DO NOTHING
"""
_INSERT_INBOX = """
INSERT INTO inbox (envelope_id, outcome, reason, processed_at)
SELECT * FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::timestamptz[])
ON CONFLICT (envelope_id) DO NOTHING
RETURNING envelope_id
"""


def _node_from_row(row: Sequence[Any]) -> ModelRegistrationProjection:
    return ModelRegistrationProjection(
        node_id=row[0],
        node_name=row[1],
        state=EnumRegistrationState(row[2]),
        node_type=EnumNodeKind(row[3]),
        node_version=row[4],
        epoch=row[5],
        capabilities=_loads(row[6]),
        endpoints=_loads(row[7]),
        registered_at=row[8],
        last_heartbeat_at=row[9],
        liveness_deadline=row[10],
        last_introspection_at=row[11],
        updated_at=row[12],
    )


class _PostgresEndpoint:
    """The parsed store URL: what to connect to and how to name it in messages."""

    def __init__(self, url: str) -> None:
        raw = url.strip()
        parts = urlsplit(raw)
        if parts.scheme.lower() not in {"postgresql", "postgres"}:
            raise ModelOnexError(
                f"StoreRegistrationPostgres: store URL {mask_url(raw)!r} is not a PostgreSQL "
                "URL; use postgresql://user[:password]@host[:port]/database",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                {"store_url": mask_url(raw)},
            )
        try:
            port = parts.port or 5432
        except ValueError:
            raise ModelOnexError(
                f"StoreRegistrationPostgres: store URL {mask_url(raw)!r} has an invalid port; "
                "use postgresql://user[:password]@host[:port]/database",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                {"store_url": mask_url(raw)},
            ) from None
        self.conninfo = raw
        self.masked = mask_url(raw)
        self.host = parts.hostname or "localhost"
        self.port = port
        self.user = unquote(parts.username) if parts.username else None
        self.database = unquote(parts.path.lstrip("/")) or self.user or "postgres"

    @property
    def address(self) -> str:
        """``host:port`` for messages."""
        return f"{self.host}:{self.port}"


def mask_url(url: str) -> str:
    """``url`` with the password of ``scheme://user:password@host`` replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{host}"


class _PostgresTransaction:
    """One open database transaction of :class:`StoreRegistrationPostgres`.

    ``_known_*`` hold what this transaction has read or written (so repeated reads cost no round
    trip); ``_pending_*`` hold writes not yet sent, flushed by :meth:`flush`.
    """

    def __init__(self, store: StoreRegistrationPostgres, conn: psycopg.Connection[Any]) -> None:
        self._store = store
        self._conn = conn
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

    # --- plumbing ------------------------------------------------------------------------------
    def _execute(self, method: str, query: str, params: Sequence[Any]) -> psycopg.Cursor[Any]:
        if self.failure is not None:
            raise self.failure
        try:
            return self._cur.execute(query, params)
        except psycopg.Error as exc:
            self._fail(method, exc)
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
        self._execute("savepoint", f"RELEASE SAVEPOINT {_SAVEPOINT}", ())

    def _fail(self, method: str, exc: psycopg.Error) -> NoReturn:
        self.failure = self._store.translate_error(f"StoreRegistrationPostgres.{method}", exc)
        raise self.failure from exc

    def _lock_key(self, method: str, namespace: int, key: str) -> None:
        self._execute(method, _LOCK_KEY, (namespace, key))

    # --- batch read-ahead ----------------------------------------------------------------------
    def prefetch(self, envelope_ids: Sequence[UUID], node_ids: Sequence[UUID]) -> None:
        """Read the inbox records of ``envelope_ids`` and lock the rows of ``node_ids`` in two
        statements, so the batch's later ``get_outcome``/``get_node`` calls cost no round trip.

        Optional for callers (not part of the protocol). Rows are locked in id order, which
        also keeps two processes working on the same nodes from deadlocking.
        """
        envelopes = list({e for e in envelope_ids if e not in self._known_outcomes})
        if envelopes:
            rows = self._execute(
                "prefetch",
                "SELECT envelope_id, outcome FROM inbox WHERE envelope_id = ANY(%s)",
                (envelopes,),
            ).fetchall()
            found = {row[0]: EnumMessageOutcome(row[1]) for row in rows}
            for envelope_id in envelopes:
                self._known_outcomes[envelope_id] = found.get(envelope_id)
        nodes = sorted({n for n in node_ids if n not in self._known_nodes})
        if nodes:
            rows = self._execute(
                "prefetch",
                f"SELECT {_NODE_COLUMNS} FROM nodes WHERE node_id = ANY(%s) "
                "ORDER BY node_id FOR UPDATE",
                (nodes,),
            ).fetchall()
            for row in rows:  # ids without a row stay unknown: get_node locks their key
                self._known_nodes[row[0]] = _node_from_row(row)

    # --- inbox ---------------------------------------------------------------------------------
    def get_outcome(self, envelope_id: UUID) -> EnumMessageOutcome | None:
        """The recorded outcome of ``envelope_id`` (own or committed), or ``None``."""
        if envelope_id in self._known_outcomes:
            return self._known_outcomes[envelope_id]
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
        require_aware(processed_at, "StoreRegistrationPostgres.record_outcome")
        checks.check_text("StoreRegistrationPostgres.record_outcome", "the reason", reason)
        checks.check_instant(
            "StoreRegistrationPostgres.record_outcome", "processed_at", processed_at
        )
        if self.get_outcome(envelope_id) is not None:
            return False
        outcome = EnumMessageOutcome(outcome)
        self._known_outcomes[envelope_id] = outcome
        self._pending_inbox[envelope_id] = (outcome, reason, processed_at)
        return True

    # --- nodes ---------------------------------------------------------------------------------
    def get_node(self, node_id: UUID) -> ModelRegistrationProjection | None:
        """The node's row locked until the end of the transaction (absent: its id locked)."""
        if node_id in self._known_nodes:
            return self._known_nodes[node_id]
        row = self._execute("get_node", _SELECT_NODE, (node_id,)).fetchone()
        if row is None:
            self._lock_key("get_node", _NODE_LOCKS, str(node_id))
            row = self._execute("get_node", _SELECT_NODE, (node_id,)).fetchone()
        node = None if row is None else _node_from_row(row)
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
            f"SELECT {_NODE_COLUMNS} FROM nodes WHERE {where} "
            "ORDER BY liveness_deadline, node_id LIMIT %s FOR UPDATE SKIP LOCKED"
        )
        rows = self._execute("claim_expired", query, [*params, limit]).fetchall()
        nodes = [_node_from_row(row) for row in rows]
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
            self._lock_key("get_introspection_requested_at", _NODE_LOCKS, str(node_id))
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
            self._lock_key("get_tick_clock", _CLOCK_LOCKS, partition_key)
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
            self._execute("flush", _UPSERT_NODES, self._columns(_node_columns, nodes))
        if self._pending_requests:
            requests = self._pending_requests.copy()
            self._pending_requests.clear()
            self._execute("flush", _UPSERT_REQUESTS, (list(requests), list(requests.values())))
        if self._pending_clocks:
            clocks = self._pending_clocks.copy()
            self._pending_clocks.clear()
            self._execute("flush", _UPSERT_CLOCKS, (list(clocks), list(clocks.values())))
        if self._pending_dead:
            letters = list(self._pending_dead.values())
            self._pending_dead.clear()
            self._execute("flush", _INSERT_DEAD_LETTERS, _dead_letter_columns(letters))
        if self._pending_inbox:
            inbox = self._pending_inbox.copy()
            self._pending_inbox.clear()
            ids = list(inbox)
            params = (
                ids,
                [record[0].value for record in inbox.values()],
                [record[1] for record in inbox.values()],
                [record[2] for record in inbox.values()],
            )
            inserted = {row[0] for row in self._execute("flush", _INSERT_INBOX, params)}
            if len(inserted) != len(ids):
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
                self._execute("flush", "SELECT pg_advisory_xact_lock(%s)", (_OUTBOX_LOCK,))
                self._outbox_locked = True
            self._execute("flush", _INSERT_EVENTS, self._columns(_event_columns, events))

    def _columns(
        self, build: Callable[[Sequence[Any]], tuple[list[Any], ...]], items: Sequence[Any]
    ) -> tuple[list[Any], ...]:
        """``build(items)``; a value that cannot be encoded poisons the transaction with
        ``ModelStoreDataError``."""
        try:
            return build(items)
        except _ENCODE_ERRORS as exc:
            self.failure = checks.refuse("StoreRegistrationPostgres.flush", "a document", str(exc))
            raise self.failure from exc


def _node_columns(nodes: Sequence[ModelRegistrationProjection]) -> tuple[list[Any], ...]:
    return (
        [n.node_id for n in nodes],
        [partition_hash(n.node_id) for n in nodes],
        [n.node_name for n in nodes],
        [EnumRegistrationState(n.state).value for n in nodes],
        [EnumNodeKind(n.node_type).value for n in nodes],
        [n.node_version for n in nodes],
        [n.epoch for n in nodes],
        [_dumps(n.capabilities) for n in nodes],
        [_dumps(n.endpoints) for n in nodes],
        [n.registered_at for n in nodes],
        [n.last_heartbeat_at for n in nodes],
        [n.liveness_deadline for n in nodes],
        [n.last_introspection_at for n in nodes],
        [n.updated_at for n in nodes],
    )


def _event_columns(events: Sequence[ModelLifecycleEvent]) -> tuple[list[Any], ...]:
    return (
        [e.event_id for e in events],
        [e.event_type.value for e in events],
        [e.topic for e in events],
        [e.node_id for e in events],
        [e.causation_id for e in events],
        [e.correlation_id for e in events],
        [e.emitted_at for e in events],
        [_dumps(e.data) for e in events],
    )


def _dead_letter_columns(letters: Sequence[ModelDeadLetter]) -> tuple[list[Any], ...]:
    return (
        [d.dead_letter_id for d in letters],
        [d.envelope_id for d in letters],
        [d.reason.value for d in letters],
        [d.detail for d in letters],
        [d.source for d in letters],
        [d.line_number for d in letters],
        [d.raw for d in letters],
        [d.recorded_at for d in letters],
        [d.raw_escaped for d in letters],
    )


class StoreRegistrationPostgres:
    """A registration store in a PostgreSQL database, shareable by several processes.

    Each thread uses its own connections (one for transactions, one autocommit connection for
    the read methods), opened on first use. The schema is migrated on first use and by
    :meth:`migrate`. Raises :class:`ModelStoreUnavailableError` (``CONFIGURATION_ERROR``) naming
    ``host:port`` and what to check when the database cannot be reached, and a retryable one
    when a connection is lost during a transaction.
    """

    def __init__(self, url: str, *, connect_timeout: int = 5) -> None:
        """Prepare the store; nothing is connected until first use.

        Raises ``ModelOnexError(CONFIGURATION_ERROR)`` when ``url`` is not a PostgreSQL URL.
        """
        self._endpoint = _PostgresEndpoint(url)
        self._connect_timeout = connect_timeout
        self._local = threading.local()
        self._transactions: StoreTransactionSlot[_PostgresTransaction] = StoreTransactionSlot(
            "StoreRegistrationPostgres", self.url
        )
        self._connections: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        self._schema_version: int | None = None
        self._closed = False

    @property
    def url(self) -> str:
        """The store URL with any password masked."""
        return self._endpoint.masked

    # --- connections and errors ----------------------------------------------------------------
    def _connect(self, *, autocommit: bool) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(
                self._endpoint.conninfo,
                autocommit=autocommit,
                connect_timeout=self._connect_timeout,
                application_name="onex-registration",
            )
        except psycopg.Error as exc:
            raise self._unreachable(exc) from None
        try:
            conn.execute("SET TIME ZONE 'UTC'")
            if not autocommit:
                conn.commit()
        except psycopg.Error as exc:
            conn.close()
            raise self.translate_error("StoreRegistrationPostgres.connect", exc) from None
        with self._lock:
            self._connections.append(conn)
        return conn

    def _unreachable(self, exc: psycopg.Error) -> ModelStoreUnavailableError:
        cause = " ".join(str(exc).split()).rstrip(" .") or type(exc).__name__
        ep = self._endpoint
        return ModelStoreUnavailableError(
            f"cannot connect to PostgreSQL at {ep.address} (database {ep.database!r}, user "
            f"{ep.user or '(default)'!r}) for store {ep.masked} ({cause}). Check that the server "
            f"is running and accepts TCP connections on {ep.address}, that the store URL is "
            "right (host, port, database name), and that the user and password are valid",
            EnumCoreErrorCode.CONFIGURATION_ERROR,
            {"store_url": ep.masked, "host": ep.host, "port": ep.port, "cause": cause},
        )

    def translate_error(self, where: str, exc: psycopg.Error) -> ModelOnexError:
        """Turn a driver error into the store's error: operational failures (lost connection,
        shutdown, deadlock, serialization failure) become a retryable
        ``ModelStoreUnavailableError``; anything else a ``ModelOnexError(INVALID_STATE)``."""
        cause = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        context = {"store_url": self.url, "sqlstate": exc.sqlstate, "cause": cause}
        if isinstance(exc, psycopg.DataError):
            return ModelStoreDataError(
                f"{where}: PostgreSQL at {self._endpoint.address} cannot hold a value of the "
                f"message (SQLSTATE {exc.sqlstate}: {cause})",
                EnumCoreErrorCode.VALIDATION_ERROR,
                context,
            )
        if isinstance(exc, psycopg.OperationalError):
            return ModelStoreUnavailableError(
                f"{where}: the PostgreSQL transaction at {self._endpoint.address} failed and was "
                f"rolled back ({cause}); redo the batch, nothing of it was applied",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                context,
            )
        return ModelOnexError(
            f"{where}: PostgreSQL at {self._endpoint.address} rejected a statement "
            f"(SQLSTATE {exc.sqlstate}: {cause}); the transaction is rolled back",
            EnumCoreErrorCode.INVALID_STATE,
            context,
        )

    def _thread_connection(self, attr: str, *, autocommit: bool) -> psycopg.Connection[Any]:
        self._check_open(attr)
        conn: psycopg.Connection[Any] | None = getattr(self._local, attr, None)
        if conn is None or conn.closed or conn.broken:
            if conn is not None:
                self._discard(conn)
            conn = self._connect(autocommit=autocommit)
            setattr(self._local, attr, conn)
        return conn

    def _discard(self, conn: psycopg.Connection[Any]) -> None:
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)
        with suppress(psycopg.Error):
            conn.close()

    # --- schema --------------------------------------------------------------------------------
    def migrate(self) -> int:
        """Apply pending migrations under an advisory lock; returns the schema version in force.

        Safe when several processes start at once: they take turns, the later ones find
        nothing to do. Raises ``ModelStoreUnavailableError`` when the database cannot be reached
        and ``ModelOnexError(CONFIGURATION_ERROR)`` when the database's schema is newer than
        this code knows.
        """
        conn = self._thread_connection("txn_conn", autocommit=False)
        newest = MIGRATIONS[-1][0]
        try:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
            current = int(row[0]) if row else 0
            if current > newest:
                conn.rollback()
                raise ModelOnexError(
                    f"StoreRegistrationPostgres.migrate: the database {self.url} has schema "
                    f"version {current} but this installation knows versions up to {newest}; "
                    "upgrade omnibase-infra or point the store at another database",
                    EnumCoreErrorCode.CONFIGURATION_ERROR,
                    {"store_url": self.url, "schema_version": current, "known": newest},
                )
            for version, script in MIGRATIONS:
                if version > current:
                    conn.execute(script.encode())
                    conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
            conn.commit()
        except psycopg.Error as exc:
            self._rollback_quietly(conn)
            raise self.translate_error("StoreRegistrationPostgres.migrate", exc) from None
        self._schema_version = max(current, newest)
        return self._schema_version

    def _ensure_migrated(self) -> None:
        if self._schema_version is None:
            self.migrate()

    # --- transactions --------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[ProtocolRegistrationTransaction]:
        """One database transaction: committed when the block exits normally, rolled back when
        it raises or when any statement in it failed.

        Raises ``ModelOnexError(INVALID_STATE)`` when this thread already has one open (they do
        not nest) and ``ModelStoreUnavailableError`` when the database cannot be reached, the
        connection is lost, or the server aborts the transaction (redo the batch).
        """
        self._ensure_migrated()
        self._transactions.require_none_open()
        conn = self._thread_connection("txn_conn", autocommit=False)
        with self._transactions.holding(_PostgresTransaction(self, conn)) as txn:
            try:
                yield txn
                if txn.failure is not None:
                    raise txn.failure
                txn.flush(final=True)
                try:
                    conn.commit()
                except psycopg.Error as exc:
                    txn._fail("commit", exc)
            except BaseException:
                self._rollback_quietly(conn)
                raise

    def _rollback_quietly(self, conn: psycopg.Connection[Any]) -> None:
        with suppress(psycopg.Error):
            conn.rollback()
        if conn.broken or conn.closed:
            self._discard(conn)

    def active_transaction(self) -> ProtocolRegistrationTransaction:
        """The transaction open in this thread; ``ModelOnexError(INVALID_STATE)`` outside one."""
        return self._transactions.active()

    # --- committed reads -----------------------------------------------------------------------
    def _read(self, method: str, query: str, params: Sequence[Any] = ()) -> list[Any]:
        self._ensure_migrated()
        conn = self._thread_connection("read_conn", autocommit=True)
        try:
            return conn.execute(query, params).fetchall()
        except psycopg.Error as exc:
            if conn.broken or conn.closed:
                self._discard(conn)
            raise self.translate_error(f"StoreRegistrationPostgres.{method}", exc) from None

    def list_nodes(
        self, state: EnumRegistrationState | None = None
    ) -> list[ModelRegistrationProjection]:
        """Committed registry rows ordered by node name then id, optionally only in ``state``."""
        where, params = ("", ()) if state is None else ("WHERE state = %s", (state.value,))
        rows = self._read(
            "list_nodes",
            f"SELECT {_NODE_COLUMNS} FROM nodes {where} "
            'ORDER BY node_name COLLATE "C", node_id::text',
            params,
        )
        return [_node_from_row(row) for row in rows]

    def iter_events(self, after_sequence: int = 0) -> Iterator[ModelLifecycleEvent]:
        """Committed events with ``sequence > after_sequence`` in sequence order, read in pages.

        ``sequence`` is commit order, also with several processes writing: each transaction
        inserts its events last, under an advisory lock held until it commits.
        """
        last = after_sequence
        while True:
            rows = self._read(
                "iter_events",
                "SELECT sequence, event_id, event_type, topic, node_id, causation_id, "
                "correlation_id, emitted_at, data FROM outbox WHERE sequence > %s "
                "ORDER BY sequence LIMIT 5000",
                (last,),
            )
            for row in rows:
                yield ModelLifecycleEvent(
                    sequence=row[0],
                    event_id=row[1],
                    event_type=EnumLifecycleEventType(row[2]),
                    topic=row[3],
                    node_id=row[4],
                    causation_id=row[5],
                    correlation_id=row[6],
                    emitted_at=row[7],
                    data=_loads(row[8]),
                )
            if len(rows) < 5000:
                return
            last = rows[-1][0]

    def list_dead_letters(self) -> list[ModelDeadLetter]:
        """Committed dead letters in the order they were recorded."""
        rows = self._read(
            "list_dead_letters",
            "SELECT dead_letter_id, envelope_id, reason, detail, source, line_number, raw, "
            "recorded_at, raw_escaped FROM dead_letters ORDER BY seq",
        )
        return [
            ModelDeadLetter(
                dead_letter_id=row[0],
                envelope_id=row[1],
                reason=EnumDeadLetterReason(row[2]),
                detail=row[3],
                source=row[4],
                line_number=row[5],
                raw=row[6],
                recorded_at=row[7],
                raw_escaped=row[8],
            )
            for row in rows
        ]

    def count_outcomes(self) -> dict[EnumMessageOutcome, int]:
        """Inbox records by outcome plus dead letters without an envelope id (all keys present)."""
        counts = dict.fromkeys(EnumMessageOutcome, 0)
        for outcome, count in self._read(
            "count_outcomes", "SELECT outcome, count(*) FROM inbox GROUP BY outcome"
        ):
            counts[EnumMessageOutcome(outcome)] += int(count)
        rows = self._read(
            "count_outcomes", "SELECT count(*) FROM dead_letters WHERE envelope_id IS NULL"
        )
        counts[EnumMessageOutcome.DEAD_LETTERED] += int(rows[0][0])
        return counts

    def close(self) -> None:
        """Close every connection; later calls raise ``INVALID_STATE``. Idempotent."""
        self._closed = True
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with suppress(psycopg.Error):
                conn.close()

    def _check_open(self, method: str) -> None:
        if self._closed:
            raise ModelOnexError(
                f"StoreRegistrationPostgres.{method}: the store is closed; open a new one",
                EnumCoreErrorCode.INVALID_STATE,
                {"store_url": self.url},
            )
