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

The transaction lives in ``store_registration_postgres_transaction``, the statements and row
conversions in ``postgres_rows``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import errors as pg_errors

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.enums import EnumMessageOutcome, EnumRegistrationState
from omnibase_infra.models import (
    ModelDeadLetter,
    ModelLifecycleEvent,
    ModelRegistrationProjection,
)
from omnibase_infra.stores import lease_checks, postgres_arrays
from omnibase_infra.stores import postgres_rows as rows
from omnibase_infra.stores.migrations.migrations_postgres import MIGRATIONS
from omnibase_infra.stores.model_store_data_error import ModelStoreDataError
from omnibase_infra.stores.model_store_unavailable_error import ModelStoreUnavailableError
from omnibase_infra.stores.protocol_registration_transaction import (
    ProtocolRegistrationTransaction,
)
from omnibase_infra.stores.store_partition_leases_postgres import StorePartitionLeasesPostgres
from omnibase_infra.stores.store_registration_postgres_transaction import (
    StoreRegistrationPostgresTransaction,
)
from omnibase_infra.stores.store_transaction_slot import StoreTransactionSlot
from omnibase_infra.utils.url_masking import mask_url

_EVENT_PAGE = 5000
#: Client-side TCP keepalives of a lease session: a silent peer is given up after about 5 s.
_SESSION_KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 2,
    "keepalives_interval": 1,
    "keepalives_count": 3,
    "tcp_user_timeout": 5000,
}
#: The same on the server's side, so it drops the locks of a client that vanished.
_SERVER_KEEPALIVES = (
    "SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1; "
    "SET tcp_keepalives_count = 3; SET tcp_user_timeout = 5000"
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
        self._transactions: StoreTransactionSlot[StoreRegistrationPostgresTransaction] = (
            StoreTransactionSlot("StoreRegistrationPostgres", self.url)
        )
        self._connections: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        self._schema_version: int | None = None
        self._node_memo: rows.NodeMemo = {}
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
        postgres_arrays.register(conn)
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

    def connect_session(self, application_name: str) -> psycopg.Connection[Any]:
        """A dedicated autocommit connection (not a thread's) with TCP keepalives and
        ``tcp_user_timeout`` on both ends, so a dead peer is noticed within seconds; closed
        with the store. Raises ``ModelStoreUnavailableError`` when the database is unreachable.
        """
        self._check_open("connect_session")
        try:
            conn = psycopg.connect(
                self._endpoint.conninfo,
                autocommit=True,
                connect_timeout=self._connect_timeout,
                application_name=application_name[:63],
                **_SESSION_KEEPALIVES,
            )
        except psycopg.Error as exc:
            raise self._unreachable(exc) from None
        try:
            conn.execute("SET TIME ZONE 'UTC'")
            conn.execute(_SERVER_KEEPALIVES)
        except psycopg.Error as exc:
            conn.close()
            raise self.translate_error("StoreRegistrationPostgres.connect_session", exc) from None
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
        shutdown, deadlock, serialization failure, a session the server ended because its
        transaction idled too long) become a retryable ``ModelStoreUnavailableError``;
        anything else a ``ModelOnexError(INVALID_STATE)``."""
        cause = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        context = {"store_url": self.url, "sqlstate": exc.sqlstate, "cause": cause}
        if isinstance(exc, psycopg.DataError):
            return ModelStoreDataError(
                f"{where}: PostgreSQL at {self._endpoint.address} cannot hold a value of the "
                f"message (SQLSTATE {exc.sqlstate}: {cause})",
                EnumCoreErrorCode.VALIDATION_ERROR,
                context,
            )
        if isinstance(exc, psycopg.OperationalError | pg_errors.IdleInTransactionSessionTimeout):
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
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (rows.MIGRATION_LOCK,))
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
        with self._transactions.holding(
            StoreRegistrationPostgresTransaction(self, conn, self._node_memo)
        ) as txn:
            try:
                yield txn
                if txn.failure is not None:
                    raise txn.failure
                txn.flush(final=True)
                try:
                    conn.commit()
                except psycopg.Error as exc:
                    txn.fail("commit", exc)
            except BaseException:
                self._rollback_quietly(conn)
                raise

    def _rollback_quietly(self, conn: psycopg.Connection[Any]) -> None:
        with suppress(psycopg.Error):
            conn.rollback()
        if conn.broken or conn.closed:
            self._discard(conn)

    # --- leases and the relay cursor ------------------------------------------------------------
    def open_leases(
        self, owner: str, *, lock_timeout_seconds: float = 30.0
    ) -> StorePartitionLeasesPostgres:
        """This process's lease manager: its own lease session (see
        :class:`StorePartitionLeasesPostgres`); any number of processes may open one. A token
        bump that waits more than ``lock_timeout_seconds`` on a batch in flight gives the lease
        up for now. Raises ``VALIDATION_ERROR`` for a blank owner, ``INVALID_STATE`` once
        closed, ``ModelStoreUnavailableError`` when the database cannot be reached."""
        owner = lease_checks.check_name("StoreRegistrationPostgres.open_leases", owner, "owner")
        self._ensure_migrated()
        return StorePartitionLeasesPostgres(
            lambda: self.connect_session(f"onex-leases {owner}"),
            self.translate_error,
            owner,
            lock_timeout_seconds=lock_timeout_seconds,
        )

    def relay_cursor(self, name: str) -> int:
        """The last sequence relay ``name`` published (``0``: none)."""
        lease_checks.check_name("StoreRegistrationPostgres.relay_cursor", name)
        found = self._read(
            "relay_cursor", "SELECT sequence FROM relay_cursors WHERE name = %s", (name,)
        )
        return int(found[0][0]) if found else 0

    def advance_relay_cursor(self, name: str, sequence: int, token: int) -> None:
        """Move relay ``name``'s cursor to ``sequence`` in one transaction fenced by lease
        ``name`` and ``token`` (share-locked, so a takeover waits for it): raises
        ``ModelLeaseLostError`` (nothing moved) when the token moved on, ``INVALID_STATE`` when
        ``sequence`` is below the cursor."""
        where = "StoreRegistrationPostgres.advance_relay_cursor"
        lease_checks.check_name(where, name)
        lease_checks.check_whole(where, sequence, "sequence", 0)
        lease_checks.check_whole(where, token, "token", 1)
        with self.transaction() as txn:
            txn.check_lease(name, token)
            cast(StoreRegistrationPostgresTransaction, txn).set_relay_cursor(name, sequence)

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
        found = self._read(
            "list_nodes",
            f"SELECT {rows.NODE_COLUMNS} FROM nodes {where} "
            'ORDER BY node_name COLLATE "C", node_id::text',
            params,
        )
        return [rows.node_from_row(row) for row in found]

    def iter_events(self, after_sequence: int = 0) -> Iterator[ModelLifecycleEvent]:
        """Committed events with ``sequence > after_sequence`` in sequence order, read in pages.

        ``sequence`` is commit order, also with several processes writing: each transaction
        inserts its events last, under an advisory lock held until it commits.
        """
        last = after_sequence
        while True:
            page = self._read("iter_events", rows.SELECT_EVENTS_PAGE, (last, _EVENT_PAGE))
            for row in page:
                yield rows.event_from_row(row)
            if len(page) < _EVENT_PAGE:
                return
            last = page[-1][0]

    def last_sequence(self) -> int:
        """The sequence of the newest committed event (``0`` when there is none)."""
        rows = self._read("last_sequence", "SELECT coalesce(max(sequence), 0) FROM outbox")
        return int(rows[0][0])

    def list_dead_letters(self) -> list[ModelDeadLetter]:
        """Committed dead letters in the order they were recorded."""
        found = self._read("list_dead_letters", rows.SELECT_DEAD_LETTERS)
        return [rows.dead_letter_from_row(row) for row in found]

    def list_records(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """Committed records of ``kind`` as ``(key, document)``, ordered by key."""
        found = self._read("list_records", rows.LIST_RECORDS, (kind,))
        return [(key, json.loads(text)) for key, text in found]

    def count_outcomes(self) -> dict[EnumMessageOutcome, int]:
        """Inbox records by outcome plus dead letters without an envelope id (all keys present)."""
        counts = dict.fromkeys(EnumMessageOutcome, 0)
        for outcome, count in self._read(
            "count_outcomes", "SELECT outcome, count(*) FROM inbox GROUP BY outcome"
        ):
            counts[EnumMessageOutcome(outcome)] += int(count)
        unknown = self._read(
            "count_outcomes", "SELECT count(*) FROM dead_letters WHERE envelope_id IS NULL"
        )
        counts[EnumMessageOutcome.DEAD_LETTERED] += int(unknown[0][0])
        return counts

    def count_ignored_by_reason(self) -> dict[str, int]:
        """Ignored inbox records by reason code (the text before the first ``:``)."""
        found = self._read(
            "count_ignored_by_reason",
            "SELECT split_part(coalesce(reason, ''), ':', 1) AS code, count(*) FROM inbox "
            "WHERE outcome = 'ignored' GROUP BY code",
        )
        return {str(code): int(count) for code, count in found}

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
