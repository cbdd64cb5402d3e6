"""A store made by the first schema version is upgraded in place, keeping its rows."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import psycopg

from omnibase_infra.stores import open_store
from omnibase_infra.stores.migrations import migrations_postgres, migrations_sqlite
from omnibase_infra.stores.timestamps import to_db_micros

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NODE = UUID(int=7)
LETTER = UUID(int=8)


def test_sqlite_version_1_is_upgraded_and_its_rows_read_back(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        connection.executescript(migrations_sqlite.MIGRATIONS[0][1])
        connection.execute("INSERT INTO schema_version VALUES (1, ?)", (T0.isoformat(),))
        connection.execute(
            "INSERT INTO dead_letters (dead_letter_id, envelope_id, reason, detail, source, "
            "line_number, raw, recorded_at) VALUES (?, NULL, 'unparseable', 'd', 'f', 3, "
            "'{bad', ?)",
            (str(LETTER), to_db_micros(T0)),
        )
    store = open_store(f"sqlite:///{path}")
    try:
        assert store.migrate() == migrations_sqlite.MIGRATIONS[-1][0]
        (letter,) = store.list_dead_letters()
        assert (letter.dead_letter_id, letter.raw, letter.raw_escaped) == (LETTER, "{bad", False)
    finally:
        store.close()


def test_postgres_version_1_is_upgraded_to_text_documents(postgres_fresh_url: str) -> None:
    with psycopg.connect(postgres_fresh_url) as conn:
        conn.execute(
            "CREATE TABLE schema_version (version integer PRIMARY KEY, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.execute(migrations_postgres.MIGRATIONS[0][1].encode())
        conn.execute("INSERT INTO schema_version (version) VALUES (1)")
        conn.execute(
            "INSERT INTO nodes VALUES (%s, 1, 'n', 'active', 'effect', '1.0.0', 2, "
            "%s::jsonb, %s::jsonb, %s, NULL, %s, NULL, %s)",
            (NODE, '{"b": [1, 2.5], "a": "x"}', '{"api": "http://n"}', T0, T0, T0),
        )
        conn.execute(
            "INSERT INTO outbox (event_id, event_type, topic, node_id, causation_id, "
            "correlation_id, emitted_at, data) VALUES (%s, 'NodeBecameActive', "
            "'onex.evt.platform.node-became-active.v1', %s, %s, %s, %s, %s::jsonb)",
            (UUID(int=9), NODE, UUID(int=10), UUID(int=10), T0, '{"epoch": 2}'),
        )
        conn.execute(
            "INSERT INTO dead_letters (dead_letter_id, envelope_id, reason, detail, source, "
            "line_number, raw, recorded_at) VALUES (%s, NULL, 'unparseable', 'd', 'f', 3, "
            "'{bad', %s)",
            (LETTER, T0),
        )
    store = open_store(postgres_fresh_url)
    try:
        assert store.migrate() == migrations_postgres.MIGRATIONS[-1][0]
        (node,) = store.list_nodes()
        assert node.capabilities == {"a": "x", "b": [1, 2.5]}
        assert node.endpoints == {"api": "http://n"}
        (event,) = store.iter_events()
        assert event.data == {"epoch": 2}
        (letter,) = store.list_dead_letters()
        assert (letter.dead_letter_id, letter.line_number, letter.raw_escaped) == (
            LETTER,
            3,
            False,
        )
    finally:
        store.close()
    with psycopg.connect(postgres_fresh_url) as conn:
        types: dict[str, str] = dict(
            conn.execute(
                "SELECT table_name || '.' || column_name, data_type FROM information_schema."
                "columns WHERE table_schema = current_schema() AND column_name IN "
                "('capabilities', 'endpoints', 'data', 'line_number', 'raw_escaped')"
            ).fetchall()
        )
    assert types == {
        "nodes.capabilities": "text",
        "nodes.endpoints": "text",
        "outbox.data": "text",
        "dead_letters.line_number": "bigint",
        "dead_letters.raw_escaped": "boolean",
    }


def test_sqlite_version_3_gains_leases_and_keeps_its_records(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        for version, script in migrations_sqlite.MIGRATIONS[:3]:
            connection.executescript(script)
            connection.execute("INSERT INTO schema_version VALUES (?, ?)", (version, "t"))
        connection.execute("INSERT INTO records VALUES ('ledger', 'k', '{\"n\":1}')")
    store = open_store(f"sqlite:///{path}")
    try:
        assert store.migrate() == 4
        assert store.list_records("ledger") == [("k", {"n": 1})]
        with store.open_leases("a") as leases:
            assert leases.try_acquire("relay") == 1
    finally:
        store.close()
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.executescript(migrations_sqlite.MIGRATIONS[3][1])  # idempotent
        assert connection.execute("SELECT name, token FROM leases").fetchall() == [("relay", 1)]


def test_postgres_version_3_gains_leases_and_keeps_its_records(postgres_fresh_url: str) -> None:
    with psycopg.connect(postgres_fresh_url) as conn:
        conn.execute(
            "CREATE TABLE schema_version (version integer PRIMARY KEY, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for version, script in migrations_postgres.MIGRATIONS[:3]:
            conn.execute(script.encode())
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
        conn.execute("INSERT INTO records VALUES ('ledger', 'k', '{\"n\":1}')")
    store = open_store(postgres_fresh_url)
    try:
        assert store.migrate() == 4
        assert store.list_records("ledger") == [("k", {"n": 1})]
        with store.open_leases("a") as leases:
            assert leases.try_acquire("relay") == 1
    finally:
        store.close()
    with psycopg.connect(postgres_fresh_url) as conn:
        conn.execute(migrations_postgres.MIGRATIONS[3][1].encode())  # idempotent
        assert conn.execute("SELECT name, token FROM leases").fetchall() == [("relay", 1)]
