"""Leases of the stores one process owns: a SQLite file (one serve process, enforced with a
lock file that dies with its holder) and the memory store (managers of one process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.stores import open_store

HOLDER = """
import sys
from omnibase_infra.stores import open_store
leases = open_store(sys.argv[1]).open_leases(sys.argv[2])
print(leases.try_acquire("s/0"), flush=True)
sys.stdin.read()
"""


def test_a_second_process_on_a_sqlite_file_is_refused_until_the_first_dies(
    tmp_path: Path,
) -> None:
    database = tmp_path / "registration.db"
    url = f"sqlite:///{database}"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, "host:42:first"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    store = open_store(url)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "1"
        with pytest.raises(ModelOnexError) as caught:
            store.open_leases("host:43:second")
        error = caught.value
        assert error.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
        for part in (
            f"{database}.serve-lock",
            "host:42:first",
            f"pid {holder.pid}",
            "SQLite allows one serve process",
            "PostgreSQL",
        ):
            assert part in error.message
        os.kill(holder.pid, signal.SIGKILL)
        holder.communicate(timeout=30)
        with store.open_leases("host:43:second") as leases:
            assert leases.members() == 1
            assert leases.try_acquire("s/0") == 2
            with pytest.raises(ModelOnexError, match="already served by host:43:second"):
                store.open_leases("host:43:third")
    finally:
        holder.kill()
        holder.communicate(timeout=30)
        store.close()


def test_sqlite_leases_in_a_folder_that_cannot_be_written_are_a_clear_error(
    tmp_path: Path,
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'registration.db'}")
    try:
        os.mkdir(tmp_path / "registration.db.serve-lock")
        with pytest.raises(ModelOnexError, match="cannot create the lock file"):
            store.open_leases("a")
    finally:
        store.close()


def test_an_in_memory_sqlite_store_admits_one_lease_manager() -> None:
    store = open_store("sqlite:///:memory:")
    try:
        with store.open_leases("a") as leases:
            assert leases.try_acquire("s/0") == 1
            with pytest.raises(ModelOnexError, match="already has an open lease manager"):
                store.open_leases("b")
        with store.open_leases("b") as leases:
            assert leases.try_acquire("s/0") == 2
    finally:
        store.close()


def test_memory_managers_compete_and_exactly_one_of_many_threads_wins() -> None:
    store = open_store("memory://")
    managers = [store.open_leases(f"t{i}") for i in range(8)]
    assert managers[0].members() == 8
    barrier = threading.Barrier(len(managers))
    results: dict[int, int | None] = {}

    def race(index: int) -> None:
        barrier.wait()
        results[index] = managers[index].try_acquire("contested")

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(managers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results.values(), key=lambda t: t is not None) == [None] * 7 + [1]
    winner = next(managers[i] for i, token in results.items() if token is not None)
    winner.close()
    others = [m for m in managers if m is not winner]
    assert others[0].members() == 7
    assert others[0].try_acquire("contested") == 2
    assert others[1].try_acquire("contested") is None
    for manager in managers:
        manager.close()


def test_a_memory_takeover_waits_for_the_batch_in_flight() -> None:
    store = open_store("memory://")
    first = store.open_leases("first")
    second = store.open_leases("second")
    old = first.try_acquire("s/0")
    assert old == 1
    first.close()
    checked, finish = threading.Event(), threading.Event()
    result: list[int | None] = []

    def batch() -> None:
        with store.transaction() as txn:
            txn.check_lease("s/0", 1)
            checked.set()
            finish.wait(60)
            txn.put_record("ledger", "first", {})

    worker = threading.Thread(target=batch)
    worker.start()
    assert checked.wait(60)
    takeover = threading.Thread(target=lambda: result.append(second.try_acquire("s/0")))
    takeover.start()
    takeover.join(0.2)
    assert takeover.is_alive()
    assert result == []
    finish.set()
    worker.join(60)
    takeover.join(60)
    assert result == [2]
    assert store.list_records("ledger") == [("first", {})]
