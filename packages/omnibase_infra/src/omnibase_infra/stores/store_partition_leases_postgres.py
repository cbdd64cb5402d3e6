"""Leases of a PostgreSQL store: any number of serve processes share the partitions.

Each manager keeps one dedicated autocommit connection, its lease session. Holding a lease is
holding a session advisory lock on it, so a process that dies (or whose connection is cut)
drops its leases with its session, without anyone's help; TCP keepalives on both ends and
``tcp_user_timeout`` make a dead peer noticed within seconds. Taking a lease also bumps its
fencing token in the ``leases`` table; a batch transaction share-locks that row
(``check_lease``), so a takeover's bump waits for a zombie's batch in flight: the batch commits
before the takeover or aborts.

Lock keys are the two-key form: ``(LEASE_LOCKS, crc32(scope + name))`` for a lease and a
shared lock on ``(MEMBER_LOCKS, crc32(scope))`` for membership, where the scope is the database
and schema (so stores in different schemas of one database never meet). Advisory locks are
database-wide, keyed by 32 bits: two names whose keys collide exclude each other, so a
collision can only make a lease unavailable while the other is held elsewhere (never held
twice); the token and the fencing are per name.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.stores import lease_checks as checks
from omnibase_infra.stores.store_partition_leases_base import StorePartitionLeasesBase

_WHERE = "StorePartitionLeasesPostgres"
LEASE_LOCKS = 1_004
"""Advisory-lock namespace (first key) of leases."""
MEMBER_LOCKS = 1_005
"""Advisory-lock namespace (first key) of membership: a shared lock per store scope."""

_SCOPE = "SELECT current_database(), coalesce(current_schema(), ''), pg_backend_pid()"
_BUMP = (
    "INSERT INTO leases (name, token, owner, acquired_at) VALUES (%s, 1, %s, now()) "
    "ON CONFLICT (name) DO UPDATE SET token = leases.token + 1, owner = EXCLUDED.owner, "
    "acquired_at = EXCLUDED.acquired_at RETURNING token"
)
_MEMBERS = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid = %s::bigint::oid AND objid = %s::bigint::oid"
)


def lock_key(text: str) -> int:
    """The signed 32-bit advisory-lock key of ``text`` (CRC-32, stable across versions)."""
    value = zlib.crc32(text.encode("utf-8", "surrogatepass"))
    return value - (1 << 32) if value >= 1 << 31 else value


class StorePartitionLeasesPostgres(StorePartitionLeasesBase):
    """One process's leases on a PostgreSQL store (see ``ProtocolPartitionLeases``).

    Thread-safe: one lock serialises the use of the lease session. A ``try_acquire`` whose
    token bump waits on a batch in flight holds it for up to ``lock_timeout_seconds``.
    """

    _where = _WHERE

    def __init__(
        self,
        connect: Callable[[], psycopg.Connection[Any]],
        translate: Callable[[str, psycopg.Error], ModelOnexError],
        owner: str,
        *,
        lock_timeout_seconds: float = 30.0,
    ) -> None:
        """Open the lease session and join the members. ``connect`` opens a dedicated
        autocommit connection; ``translate`` turns driver errors into the store's errors.
        Raises ``ModelStoreUnavailableError`` when the database cannot be reached."""
        super().__init__(owner)
        self._connect = connect
        self._translate = translate
        self._lock_timeout_ms = max(1, int(lock_timeout_seconds * 1000))
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        self._scope = ""
        self._pid = 0
        self._lost: set[str] = set()
        with self._lock:
            self._session("open")

    @property
    def backend_pid(self) -> int:
        """The server process id of the lease session (what an operator would terminate)."""
        return self._pid

    # --- the lease session ---------------------------------------------------------------------
    def _session(self, method: str) -> psycopg.Connection[Any]:
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        if conn is not None:
            self._drop_session()
        conn = self._connect()
        try:
            database, schema, pid = conn.execute(_SCOPE).fetchone() or ("", "", 0)
            conn.execute(f"SET lock_timeout = {self._lock_timeout_ms}")
            scope = f"{database}.{schema}"
            conn.execute("SELECT pg_advisory_lock_shared(%s, %s)", (MEMBER_LOCKS, lock_key(scope)))
        except psycopg.Error as exc:
            conn.close()
            raise self._translate(f"{_WHERE}.{method}", exc) from None
        self._conn, self._scope, self._pid = conn, scope, int(pid)
        return conn

    def _drop_session(self) -> None:
        """The session is gone: every lease held is lost (reported by :meth:`verify`)."""
        self._lost.update(self._held)
        self._held.clear()
        if self._conn is not None:
            with suppress(psycopg.Error):
                self._conn.close()
        self._conn = None

    def _failed(self, method: str, conn: psycopg.Connection[Any], exc: psycopg.Error) -> Exception:
        if conn.broken or conn.closed:
            self._drop_session()
        return self._translate(f"{_WHERE}.{method}", exc)

    def _key(self, name: str) -> int:
        return lock_key(f"{self._scope}\x1f{name}")

    # --- protocol ------------------------------------------------------------------------------
    def members(self) -> int:
        """Live lease sessions on this store (this one included), counted in ``pg_locks``."""
        with self._lock:
            self._check_open("members")
            conn = self._session("members")
            params = (MEMBER_LOCKS, lock_key(self._scope) & 0xFFFFFFFF)
            try:
                row = conn.execute(_MEMBERS, params).fetchone()
            except psycopg.Error as exc:
                raise self._failed("members", conn, exc) from None
            return int(row[0]) if row else 0

    def try_acquire(self, name: str) -> int | None:
        """Take ``name``: its advisory lock, then the next token; ``None`` when another
        session holds it, or when the token bump waited past the lock timeout on a batch that
        still runs under the old token (try again later)."""
        checks.check_name(f"{_WHERE}.try_acquire", name)
        with self._lock:
            self._check_open("try_acquire")
            if name in self._held:
                return self._held[name]
            conn = self._session("try_acquire")
            key = self._key(name)
            try:
                row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LEASE_LOCKS, key))
                if not (row.fetchone() or (False,))[0]:
                    return None
                try:
                    found = conn.execute(_BUMP, (name, self._owner)).fetchone()
                except pg_errors.LockNotAvailable:
                    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LEASE_LOCKS, key))
                    return None
            except psycopg.Error as exc:
                raise self._failed("try_acquire", conn, exc) from None
            token = int(found[0]) if found else 0
            self._held[name] = token
            return token

    def release(self, name: str) -> None:
        """Unlock ``name`` (its token stays); nothing when not held."""
        checks.check_name(f"{_WHERE}.release", name)
        with self._lock:
            if self._held.pop(name, None) is None or self._conn is None:
                return
            conn = self._conn
            try:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LEASE_LOCKS, self._key(name)))
            except psycopg.Error:
                self._drop_session()  # a dead session holds nothing any more

    def held(self) -> Mapping[str, int]:
        """The leases held, with their tokens (a copy)."""
        with self._lock:
            return dict(self._held)

    def verify(self) -> frozenset[str]:
        """One round trip on the lease session: reads the tokens of the leases held. A dead
        session loses every lease; a token that moved on (which only a lost lock allows)
        loses that lease. Returns and forgets the names lost since the last call.

        When the session is gone it opens a new one (the process counts as a member again as
        soon as the database is back); a database still unreachable is not an error here, the
        next call tries again, but then this call may take up to the connect timeout."""
        with self._lock:
            self._check_open("verify")
            conn = self._conn
            if conn is not None:
                try:
                    if self._held:
                        found = conn.execute(
                            "SELECT name, token FROM leases WHERE name = ANY(%s)",
                            (list(self._held),),
                        ).fetchall()
                        tokens = {str(name): int(token) for name, token in found}
                        for name, token in list(self._held.items()):
                            if tokens.get(name) != token:
                                del self._held[name]
                                self._lost.add(name)
                                conn.execute(
                                    "SELECT pg_advisory_unlock(%s, %s)",
                                    (LEASE_LOCKS, self._key(name)),
                                )
                    else:
                        conn.execute("SELECT 1")
                except psycopg.Error:
                    self._drop_session()
            if self._conn is None:
                with suppress(ModelOnexError):  # the database is still away: the next call retries
                    self._session("verify")
            lost = frozenset(self._lost)
            self._lost.clear()
            return lost

    def close(self) -> None:
        """Close the lease session, which releases every lease and the membership."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._held.clear()
                self._lost.clear()
                self._drop_session()
