"""The SQLite registration store (``sqlite:///relative.db``, ``sqlite:////abs/path.db``)."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, cast
from urllib.parse import parse_qsl

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.enums import EnumMessageOutcome, EnumRegistrationState
from omnibase_infra.models import (
    ModelDeadLetter,
    ModelLifecycleEvent,
    ModelRegistrationProjection,
)
from omnibase_infra.stores import lease_checks
from omnibase_infra.stores import sqlite_rows as rows
from omnibase_infra.stores.migrations.migrations_sqlite import MIGRATIONS
from omnibase_infra.stores.protocol_registration_transaction import (
    ProtocolRegistrationTransaction,
)
from omnibase_infra.stores.store_partition_leases_sqlite import (
    StorePartitionLeasesSqlite,
    lock_serve_file,
)
from omnibase_infra.stores.store_registration_sqlite_transaction import (
    StoreRegistrationSqliteTransaction,
)
from omnibase_infra.stores.store_transaction_slot import StoreTransactionSlot
from omnibase_infra.stores.timestamps import to_db_micros
from omnibase_infra.utils.url_masking import mask_url

_MEMORY = ":memory:"
_URL_FORMS = "sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite:///:memory:"
_SYNCHRONOUS = ("normal", "full")
_EVENT_PAGE = 1000
_NODE_CACHE_LIMIT = 200_000
_WAL_RETRY_PAUSE_MAX = 0.05


def _switch_to_wal(connection: sqlite3.Connection, timeout: float) -> str:
    """Put the database in WAL mode, waiting up to ``timeout`` seconds for other connections.

    Switching a new file to WAL upgrades a read lock to a write lock, and SQLite answers such an
    upgrade with ``SQLITE_BUSY`` at once, without calling the busy handler (a reader waiting for
    a writer could deadlock). Connections opening a new file together would then fail at once;
    instead each retries, with short randomised pauses, until ``timeout``. Returns the journal
    mode SQLite reports; raises the last ``sqlite3.OperationalError`` when the database stays
    busy past the timeout, and any other error at once.
    """
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            return str(connection.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            remaining = deadline - time.monotonic()
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or remaining <= 0:
                raise
        time.sleep(min(remaining, pause * random.uniform(0.5, 1.5)))
        pause = min(pause * 2, _WAL_RETRY_PAUSE_MAX)


class StoreRegistrationSqlite:
    """A registration store in one SQLite file: the embedded default.

    Durability: the file is in WAL mode and every transaction starts with ``BEGIN IMMEDIATE``
    (it takes the database's write lock at once, so two processes never interleave and a busy
    database is waited for up to ``busy_timeout``). ``synchronous=NORMAL`` (the default, or
    ``?synchronous=full`` in the URL): in WAL mode a commit is in the WAL file, in the operating
    system's cache, before ``COMMIT`` returns, so a killed process loses nothing it committed;
    only a power cut or kernel crash can lose the last commits (never corrupting the file), and
    ``full`` closes that window too at the price of an fsync per commit.

    Threads: one write connection, used by one transaction at a time (a lock serialises
    transactions). Committed node rows read or written by transactions are cached as models
    (up to 200,000), and the cache is emptied at the start of a transaction whenever another
    connection (another process or store) has committed since this one last did. Read methods
    use a second connection that sees committed data only, so they do not wait for a running
    transaction (for ``:memory:`` there is one connection and reads wait). The schema is
    migrated on open (see :meth:`migrate`).
    """

    def __init__(self, url: str, *, busy_timeout_seconds: float = 30.0) -> None:
        """Open (creating if needed) and migrate the database at ``url``.

        Raises ``ModelOnexError(CONFIGURATION_ERROR)`` for a malformed URL, a missing folder, a
        file that is not a registration database or a location that cannot be written, and
        ``ModelOnexError(INVALID_STATE)`` for a database made by a newer version of this code.
        """
        self._url = url.strip()
        self._path, synchronous = self.parse_url(self._url)
        self._timeout = busy_timeout_seconds
        self._transactions: StoreTransactionSlot[StoreRegistrationSqliteTransaction] = (
            StoreTransactionSlot("StoreRegistrationSqlite", self._url)
        )
        self._closed = False
        self._write_lock = threading.RLock()
        self._write: sqlite3.Connection | None = None
        self._read: sqlite3.Connection | None = None
        self._read_lock = self._write_lock
        self._node_cache: dict[int, rows.CachedNode] = {}  # by node_id.int
        self._serving = threading.Lock()  # held while a lease manager of :memory: is open
        self._data_version = -1
        if self._path != _MEMORY:
            self._check_folder()
        try:
            self._write = self._connect(synchronous)
            self.migrate()
            if self._path == _MEMORY:
                self._read, self._read_lock = self._write, self._write_lock
            else:
                self._read, self._read_lock = self._connect(synchronous), threading.RLock()
                self._read.execute("PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            self.close()
            self._raise_open_error(exc)
        except BaseException:
            self.close()
            raise

    # --- URL and opening --------------------------------------------------------------------------
    @staticmethod
    def parse_url(url: str) -> tuple[str, str]:
        """``(path, synchronous)`` of a ``sqlite:///`` URL; ``CONFIGURATION_ERROR`` if malformed.

        ``sqlite:///a.db`` is ``a.db`` relative to the current folder, ``sqlite:////a.db`` is
        ``/a.db``; the only query option is ``synchronous=normal|full``.
        """
        scheme, sep, rest = url.partition("://")
        rest, _q, query = rest.partition("?")
        path = rest[1:]
        if scheme.lower() != "sqlite" or not sep or not rest.startswith("/") or not path:
            raise ModelOnexError(
                f"store URL {mask_url(url)!r} is not a SQLite URL; use {_URL_FORMS}",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                {"store_url": mask_url(url)},
            )
        options = dict(parse_qsl(query, keep_blank_values=True))
        synchronous = options.pop("synchronous", "normal").lower()
        if options or synchronous not in _SYNCHRONOUS:
            raise ModelOnexError(
                f"store URL {mask_url(url)!r}: the only SQLite option is synchronous=normal or "
                f"synchronous=full (got {query!r}); use {_URL_FORMS}",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                {"store_url": mask_url(url)},
            )
        return path, synchronous

    def _check_folder(self) -> None:
        folder = Path(self._path).parent
        if not folder.is_dir():
            raise ModelOnexError(
                f"SQLite store {self._path!r}: the folder {str(folder)!r} does not exist; "
                "create it or choose a path in an existing folder",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                {"store_url": self._url, "path": self._path},
            )
        if Path(self._path).is_dir():
            raise ModelOnexError(
                f"SQLite store {self._path!r} is a folder, not a file; add a file name "
                "(e.g. sqlite:///registration.db)",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                {"store_url": self._url, "path": self._path},
            )

    def _connect(self, synchronous: str) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self._path,
            timeout=self._timeout,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=64,
        )
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            if self._path != _MEMORY:
                mode = _switch_to_wal(connection, self._timeout)
                if str(mode).lower() != "wal":
                    raise sqlite3.OperationalError(f"could not switch to WAL (mode {mode})")
            connection.execute(f"PRAGMA synchronous = {synchronous.upper()}")
        except BaseException:
            connection.close()
            raise
        return connection

    def _raise_open_error(self, exc: sqlite3.Error) -> NoReturn:
        text = str(exc)
        lowered = text.lower()
        if "not a database" in lowered or "malformed" in lowered:
            hint = "is not a SQLite database; point the URL at a registration database or at a "
            hint += "new file name"
        elif "readonly" in lowered or "read-only" in lowered:
            hint = "cannot be written (read-only file or folder); fix its permissions or choose "
            hint += "a writable location"
        elif "unable to open" in lowered:
            hint = "cannot be opened; check that its folder exists and is writable"
        elif "locked" in lowered or "busy" in lowered:
            hint = (
                f"stayed locked by another process for {self._timeout:g} s; stop the other "
                "process or retry"
            )
        else:
            hint = f"cannot be used ({text}); check the file or choose another path"
        raise ModelOnexError(
            f"SQLite store {self._path!r} {hint}",
            EnumCoreErrorCode.CONFIGURATION_ERROR,
            {"store_url": self._url, "path": self._path, "sqlite_error": text},
        ) from None

    # --- protocol ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The store URL as given, with any password masked (a SQLite URL has none)."""
        return mask_url(self._url)

    def migrate(self) -> int:
        """Apply missing schema steps in one ``BEGIN IMMEDIATE`` transaction; return the version.

        Two processes opening a new file at once are serialised by the write lock: the second
        finds the steps applied. Raises ``ModelOnexError(INVALID_STATE)`` when the file's version
        is newer than this code knows, ``CONFIGURATION_ERROR`` when the file belongs to another
        application (tables but no ``schema_version``).
        """
        connection = self._connection("migrate")
        latest = MIGRATIONS[-1][0]
        with self._write_lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                current = self._current_version(connection)
                if current > latest:
                    raise ModelOnexError(
                        f"SQLite store {self._path!r} has schema version {current}, newer than "
                        f"the newest this omnibase-infra knows ({latest}); upgrade "
                        "omnibase-infra or use another database file",
                        EnumCoreErrorCode.INVALID_STATE,
                        {"store_url": self._url, "schema_version": current, "known": latest},
                    )
                for version, script in MIGRATIONS:
                    if version > current:
                        for statement in _statements(script):
                            connection.execute(statement)
                        connection.execute(
                            "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                            (version, datetime.now(UTC).isoformat(timespec="microseconds")),
                        )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return max(current, latest)

    def _current_version(self, connection: sqlite3.Connection) -> int:
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if "schema_version" not in tables:
            if tables:
                raise ModelOnexError(
                    f"SQLite store {self._path!r} is a SQLite database of another application "
                    f"(tables {', '.join(sorted(tables))}, no schema_version); choose a new "
                    "file name for the registration store",
                    EnumCoreErrorCode.CONFIGURATION_ERROR,
                    {"store_url": self._url, "path": self._path},
                )
            connection.execute(
                "CREATE TABLE schema_version "
                "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            return 0
        row = connection.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    @contextmanager
    def transaction(self) -> Iterator[ProtocolRegistrationTransaction]:
        """A ``BEGIN IMMEDIATE`` transaction: committed on normal exit, rolled back on an error.

        Raises ``ModelOnexError(INVALID_STATE)`` when this thread already has one open on this
        store (they do not nest) or the store is closed; a SQLite failure (disk full, database
        locked beyond the busy timeout) rolls back and is raised as ``ModelOnexError``.
        """
        connection = self._connection("transaction")
        self._transactions.require_none_open()
        with self._write_lock:
            try:
                connection.execute("BEGIN IMMEDIATE")
                data_version = connection.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error as exc:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                self._raise_runtime_error("transaction", exc)
            if data_version != self._data_version or len(self._node_cache) > _NODE_CACHE_LIMIT:
                self._node_cache.clear()  # another connection committed: cached rows may be old
                self._data_version = data_version
            txn = StoreRegistrationSqliteTransaction(connection, self._node_cache)
            with self._transactions.holding(txn):
                try:
                    yield txn
                    txn.flush()
                    connection.execute("COMMIT")
                    txn.publish_to_cache()
                except BaseException as exc:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    if isinstance(exc, sqlite3.Error):
                        self._raise_runtime_error("transaction", exc)
                    raise
                finally:
                    txn.finish()

    # --- leases and the relay cursor ------------------------------------------------------------
    def open_leases(self, owner: str) -> StorePartitionLeasesSqlite:
        """The one lease manager of this database: takes ``<database>.serve-lock`` (an
        exclusive ``flock``, released by its ``close`` or the process's death).

        Raises ``ModelOnexError(CONFIGURATION_ERROR)`` naming the lock file and its holder when
        another process (or another open manager) serves this database: SQLite allows one
        serve process; ``VALIDATION_ERROR`` for a blank owner; ``INVALID_STATE`` once closed.
        """
        owner = lease_checks.check_name("StoreRegistrationSqlite.open_leases", owner, "owner")
        self._connection("open_leases")
        if self._path == _MEMORY:
            if not self._serving.acquire(blocking=False):
                raise ModelOnexError(
                    "StoreRegistrationSqlite.open_leases: this in-memory SQLite store already "
                    "has an open lease manager; close it first (one serve process per store)",
                    EnumCoreErrorCode.CONFIGURATION_ERROR,
                    {"store_url": self._url},
                )
            return StorePartitionLeasesSqlite(owner, self._bump_lease, self._serving.release)
        fd = lock_serve_file(self._path, owner)
        return StorePartitionLeasesSqlite(owner, self._bump_lease, lambda: os.close(fd))

    def _bump_lease(self, name: str, owner: str) -> int:
        with self.transaction() as txn:
            now = to_db_micros(datetime.now(UTC))
            return cast(StoreRegistrationSqliteTransaction, txn).bump_lease(name, owner, now)

    def relay_cursor(self, name: str) -> int:
        """The last sequence relay ``name`` published (``0``: none)."""
        lease_checks.check_name("StoreRegistrationSqlite.relay_cursor", name)
        found = self._read_all(
            "relay_cursor", "SELECT sequence FROM relay_cursors WHERE name = ?", (name,)
        )
        return int(found[0][0]) if found else 0

    def advance_relay_cursor(self, name: str, sequence: int, token: int) -> None:
        """Move relay ``name``'s cursor to ``sequence`` in one transaction fenced by lease
        ``name`` and ``token``: ``ModelLeaseLostError`` (nothing moved) when the token moved
        on, ``INVALID_STATE`` when ``sequence`` is below the cursor."""
        where = "StoreRegistrationSqlite.advance_relay_cursor"
        lease_checks.check_name(where, name)
        lease_checks.check_whole(where, sequence, "sequence", 0)
        lease_checks.check_whole(where, token, "token", 1)
        with self.transaction() as txn:
            txn.check_lease(name, token)
            cast(StoreRegistrationSqliteTransaction, txn).set_relay_cursor(name, sequence)

    def list_nodes(
        self, state: EnumRegistrationState | None = None
    ) -> list[ModelRegistrationProjection]:
        """Committed registry rows ordered by node name then id, optionally only in ``state``."""
        if state is None:
            found = self._read_all("list_nodes", rows.LIST_NODES, ())
        else:
            state = EnumRegistrationState(state)
            found = self._read_all("list_nodes", rows.LIST_NODES_IN_STATE, (state.value,))
        return [rows.node_from_row(row) for row in found]

    def iter_events(self, after_sequence: int = 0) -> Iterator[ModelLifecycleEvent]:
        """Committed events after ``after_sequence`` in commit order, read in pages."""
        last = after_sequence
        while True:
            page = self._read_all("iter_events", rows.SELECT_EVENTS, (last, _EVENT_PAGE))
            for row in page:
                yield rows.event_from_row(row)
            if len(page) < _EVENT_PAGE:
                return
            last = page[-1][0]

    def last_sequence(self) -> int:
        """The sequence of the newest committed event (``0`` when there is none)."""
        found = self._read_all("last_sequence", "SELECT coalesce(max(sequence), 0) FROM outbox", ())
        return int(found[0][0])

    def list_dead_letters(self) -> list[ModelDeadLetter]:
        """Committed dead letters in the order they were recorded."""
        found = self._read_all("list_dead_letters", rows.SELECT_DEAD_LETTERS, ())
        return [rows.dead_letter_from_row(row) for row in found]

    def list_records(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """Committed records of ``kind`` as ``(key, document)``, ordered by key."""
        found = self._read_all(
            "list_records", "SELECT key, document FROM records WHERE kind = ? ORDER BY key", (kind,)
        )
        return [(key, json.loads(text)) for key, text in found]

    def count_outcomes(self) -> dict[EnumMessageOutcome, int]:
        """Inbox records by outcome plus dead letters without an envelope id (all keys present)."""
        found = self._read_all(
            "count_outcomes",
            "SELECT outcome, count(*) FROM inbox GROUP BY outcome UNION ALL "
            "SELECT 'dead_lettered', count(*) FROM dead_letters WHERE envelope_id IS NULL",
            (),
        )
        counts = dict.fromkeys(EnumMessageOutcome, 0)
        for outcome, count in found:
            counts[EnumMessageOutcome(outcome)] += count
        return counts

    def count_ignored_by_reason(self) -> dict[str, int]:
        """Ignored inbox records by reason code (the text before the first ``:``)."""
        found = self._read_all(
            "count_ignored_by_reason",
            "SELECT CASE WHEN instr(reason, ':') > 0 THEN substr(reason, 1, instr(reason, ':') - 1)"
            " ELSE coalesce(reason, '') END AS code, count(*) FROM inbox "
            "WHERE outcome = 'ignored' GROUP BY code",
            (),
        )
        return {str(code): int(count) for code, count in found}

    def close(self) -> None:
        """Close the connections; later calls raise ``INVALID_STATE``. Idempotent."""
        self._closed = True
        with self._write_lock:
            for connection in {id(c): c for c in (self._read, self._write) if c}.values():
                connection.close()
            self._read = self._write = None

    # --- helpers ----------------------------------------------------------------------------------
    def _connection(self, method: str) -> sqlite3.Connection:
        if self._closed or self._write is None:
            raise ModelOnexError(
                f"StoreRegistrationSqlite.{method}: the store {self._path!r} is closed; "
                "open a new one",
                EnumCoreErrorCode.INVALID_STATE,
                {"store_url": self._url},
            )
        return self._write

    def _read_all(self, method: str, sql: str, params: tuple[Any, ...]) -> list[Any]:
        self._connection(method)
        with self._read_lock:
            if self._read is None:
                self._connection(method)
            assert self._read is not None
            try:
                return self._read.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                self._raise_runtime_error(method, exc)

    def _raise_runtime_error(self, method: str, exc: sqlite3.Error) -> NoReturn:
        raise ModelOnexError(
            f"StoreRegistrationSqlite.{method}: SQLite failed on {self._path!r}: {exc}; check "
            "the disk space, the file's permissions and other processes holding the database",
            EnumCoreErrorCode.INVALID_STATE,
            {"store_url": self._url, "path": self._path, "sqlite_error": str(exc)},
        ) from exc


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into complete statements."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()
