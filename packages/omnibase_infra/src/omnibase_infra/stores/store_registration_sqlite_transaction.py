"""One open transaction of the SQLite registration store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn, TypeVar
from uuid import UUID

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
from omnibase_infra.stores import sqlite_rows as rows
from omnibase_infra.stores import store_value_checks as checks
from omnibase_infra.stores.model_lease_lost_error import ModelLeaseLostError
from omnibase_infra.stores.model_store_data_error import ModelStoreDataError
from omnibase_infra.stores.timestamps import from_db_micros, require_aware, to_db_micros

T = TypeVar("T")

_GET_OUTCOME = "SELECT outcome FROM inbox WHERE envelope_id = ?"
_RECORD_OUTCOME = (
    "INSERT OR IGNORE INTO inbox (envelope_id, outcome, reason, processed_at) VALUES (?, ?, ?, ?)"
)
_GET_REQUESTED = "SELECT requested_at FROM introspection_requests WHERE node_id = ?"
_SET_REQUESTED = (
    "INSERT OR REPLACE INTO introspection_requests (node_id, requested_at) VALUES (?, ?)"
)
_GET_TICK = "SELECT tick_now FROM tick_clocks WHERE partition_key = ?"
_SET_TICK = "INSERT OR REPLACE INTO tick_clocks (partition_key, tick_now) VALUES (?, ?)"
_GET_RECORD = "SELECT document FROM records WHERE kind = ? AND key = ?"
_PUT_RECORD = "INSERT OR REPLACE INTO records (kind, key, document) VALUES (?, ?, ?)"
_GET_LEASE = "SELECT token FROM leases WHERE name = ?"
_SET_LEASE = "INSERT OR REPLACE INTO leases (name, token, owner, acquired_at) VALUES (?, ?, ?, ?)"
_GET_CURSOR = "SELECT sequence FROM relay_cursors WHERE name = ?"
_SET_CURSOR = "INSERT OR REPLACE INTO relay_cursors (name, sequence) VALUES (?, ?)"
_SAVEPOINT = "onex_message"
#: What SQLite and the driver raise for a value they cannot hold (an integer beyond 64 bits, an
#: unencodable string, a non-finite number or non-JSON value in a document, an oversized value).
_DATA_ERRORS = (OverflowError, UnicodeError, ValueError, TypeError, sqlite3.DataError)


class _FinishedCursor:
    """Stands in for the cursor once the transaction has ended, so late use fails clearly."""

    def execute(self, *_args: Any) -> NoReturn:
        raise ModelOnexError(
            "StoreRegistrationSqlite transaction: used after its 'with' block ended; open a new "
            "transaction with store.transaction()",
            EnumCoreErrorCode.INVALID_STATE,
        )

    executemany = execute


class StoreRegistrationSqliteTransaction:
    """A ``BEGIN IMMEDIATE`` transaction on the store's connection (it holds the write lock).

    Every write runs its statement at once on one reused cursor (statements are prepared once
    and cached by the connection), so SQL reads see the transaction's own writes. Node rows are
    also kept as models: those written here (staged, handed to the store's cache on commit,
    dropped on rollback) and the store's cache of committed rows, which the store empties when
    another connection has committed since (``PRAGMA data_version``). SQLite locks the
    whole database for a writer, so every row read here is locked until commit and
    :meth:`claim_expired` never meets a row locked by someone else.
    """

    def __init__(self, connection: sqlite3.Connection, cache: dict[UUID, rows.CachedNode]) -> None:
        self._cursor: sqlite3.Cursor | _FinishedCursor = connection.cursor()
        self._cache = cache
        self._staged: dict[UUID, rows.CachedNode] = {}

    def publish_to_cache(self) -> None:
        """After a commit: the rows this transaction wrote become the cache's committed rows."""
        self._cache.update(self._staged)

    def finish(self) -> None:
        """Make any later use of this transaction raise ``INVALID_STATE``."""
        self._cursor = _FinishedCursor()
        self._staged = {}

    # --- fencing and the relay cursor -----------------------------------------------------------
    def check_lease(self, name: str, token: int) -> None:
        """Raise ``ModelLeaseLostError`` unless lease ``name``'s token is still ``token`` (this
        transaction holds the database's write lock, so no takeover runs until it ends)."""
        where = "StoreRegistrationSqlite.check_lease"
        lease_checks.check_name(where, name)
        lease_checks.check_whole(where, token, "token", 1)
        row = self._cursor.execute(_GET_LEASE, (name,)).fetchone()
        current = None if row is None else int(row[0])
        if current != token:
            raise ModelLeaseLostError(where, name, token, current)

    def bump_lease(self, name: str, owner: str, now_micros: int) -> int:
        """Store and return the next token of lease ``name``, now taken by ``owner``."""
        row = self._cursor.execute(_GET_LEASE, (name,)).fetchone()
        token = 1 if row is None else int(row[0]) + 1
        self._cursor.execute(_SET_LEASE, (name, token, owner, now_micros))
        return token

    def set_relay_cursor(self, name: str, sequence: int) -> None:
        """Move relay ``name``'s cursor to ``sequence``; ``INVALID_STATE`` if that is back."""
        row = self._cursor.execute(_GET_CURSOR, (name,)).fetchone()
        where = "StoreRegistrationSqlite.advance_relay_cursor"
        lease_checks.check_forward(where, name, 0 if row is None else int(row[0]), sequence)
        self._cursor.execute(_SET_CURSOR, (name, sequence))

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A SQL ``SAVEPOINT`` around the block: if it raises ``ModelStoreDataError``, every
        write made in it is rolled back (rows, events, inbox records, dead letters, staged node
        models) and the error propagates; the transaction stays usable. Any other error
        propagates as is (the whole transaction then rolls back)."""
        self._cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
        staged = dict(self._staged)
        try:
            yield
        except ModelStoreDataError:
            self._cursor.execute(f"ROLLBACK TO {_SAVEPOINT}")
            self._cursor.execute(f"RELEASE {_SAVEPOINT}")
            self._staged = staged
            raise
        self._cursor.execute(f"RELEASE {_SAVEPOINT}")

    @staticmethod
    def _writing(method: str, what: str | Callable[[], str], write: Callable[[], T]) -> T:
        """Run ``write``; a value SQLite cannot hold becomes ``ModelStoreDataError`` naming
        ``what`` (text, or a function making it, called only then)."""
        try:
            return write()
        except _DATA_ERRORS as exc:
            named = what if isinstance(what, str) else what()
            raise checks.refuse(f"StoreRegistrationSqlite.{method}", named, str(exc)) from exc

    # --- inbox ---------------------------------------------------------------------------------
    def get_outcome(self, envelope_id: UUID) -> EnumMessageOutcome | None:
        """The recorded outcome of ``envelope_id`` or ``None``."""
        row = self._cursor.execute(_GET_OUTCOME, (str(envelope_id),)).fetchone()
        return None if row is None else EnumMessageOutcome(row[0])

    def record_outcome(
        self,
        envelope_id: UUID,
        outcome: EnumMessageOutcome,
        reason: str | None,
        processed_at: datetime,
    ) -> bool:
        """Insert the inbox record; ``False`` when ``envelope_id`` already had one."""
        require_aware(processed_at, "StoreRegistrationSqlite.record_outcome(processed_at)")
        checks.check_text("StoreRegistrationSqlite.record_outcome", "the reason", reason)
        checks.check_instant("StoreRegistrationSqlite.record_outcome", "processed_at", processed_at)
        params = (
            str(envelope_id),
            EnumMessageOutcome(outcome).value,
            reason,
            to_db_micros(processed_at),
        )
        cursor = self._writing(
            "record_outcome",
            lambda: f"the outcome of {envelope_id}",
            lambda: self._cursor.execute(_RECORD_OUTCOME, params),
        )
        return cursor.rowcount == 1

    # --- nodes ---------------------------------------------------------------------------------
    def get_node(self, node_id: UUID) -> ModelRegistrationProjection | None:
        """The node's row or ``None``: this transaction's write, else the committed row (from
        the store's cache when it holds it, else read and cached)."""
        entry = self._staged.get(node_id) or self._cache.get(node_id)
        if entry is None:
            row = self._cursor.execute(rows.SELECT_NODE, (str(node_id),)).fetchone()
            if row is None:
                return None
            entry = rows.cached_node_from_row(row)
            self._cache[node_id] = entry
        return entry.projection

    def upsert_node(self, projection: ModelRegistrationProjection) -> None:
        """Insert or replace the node's row."""
        node_id = projection.node_id
        previous = self._staged.get(node_id) or self._cache.get(node_id)
        checks.check_projection(
            "StoreRegistrationSqlite.upsert_node",
            projection,
            None if previous is None else previous.projection,
        )
        params, entry = self._writing(
            "upsert_node",
            lambda: f"the row of node {node_id}",
            lambda: rows.node_params(projection, previous),
        )
        self._writing(
            "upsert_node",
            lambda: f"the row of node {node_id}",
            lambda: self._cursor.execute(rows.UPSERT_NODE, params),
        )
        self._staged[node_id] = entry

    def claim_expired(
        self, now: datetime, limit: int, partition: ModelPartition
    ) -> list[ModelRegistrationProjection]:
        """Up to ``limit`` ACTIVE nodes of ``partition`` with ``liveness_deadline < now``."""
        require_aware(now, "StoreRegistrationSqlite.claim_expired(now)")
        if limit <= 0:
            return []
        if partition.count == 1:
            cursor = self._cursor.execute(rows.CLAIM_EXPIRED, (to_db_micros(now), limit))
        else:
            cursor = self._cursor.execute(
                rows.CLAIM_EXPIRED_PARTITION,
                (to_db_micros(now), partition.count, partition.index, limit),
            )
        return [rows.node_from_row(row) for row in cursor.fetchall()]

    # --- per-node and per-partition memories ---------------------------------------------------
    def get_introspection_requested_at(self, node_id: UUID) -> datetime | None:
        """When introspection was last requested from ``node_id``."""
        row = self._cursor.execute(_GET_REQUESTED, (str(node_id),)).fetchone()
        return None if row is None else from_db_micros(row[0])

    def set_introspection_requested_at(self, node_id: UUID, requested_at: datetime) -> None:
        """Remember when introspection was requested from ``node_id``."""
        require_aware(
            requested_at, "StoreRegistrationSqlite.set_introspection_requested_at(requested_at)"
        )
        checks.check_instant(
            "StoreRegistrationSqlite.set_introspection_requested_at", "requested_at", requested_at
        )
        self._cursor.execute(_SET_REQUESTED, (str(node_id), to_db_micros(requested_at)))

    def get_tick_clock(self, partition_key: str) -> datetime | None:
        """The ``now`` of the partition's newest applied tick."""
        row = self._cursor.execute(_GET_TICK, (partition_key,)).fetchone()
        return None if row is None else from_db_micros(row[0])

    def set_tick_clock(self, partition_key: str, now: datetime) -> None:
        """Record ``now`` as the partition's newest applied tick."""
        require_aware(now, "StoreRegistrationSqlite.set_tick_clock(now)")
        checks.check_instant("StoreRegistrationSqlite.set_tick_clock", "the tick clock", now)
        checks.check_text(
            "StoreRegistrationSqlite.set_tick_clock", "the partition key", partition_key
        )
        self._cursor.execute(_SET_TICK, (partition_key, to_db_micros(now)))

    # --- keyed JSON records ---------------------------------------------------------------------
    def get_record(self, kind: str, key: str) -> dict[str, Any] | None:
        """The document under ``(kind, key)``, or ``None``."""
        row = self._cursor.execute(_GET_RECORD, (kind, key)).fetchone()
        if row is None:
            return None
        document: dict[str, Any] = json.loads(row[0])
        return document

    def put_record(self, kind: str, key: str, document: Mapping[str, Any]) -> None:
        """Insert or replace the document under ``(kind, key)``, as canonical JSON text."""
        text = checks.check_record("StoreRegistrationSqlite.put_record", kind, key, document)
        self._cursor.execute(_PUT_RECORD, (kind, key, text))

    # --- outputs -------------------------------------------------------------------------------
    def append_events(self, events: Sequence[ModelLifecycleEvent]) -> None:
        """Append ``events`` to the outbox in order (one ``executemany``)."""
        if events:
            checks.check_events("StoreRegistrationSqlite.append_events", list(events))
            self._writing(
                "append_events",
                "the events",
                lambda: self._cursor.executemany(
                    rows.INSERT_EVENT, [rows.event_params(e) for e in events]
                ),
            )

    def add_dead_letter(self, dead_letter: ModelDeadLetter) -> None:
        """Keep ``dead_letter``; a second add of the same ``dead_letter_id`` writes nothing."""
        checks.check_dead_letter("StoreRegistrationSqlite.add_dead_letter", dead_letter)
        self._writing(
            "add_dead_letter",
            f"dead letter {dead_letter.dead_letter_id}",
            lambda: self._cursor.execute(
                rows.INSERT_DEAD_LETTER, rows.dead_letter_params(dead_letter)
            ),
        )
