"""One open transaction of the SQLite registration store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any, NoReturn
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
_ABSENT: Any = object()  # an overlay key that had no entry
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


class _FinishedWrites:
    """Stands in for the kept writes once the transaction has ended: a late write fails
    clearly instead of being kept for a flush that never comes."""

    def __setitem__(self, _key: Any, _value: Any) -> NoReturn:
        _FinishedCursor().execute()

    def append(self, _value: Any) -> NoReturn:
        _FinishedCursor().execute()

    def extend(self, _values: Any) -> NoReturn:
        _FinishedCursor().execute()

    def __bool__(self) -> bool:
        return False


_FINISHED_WRITES: Any = _FinishedWrites()


class StoreRegistrationSqliteTransaction:
    """A ``BEGIN IMMEDIATE`` transaction on the store's connection (it holds the write lock).

    The writes of the busy tables (node rows, inbox records, outbox events, dead letters) are
    kept in the transaction and sent with one ``executemany`` per table (:meth:`flush`) before
    anything could read them through SQL: before a claim (which reads node rows), at the start
    and at the end of a savepoint (so a rollback removes the block's writes only, and a value
    SQLite refuses is refused inside the message that wrote it) and before commit. Reads of
    those tables see the transaction's own writes through its overlay: the node rows written
    here (staged as models, handed to the store's cache on commit, dropped on rollback) and
    the inbox outcomes read or recorded here. Every other statement runs at once on one reused
    cursor (statements are prepared once and cached by the connection). Committed node rows are
    read from the store's cache of models, which the store empties when another connection has
    committed since (``PRAGMA data_version``). SQLite locks the whole database for a writer, so
    nothing another process writes can change what this transaction read, every row read here
    is locked until commit and :meth:`claim_expired` never meets a row locked by someone else.
    """

    def __init__(self, connection: sqlite3.Connection, cache: dict[int, rows.CachedNode]) -> None:
        self._cursor: sqlite3.Cursor | _FinishedCursor = connection.cursor()
        self._cache = cache
        #: Node rows written here, by ``node_id.int`` (an ``int`` hashes in C, a UUID in Python).
        self._staged: dict[int, rows.CachedNode] = {}
        #: Inbox outcomes read or recorded here, by ``envelope_id.int``: the outcome (``None``:
        #: none recorded) and the envelope id as stored.
        self._outcomes: dict[int, tuple[EnumMessageOutcome | None, str]] = {}
        self._pending_nodes: dict[int, tuple[Any, ...]] = {}
        self._pending_inbox: list[tuple[Any, ...]] = []
        self._pending_events: list[tuple[Any, ...]] = []
        self._pending_dead: list[tuple[Any, ...]] = []
        #: While a savepoint is open: how to undo its overlay changes (mapping, key, old value).
        self._undo: list[tuple[dict[int, Any], int, Any]] | None = None
        self._failure: ModelStoreDataError | None = None
        self._processed_at: datetime | None = None  # the last checked ``processed_at`` ...
        self._processed_micros = 0  # ... and its stored form

    def publish_to_cache(self) -> None:
        """After a commit: the rows this transaction wrote become the cache's committed rows."""
        self._cache.update(self._staged)

    def finish(self) -> None:
        """Make any later use of this transaction raise ``INVALID_STATE``."""
        self._cursor = _FinishedCursor()
        self._staged = {}
        self._outcomes = {}
        self._pending_nodes = self._pending_inbox = _FINISHED_WRITES
        self._pending_events = self._pending_dead = _FINISHED_WRITES

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
        write made in it is rolled back (rows, events, inbox records, dead letters, and the
        overlay of staged node rows and recorded outcomes) and the error propagates; the
        transaction stays usable. The block's writes are sent before it ends, so a value SQLite
        refuses is refused inside it. Any other error propagates as is, the block's writes
        kept with the enclosing savepoint or transaction (which then rolls back)."""
        self.flush()  # earlier writes are not the block's: its rollback must keep them
        self._cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
        outer, self._undo = self._undo, []
        try:
            yield
            self.flush()
        except ModelStoreDataError:
            self._cursor.execute(f"ROLLBACK TO {_SAVEPOINT}")
            self._cursor.execute(f"RELEASE {_SAVEPOINT}")
            for mapping, key, old in reversed(self._undo):
                if old is _ABSENT:
                    del mapping[key]
                else:
                    mapping[key] = old
            self._undo = outer
            self._clear_pending()
            self._failure = None
            raise
        except BaseException:
            # Not a refused value: the block's writes stay with the enclosing savepoint or
            # transaction, which that error rolls back as a whole. Released, so that a
            # rollback of an enclosing savepoint (a caller catching the error there) reaches
            # back past this one.
            with suppress(sqlite3.Error):
                self._cursor.execute(f"RELEASE {_SAVEPOINT}")
            self._close_undo(outer)
            raise
        self._cursor.execute(f"RELEASE {_SAVEPOINT}")
        self._close_undo(outer)

    def _close_undo(self, outer: list[tuple[dict[int, Any], int, Any]] | None) -> None:
        """End a savepoint's undo log: an enclosing savepoint's rollback undoes it too."""
        if outer is not None and self._undo:
            outer.extend(self._undo)
        self._undo = outer

    # --- sending the kept writes ---------------------------------------------------------------
    def flush(self) -> None:
        """Send the kept writes, one ``executemany`` per table, in the order they were made.

        Raises ``ModelStoreDataError`` naming the first value SQLite cannot hold, with the
        message the write itself would have raised; the transaction is then unusable (every
        later flush, and so the commit, raises it again) unless a savepoint rolls it back.
        """
        if self._failure is not None:
            raise self._failure
        if self._pending_nodes:
            self._send("upsert_node", rows.UPSERT_NODE, list(self._pending_nodes.values()))
            self._pending_nodes.clear()
        if self._pending_inbox:
            self._send("record_outcome", _RECORD_OUTCOME, self._pending_inbox)
            self._pending_inbox = []
        if self._pending_dead:
            self._send("add_dead_letter", rows.INSERT_DEAD_LETTER, self._pending_dead)
            self._pending_dead = []
        if self._pending_events:
            self._send("append_events", rows.INSERT_EVENT, self._pending_events)
            self._pending_events = []

    def _send(self, method: str, sql: str, params: list[tuple[Any, ...]]) -> None:
        try:
            self._cursor.executemany(sql, params)
        except _DATA_ERRORS as exc:
            self._clear_pending()
            self._failure = self._refusal(method, params, exc)
            raise self._failure from exc

    def _refusal(
        self, method: str, params: list[tuple[Any, ...]], exc: Exception
    ) -> ModelStoreDataError:
        """The error of the first row of ``params`` SQLite cannot bind (found by binding each
        row alone in a statement that writes nothing), named as its write names it."""
        probe = f"SELECT {', '.join('?' * len(params[0]))}"
        for row in params:
            try:
                self._cursor.execute(probe, row)
            except _DATA_ERRORS as row_exc:
                return checks.refuse(
                    f"StoreRegistrationSqlite.{method}", _named(method, row), str(row_exc)
                )
        return checks.refuse(
            f"StoreRegistrationSqlite.{method}", _named(method, params[0]), str(exc)
        )

    def _clear_pending(self) -> None:
        self._pending_nodes.clear()
        self._pending_inbox = []
        self._pending_events = []
        self._pending_dead = []

    # --- inbox ---------------------------------------------------------------------------------
    def get_outcome(self, envelope_id: UUID) -> EnumMessageOutcome | None:
        """The recorded outcome of ``envelope_id`` (recorded here or committed) or ``None``."""
        known = self._outcomes.get(envelope_id.int)
        if known is not None:
            return known[0]
        stored = str(envelope_id)
        row = self._cursor.execute(_GET_OUTCOME, (stored,)).fetchone()
        outcome = None if row is None else EnumMessageOutcome(row[0])
        self._outcomes[envelope_id.int] = (outcome, stored)  # a read: true after any rollback
        return outcome

    def record_outcome(
        self,
        envelope_id: UUID,
        outcome: EnumMessageOutcome,
        reason: str | None,
        processed_at: datetime,
    ) -> bool:
        """Record the outcome (sent with the transaction's other writes); ``False`` when
        ``envelope_id`` already had one."""
        if processed_at is not self._processed_at:  # one instant per batch: checked once
            require_aware(processed_at, "StoreRegistrationSqlite.record_outcome(processed_at)")
            checks.check_text("StoreRegistrationSqlite.record_outcome", "the reason", reason)
            checks.check_instant(
                "StoreRegistrationSqlite.record_outcome", "processed_at", processed_at
            )
            self._processed_micros = to_db_micros(processed_at)
            self._processed_at = processed_at
        elif reason is not None:
            checks.check_text("StoreRegistrationSqlite.record_outcome", "the reason", reason)
        if type(outcome) is not EnumMessageOutcome:
            outcome = EnumMessageOutcome(outcome)
        key = envelope_id.int
        known = self._outcomes.get(key)
        if known is None:
            self.get_outcome(envelope_id)
            known = self._outcomes[key]
        if known[0] is not None:
            return False
        stored = known[1]
        self._pending_inbox.append((stored, outcome._value_, reason, self._processed_micros))
        if self._undo is not None:
            self._undo.append((self._outcomes, key, known))
        self._outcomes[key] = (outcome, stored)
        return True

    # --- nodes ---------------------------------------------------------------------------------
    def get_node(self, node_id: UUID) -> ModelRegistrationProjection | None:
        """The node's row or ``None``: this transaction's write, else the committed row (from
        the store's cache when it holds it, else read and cached)."""
        key = node_id.int
        entry = self._staged.get(key) or self._cache.get(key)
        if entry is None:
            row = self._cursor.execute(rows.SELECT_NODE, (str(node_id),)).fetchone()
            if row is None:
                return None
            entry = rows.cached_node_from_row(row)
            self._cache[key] = entry
        return entry.projection

    def upsert_node(self, projection: ModelRegistrationProjection) -> None:
        """Insert or replace the node's row (sent with the transaction's other writes)."""
        node_id = projection.node_id
        key = node_id.int
        previous = self._staged.get(key) or self._cache.get(key)
        checks.check_projection(
            "StoreRegistrationSqlite.upsert_node",
            projection,
            None if previous is None else previous.projection,
        )
        try:
            entry = rows.cached_node(projection, previous)
        except _DATA_ERRORS as exc:
            raise checks.refuse(
                "StoreRegistrationSqlite.upsert_node", f"the row of node {node_id}", str(exc)
            ) from exc
        self._pending_nodes[key] = entry.params
        if self._undo is not None:
            self._undo.append((self._staged, key, self._staged.get(key, _ABSENT)))
        self._staged[key] = entry

    def claim_expired(
        self, now: datetime, limit: int, partition: ModelPartition
    ) -> list[ModelRegistrationProjection]:
        """Up to ``limit`` ACTIVE nodes of ``partition`` with ``liveness_deadline < now``."""
        require_aware(now, "StoreRegistrationSqlite.claim_expired(now)")
        if limit <= 0:
            return []
        self.flush()  # the claim reads node rows: they must include this transaction's
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
        """Append ``events`` to the outbox in order (sent with the transaction's other writes)."""
        if events:
            checks.check_events("StoreRegistrationSqlite.append_events", list(events))
            try:
                params = [rows.event_params(e) for e in events]
            except _DATA_ERRORS as exc:
                raise checks.refuse(
                    "StoreRegistrationSqlite.append_events", "the events", str(exc)
                ) from exc
            self._pending_events.extend(params)

    def add_dead_letter(self, dead_letter: ModelDeadLetter) -> None:
        """Keep ``dead_letter``; a second add of the same ``dead_letter_id`` writes nothing."""
        checks.check_dead_letter("StoreRegistrationSqlite.add_dead_letter", dead_letter)
        try:
            params = rows.dead_letter_params(dead_letter)
        except _DATA_ERRORS as exc:
            raise checks.refuse(
                "StoreRegistrationSqlite.add_dead_letter",
                f"dead letter {dead_letter.dead_letter_id}",
                str(exc),
            ) from exc
        self._pending_dead.append(params)


def _named(method: str, row: tuple[Any, ...]) -> str:
    """How the write ``method`` names the value it writes as ``row`` (whose first value is the
    stored id), in its refusal."""
    if method == "upsert_node":
        return f"the row of node {row[0]}"
    if method == "record_outcome":
        return f"the outcome of {row[0]}"
    if method == "add_dead_letter":
        return f"dead letter {row[0]}"
    return "the events"
