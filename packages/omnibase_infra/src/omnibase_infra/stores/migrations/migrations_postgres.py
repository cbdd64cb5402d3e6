"""PostgreSQL schema steps of the registration store (same versions as the SQLite steps).

The logical schema is the SQLite one with native types: ``uuid``, ``timestamptz``, (from step
2) ``text`` holding JSON for mappings, ``bigint`` identities for the outbox and dead-letter
order. ``partition_hash`` is the CRC-32 of the node id as a ``bigint`` (unsigned 32-bit values
fit), so a partition's expiry claim filters in SQL. The partial index ``nodes_by_expiry`` holds
only ACTIVE nodes, the only ones a tick can claim.

Step 2 keeps every JSON document as the exact text the store was given: ``jsonb`` rewrites
numbers (``1e+23`` comes back as ``100000000000000000000000``) and reorders keys, so
``nodes.capabilities``, ``nodes.endpoints`` and ``outbox.data`` become ``text`` (existing rows
keep the values ``jsonb`` had already made of them). ``dead_letters.line_number`` becomes
``bigint`` (a file's line numbers are not bounded by 2**31) and ``dead_letters.raw_escaped``
records that the raw line is kept escaped (it was not valid UTF-8 or held a NUL byte).

Step 3 adds ``records``, the keyed JSON records nodes keep their own small tables in, as
canonical JSON ``text`` for the same reason.

Step 4 adds ``leases`` (a lease's fencing token, strictly increasing per name, with its last
owner and when it was taken; a batch transaction share-locks its lease row, so a takeover's
token bump waits for the batch) and ``relay_cursors`` (the sequence of the last outbox event
each relay has published).
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE nodes (
            node_id uuid PRIMARY KEY,
            partition_hash bigint NOT NULL,
            node_name text NOT NULL,
            state text NOT NULL,
            node_type text NOT NULL,
            node_version text NOT NULL,
            epoch bigint NOT NULL,
            capabilities jsonb NOT NULL,
            endpoints jsonb NOT NULL,
            registered_at timestamptz NOT NULL,
            last_heartbeat_at timestamptz,
            liveness_deadline timestamptz,
            last_introspection_at timestamptz,
            updated_at timestamptz NOT NULL
        );
        CREATE INDEX nodes_by_expiry ON nodes (liveness_deadline) WHERE state = 'active';
        CREATE INDEX nodes_by_name ON nodes (node_name, node_id);
        CREATE TABLE inbox (
            envelope_id uuid PRIMARY KEY,
            outcome text NOT NULL,
            reason text,
            processed_at timestamptz NOT NULL
        );
        CREATE TABLE outbox (
            sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            event_id uuid NOT NULL,
            event_type text NOT NULL,
            topic text NOT NULL,
            node_id uuid NOT NULL,
            causation_id uuid NOT NULL,
            correlation_id uuid NOT NULL,
            emitted_at timestamptz NOT NULL,
            data jsonb NOT NULL
        );
        CREATE TABLE introspection_requests (
            node_id uuid PRIMARY KEY,
            requested_at timestamptz NOT NULL
        );
        CREATE TABLE tick_clocks (
            partition_key text PRIMARY KEY,
            tick_now timestamptz NOT NULL
        );
        CREATE TABLE dead_letters (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            dead_letter_id uuid NOT NULL UNIQUE,
            envelope_id uuid,
            reason text NOT NULL,
            detail text NOT NULL,
            source text,
            line_number integer,
            raw text NOT NULL,
            recorded_at timestamptz NOT NULL
        );
        """,
    ),
    (
        2,
        """
        ALTER TABLE nodes
            ALTER COLUMN capabilities TYPE text USING capabilities::text,
            ALTER COLUMN endpoints TYPE text USING endpoints::text;
        ALTER TABLE outbox ALTER COLUMN data TYPE text USING data::text;
        ALTER TABLE dead_letters
            ALTER COLUMN line_number TYPE bigint,
            ADD COLUMN raw_escaped boolean NOT NULL DEFAULT false;
        """,
    ),
    (
        3,
        """
        CREATE TABLE records (
            kind text NOT NULL,
            key text NOT NULL,
            document text NOT NULL,
            PRIMARY KEY (kind, key)
        );
        """,
    ),
    (
        4,
        """
        CREATE TABLE IF NOT EXISTS leases (
            name text PRIMARY KEY,
            token bigint NOT NULL,
            owner text NOT NULL,
            acquired_at timestamptz NOT NULL
        );
        CREATE TABLE IF NOT EXISTS relay_cursors (
            name text PRIMARY KEY,
            sequence bigint NOT NULL
        );
        """,
    ),
)
