"""SQLite schema steps of the registration store.

Timestamps are integer microseconds since 1970-01-01 UTC: exact, compact, cheap to convert, and
integer order is time order. UUIDs are canonical lower-case strings. Mappings are JSON text.
``partition_hash`` is CRC-32 of the node id, so a partition's claim filters in SQL.

Step 2: ``dead_letters.raw_escaped`` (0/1): the raw line is kept escaped because it was not
valid UTF-8 or held a NUL byte.

Step 3: ``records``: the keyed JSON records nodes keep their own small tables in (canonical
JSON text, see :mod:`omnibase_infra.wire.wire_canonical`).

Step 4: ``leases`` (a lease's fencing token, strictly increasing per name, its last owner and
when it was taken, in microseconds) and ``relay_cursors`` (the sequence of the last outbox event
each relay has published).
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE nodes (
            node_id TEXT PRIMARY KEY,
            partition_hash INTEGER NOT NULL,
            node_name TEXT NOT NULL,
            state TEXT NOT NULL,
            node_type TEXT NOT NULL,
            node_version TEXT NOT NULL,
            epoch INTEGER NOT NULL,
            capabilities TEXT NOT NULL,
            endpoints TEXT NOT NULL,
            registered_at INTEGER NOT NULL,
            last_heartbeat_at INTEGER,
            liveness_deadline INTEGER,
            last_introspection_at INTEGER,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX nodes_by_expiry ON nodes (state, liveness_deadline);
        CREATE INDEX nodes_by_name ON nodes (node_name, node_id);
        CREATE TABLE inbox (
            envelope_id TEXT PRIMARY KEY,
            outcome TEXT NOT NULL,
            reason TEXT,
            processed_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE outbox (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            topic TEXT NOT NULL,
            node_id TEXT NOT NULL,
            causation_id TEXT NOT NULL,
            correlation_id TEXT NOT NULL,
            emitted_at INTEGER NOT NULL,
            data TEXT NOT NULL
        );
        CREATE TABLE introspection_requests (
            node_id TEXT PRIMARY KEY,
            requested_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE tick_clocks (
            partition_key TEXT PRIMARY KEY,
            tick_now INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE dead_letters (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            dead_letter_id TEXT NOT NULL UNIQUE,
            envelope_id TEXT,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL,
            source TEXT,
            line_number INTEGER,
            raw TEXT NOT NULL,
            recorded_at INTEGER NOT NULL
        );
        """,
    ),
    (
        2,
        """
        ALTER TABLE dead_letters ADD COLUMN raw_escaped INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    (
        3,
        """
        CREATE TABLE records (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (kind, key)
        ) WITHOUT ROWID;
        """,
    ),
    (
        4,
        """
        CREATE TABLE IF NOT EXISTS leases (
            name TEXT PRIMARY KEY,
            token INTEGER NOT NULL,
            owner TEXT NOT NULL,
            acquired_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS relay_cursors (
            name TEXT PRIMARY KEY,
            sequence INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
)
