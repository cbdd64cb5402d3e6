"""SQLite-specific behaviour: URLs, opening errors, schema versions, WAL, concurrent opens."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omnibase_core.enums import EnumCoreErrorCode, EnumNodeKind
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.enums import EnumMessageOutcome, EnumRegistrationState
from omnibase_infra.models import ModelRegistrationProjection, partition_hash
from omnibase_infra.stores import StoreRegistrationSqlite, open_store
from omnibase_infra.stores.migrations.migrations_sqlite import MIGRATIONS

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATEST = MIGRATIONS[-1][0]


def _open_error(url: str) -> ModelOnexError:
    with pytest.raises(ModelOnexError) as info:
        open_store(url)
    assert "\n" not in info.value.message
    assert not isinstance(info.value.__cause__, sqlite3.Error) or info.value.__suppress_context__
    return info.value


@pytest.mark.parametrize(
    "url",
    ["sqlite://", "sqlite:///", "sqlite://host/x.db", "sqlite:x.db", "sqlite:///x.db?mode=ro"],
)
def test_malformed_sqlite_url_is_a_configuration_error(url: str) -> None:
    error = _open_error(url)
    assert error.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
    assert "sqlite:///" in error.message


def test_relative_path_is_relative_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///registration.db")
    store.close()
    assert (tmp_path / "registration.db").is_file()


def test_absolute_path_and_synchronous_option(tmp_path: Path) -> None:
    path = tmp_path / "abs.db"
    store = open_store(f"sqlite:///{path}?synchronous=full")
    assert store.url == f"sqlite:///{path}?synchronous=full"
    store.close()
    with closing(sqlite3.connect(path)) as connection, connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_in_memory_sqlite_store_works() -> None:
    store = open_store("sqlite:///:memory:")
    with store.transaction() as txn:
        txn.record_outcome(uuid.uuid4(), EnumMessageOutcome.APPLIED, None, T0)
    assert store.count_outcomes()[EnumMessageOutcome.APPLIED] == 1
    store.close()


def test_missing_folder_names_the_folder(tmp_path: Path) -> None:
    error = _open_error(f"sqlite:///{tmp_path}/missing/registration.db")
    assert error.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
    assert "missing" in error.message
    assert "does not exist" in error.message


def test_folder_instead_of_file(tmp_path: Path) -> None:
    error = _open_error(f"sqlite:///{tmp_path}")
    assert error.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
    assert "folder" in error.message


def test_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 200)
    error = _open_error(f"sqlite:///{path}")
    assert error.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
    assert str(path) in error.message
    assert "not a SQLite database" in error.message


def test_database_of_another_application(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE customers (id INTEGER)")
    error = _open_error(f"sqlite:///{path}")
    assert error.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
    assert "customers" in error.message


def test_location_that_cannot_be_written(tmp_path: Path) -> None:
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    folder = Path("/proc") if as_root else tmp_path / "ro"
    if not as_root:
        folder.mkdir()
        folder.chmod(0o500)
    try:
        error = _open_error(f"sqlite:///{folder}/registration.db")
    finally:
        if not as_root:
            folder.chmod(0o700)
    assert error.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
    assert f"{folder}/registration.db" in error.message
    assert "writable" in error.message


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    open_store(url).close()
    with closing(sqlite3.connect(tmp_path / "r.db")) as connection, connection:
        connection.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
            (LATEST + 1, T0.isoformat()),
        )
    error = _open_error(url)
    assert error.error_code is EnumCoreErrorCode.INVALID_STATE
    assert f"schema version {LATEST + 1}" in error.message
    assert "upgrade" in error.message


def test_schema_version_records_every_step_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = open_store(url)
    assert store.migrate() == LATEST
    store.close()
    open_store(url).close()
    with closing(sqlite3.connect(tmp_path / "r.db")) as connection, connection:
        versions = [row[0] for row in connection.execute("SELECT version FROM schema_version")]
    assert versions == [version for version, _sql in MIGRATIONS]


def test_many_stores_opening_a_new_file_at_once_migrate_it_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []
    stores: list[StoreRegistrationSqlite] = []

    def opener() -> None:
        barrier.wait()
        try:
            stores.append(StoreRegistrationSqlite(url))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    for index, store in enumerate(stores):
        with store.transaction() as txn:
            txn.record_outcome(uuid.uuid4(), EnumMessageOutcome.APPLIED, None, T0)
        assert store.count_outcomes()[EnumMessageOutcome.APPLIED] == index + 1
    for store in stores:
        store.close()
    with closing(sqlite3.connect(tmp_path / "shared.db")) as connection, connection:
        assert connection.execute("SELECT count(*) FROM schema_version").fetchone()[0] == LATEST


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    """A connection holding the write lock of the new file at ``path`` (not yet in WAL mode),
    as another store does while it switches the file to WAL."""
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    return writer


def test_a_writer_on_a_new_file_is_waited_for_up_to_the_busy_timeout(tmp_path: Path) -> None:
    """Switching a new file to WAL upgrades a read lock to a write lock, which SQLite refuses
    at once (without its busy handler) while another connection holds the write lock: the store
    retries until its busy timeout, then says so."""
    path = tmp_path / "held.db"
    with closing(_hold_write_lock(path)):
        started = time.monotonic()
        with pytest.raises(ModelOnexError) as info:
            StoreRegistrationSqlite(f"sqlite:///{path}", busy_timeout_seconds=0.3)
        waited = time.monotonic() - started
    assert info.value.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
    assert "stayed locked by another process for 0.3 s" in info.value.message
    assert waited >= 0.3  # it waited for the lock instead of failing on the first refusal


def test_a_store_opening_while_a_writer_holds_a_new_file_opens_once_it_lets_go(
    tmp_path: Path,
) -> None:
    path = tmp_path / "held.db"
    opened: list[StoreRegistrationSqlite] = []
    failures: list[BaseException] = []

    def opener() -> None:
        try:
            opened.append(StoreRegistrationSqlite(f"sqlite:///{path}"))
        except BaseException as exc:
            failures.append(exc)

    writer = _hold_write_lock(path)
    thread = threading.Thread(target=opener)
    thread.start()
    time.sleep(0.2)  # let the store meet the lock (the outcome does not depend on it)
    writer.execute("COMMIT")
    writer.close()
    thread.join()
    assert failures == []
    (store,) = opened
    store.close()
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_partition_hash_column_matches_the_partition_function(tmp_path: Path) -> None:
    rows = [
        ModelRegistrationProjection(
            node_id=uuid.uuid4(),
            node_name=f"n{i}",
            state=EnumRegistrationState.ACTIVE,
            node_type=EnumNodeKind.COMPUTE,
            node_version="1.0.0",
            epoch=0,
            registered_at=T0,
            updated_at=T0,
        )
        for i in range(20)
    ]
    store = open_store(f"sqlite:///{tmp_path / 'r.db'}")
    with store.transaction() as txn:
        for row in rows:
            txn.upsert_node(row)
    store.close()
    with closing(sqlite3.connect(tmp_path / "r.db")) as connection, connection:
        stored = dict(connection.execute("SELECT node_id, partition_hash FROM nodes"))
    assert stored == {str(r.node_id): partition_hash(r.node_id) for r in rows}


def test_transaction_used_after_its_block_is_refused(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'r.db'}")
    with store.transaction() as txn:
        pass
    with pytest.raises(ModelOnexError) as info:
        txn.get_outcome(uuid.uuid4())
    assert info.value.error_code is EnumCoreErrorCode.INVALID_STATE
    store.close()


def test_database_locked_beyond_busy_timeout_fails_clearly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = StoreRegistrationSqlite(url, busy_timeout_seconds=0)
    other = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(ModelOnexError) as in_transaction, store.transaction():
            pass
        assert in_transaction.value.error_code is EnumCoreErrorCode.INVALID_STATE
        assert "locked" in in_transaction.value.message
        with pytest.raises(ModelOnexError) as on_open:
            StoreRegistrationSqlite(url, busy_timeout_seconds=0)
        assert on_open.value.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
        assert "locked" in on_open.value.message
    finally:
        other.execute("ROLLBACK")
        other.close()
    with store.transaction() as txn:
        assert txn.record_outcome(uuid.uuid4(), EnumMessageOutcome.APPLIED, None, T0)
    store.close()


def test_rows_changed_by_another_connection_are_seen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = open_store(url), open_store(url)
    row = ModelRegistrationProjection(
        node_id=uuid.uuid4(),
        node_name="shared",
        state=EnumRegistrationState.ACTIVE,
        node_type=EnumNodeKind.EFFECT,
        node_version="1.0.0",
        epoch=1,
        registered_at=T0,
        updated_at=T0,
    )
    try:
        with first.transaction() as txn:
            txn.upsert_node(row)
        with first.transaction() as txn:
            assert txn.get_node(row.node_id) == row
        with second.transaction() as txn:
            current = txn.get_node(row.node_id)
            assert current == row
            txn.upsert_node(row.model_copy(update={"epoch": 2}))
        with first.transaction() as txn:
            seen = txn.get_node(row.node_id)
            assert seen is not None
            assert seen.epoch == 2
    finally:
        first.close()
        second.close()
