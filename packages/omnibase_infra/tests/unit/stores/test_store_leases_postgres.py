"""PostgreSQL leases across sessions and processes: competition, takeover, fencing, death.

Every test runs on a real private server; a "process" is a lease manager with its own lease
session, and where death matters, a real subprocess killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from postgres_server import PostgresTestServer

from omnibase_infra.stores import ModelLeaseLostError
from omnibase_infra.stores import store_registration_postgres_transaction as postgres_transaction
from omnibase_infra.stores.model_store_unavailable_error import ModelStoreUnavailableError
from omnibase_infra.stores.store_registration_postgres import StoreRegistrationPostgres

pytestmark = pytest.mark.postgres

#: A process holding leases: opens them, takes each name given, prints the tokens, then
#: waits (for SIGKILL, or for its stdin to close).
HOLDER = """
import sys
from omnibase_infra.stores import open_store
store = open_store(sys.argv[1])
leases = store.open_leases(sys.argv[2])
tokens = [leases.try_acquire(name) for name in sys.argv[3:]]
print(" ".join(str(t) for t in tokens), flush=True)
sys.stdin.read()
"""

#: A process racing for one name once the start file appears.
RACER = """
import os, sys, time
from omnibase_infra.stores import open_store
store = open_store(sys.argv[1])
leases = store.open_leases(sys.argv[2])
print("ready", flush=True)
while not os.path.exists(sys.argv[3]):
    time.sleep(0.001)
print(leases.try_acquire("contested"), flush=True)
sys.stdin.read()
"""


def _wait_until(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    """Poll ``condition`` until true; fail naming ``what`` if it never becomes true."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def store(postgres_fresh_url: str) -> Iterator[StoreRegistrationPostgres]:
    opened = StoreRegistrationPostgres(postgres_fresh_url)
    opened.migrate()
    yield opened
    opened.close()


def _spawn(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _terminate_backend(url: str, pid: int) -> None:
    """Terminate the session ``pid`` and wait until it is gone (its locks released)."""
    with psycopg.connect(url.split("?", 1)[0], autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)

        def gone() -> bool:
            query = (
                "SELECT (SELECT count(*) FROM pg_stat_activity WHERE pid = %s) "
                "+ (SELECT count(*) FROM pg_locks WHERE pid = %s)"
            )
            return conn.execute(query, (pid, pid)).fetchone() == (0,)

        _wait_until(gone, f"session {pid} to end")


def test_two_processes_compete_and_one_takes_over_what_the_other_releases(
    store: StoreRegistrationPostgres,
) -> None:
    with store.open_leases("a") as a, store.open_leases("b") as b:
        assert a.members() == b.members() == 2
        token_a = a.try_acquire("s/0")
        assert token_a is not None
        assert b.try_acquire("s/0") is None
        assert b.try_acquire("s/1") is not None
        assert a.try_acquire("s/1") is None
        a.release("s/0")
        token_b = b.try_acquire("s/0")
        assert token_b is not None
        assert token_b > token_a
        assert a.try_acquire("s/0") is None
    with store.open_leases("c") as c:
        assert c.members() == 1
        token_c = c.try_acquire("s/0")
        assert token_c is not None
        assert token_c > token_b


def test_stores_in_other_schemas_of_one_database_never_meet(
    store: StoreRegistrationPostgres, postgres_server: PostgresTestServer, postgres_url: str
) -> None:
    other_url = postgres_server.create_schema(postgres_url)
    other = StoreRegistrationPostgres(other_url)
    try:
        with store.open_leases("a") as a, other.open_leases("b") as b:
            assert a.try_acquire("s/0") == 1
            assert b.try_acquire("s/0") == 1
            assert a.members() == b.members() == 1
    finally:
        other.close()


def test_a_terminated_lease_session_loses_every_lease_and_frees_them(
    store: StoreRegistrationPostgres, postgres_fresh_url: str
) -> None:
    with store.open_leases("victim") as victim, store.open_leases("heir") as heir:
        old = {name: victim.try_acquire(name) for name in ("s/0", "s/1", "relay")}
        assert victim.verify() == frozenset()
        dead_pid = victim.backend_pid
        _terminate_backend(postgres_fresh_url, dead_pid)
        assert heir.members() == 1
        for name, token in old.items():
            new = heir.try_acquire(name)
            assert new is not None
            assert token is not None
            assert new > token
        assert victim.verify() == frozenset(old)
        assert victim.held() == {}
        assert victim.backend_pid != dead_pid  # verify opened a new session: a member again
        assert heir.members() == 2
        assert victim.verify() == frozenset()
        assert victim.try_acquire("s/0") is None


def test_a_zombie_batch_under_the_old_token_is_fenced_after_a_takeover(
    store: StoreRegistrationPostgres, postgres_fresh_url: str
) -> None:
    with store.open_leases("zombie") as zombie, store.open_leases("heir") as heir:
        old = zombie.try_acquire("s/0")
        assert old is not None
        _terminate_backend(postgres_fresh_url, zombie.backend_pid)
        new = heir.try_acquire("s/0")
        assert new is not None
        assert new > old

        def zombie_batch() -> None:
            with store.transaction() as txn:
                txn.check_lease("s/0", old)
                txn.put_record("ledger", "zombie", {"n": 1})

        with pytest.raises(ModelLeaseLostError, match=f"holds token {old} but the store has"):
            zombie_batch()
        with store.transaction() as txn:
            txn.check_lease("s/0", new)
            txn.put_record("ledger", "heir", {"n": 2})
    assert store.list_records("ledger") == [("heir", {"n": 2})]


def test_a_takeover_waits_for_the_batch_in_flight_which_commits_first(
    store: StoreRegistrationPostgres, postgres_fresh_url: str
) -> None:
    with store.open_leases("zombie") as zombie, store.open_leases("heir") as heir:
        old = zombie.try_acquire("s/0")
        assert old is not None
        checked, finish = threading.Event(), threading.Event()

        def zombie_batch() -> None:
            with store.transaction() as txn:
                txn.check_lease("s/0", old)
                checked.set()
                finish.wait(60)
                txn.put_record("ledger", "zombie", {"n": 1})

        batch = threading.Thread(target=zombie_batch)
        batch.start()
        assert checked.wait(60)
        _terminate_backend(postgres_fresh_url, zombie.backend_pid)
        result: list[int | None] = []
        takeover = threading.Thread(target=lambda: result.append(heir.try_acquire("s/0")))
        takeover.start()
        with psycopg.connect(postgres_fresh_url, autocommit=True) as watcher:

            def heir_waits_on_a_lock() -> bool:
                row = watcher.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                    (heir.backend_pid,),
                ).fetchone()
                return row is not None and row[0] == "Lock"

            _wait_until(heir_waits_on_a_lock, "the takeover to wait on the lease row")
        assert takeover.is_alive()
        assert result == []
        finish.set()
        batch.join(60)
        takeover.join(60)
        assert result
        assert result[0] is not None
        assert result[0] > old
    assert store.list_records("ledger") == [("zombie", {"n": 1})]


def test_a_fenced_transaction_that_stalls_is_ended_by_the_server_and_the_takeover_proceeds(
    store: StoreRegistrationPostgres, postgres_fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zombie that checked its lease and then stops talking (frozen, stopped) would hold
    the lease row, and with it the takeover, for as long as it stays so: the server ends its
    transaction after the fenced idle timeout (shortened here), the takeover goes through, and
    the zombie's batch fails as a retryable outage without writing anything."""
    monkeypatch.setattr(postgres_transaction, "FENCED_IDLE_TIMEOUT_MS", 300)
    with store.open_leases("zombie") as zombie, store.open_leases("heir") as heir:
        old = zombie.try_acquire("s/0")
        assert old is not None
        _terminate_backend(postgres_fresh_url, zombie.backend_pid)
        taken: list[int | None] = []

        def zombie_batch() -> None:
            with store.transaction() as txn:
                txn.check_lease("s/0", old)
                # the zombie's transaction idles while the heir waits on the lease row
                taken.append(heir.try_acquire("s/0"))
                txn.put_record("ledger", "zombie", {"n": 1})

        with pytest.raises(ModelStoreUnavailableError) as ended:
            zombie_batch()
        assert taken[0] is not None
        assert taken[0] > old
        assert ended.value.retryable
    assert store.list_records("ledger") == []


def test_a_takeover_that_waits_past_the_lock_timeout_gives_up_for_now(
    store: StoreRegistrationPostgres, postgres_fresh_url: str
) -> None:
    with (
        store.open_leases("zombie") as zombie,
        store.open_leases("heir", lock_timeout_seconds=0.2) as heir,
    ):
        old = zombie.try_acquire("s/0")
        assert old is not None
        _terminate_backend(postgres_fresh_url, zombie.backend_pid)
        with store.transaction() as txn:
            txn.check_lease("s/0", old)
            blocked: list[int | None] = []
            thread = threading.Thread(target=lambda: blocked.append(heir.try_acquire("s/0")))
            thread.start()
            thread.join(60)
            assert blocked == [None]
        assert heir.held() == {}
        taken = heir.try_acquire("s/0")
        assert taken is not None
        assert taken > old


def test_members_count_processes_and_a_killed_process_stops_counting(
    store: StoreRegistrationPostgres, postgres_fresh_url: str
) -> None:
    with store.open_leases("parent") as parent:
        children = [_spawn(HOLDER, postgres_fresh_url, f"child-{i}", f"s/{i}") for i in range(2)]
        try:
            tokens = [child.stdout.readline().split() for child in children]  # type: ignore[union-attr]
            assert tokens == [["1"], ["1"]]
            assert parent.members() == 3
            assert parent.try_acquire("s/0") is None
            os.kill(children[0].pid, signal.SIGKILL)
            children[0].wait(30)
            _wait_until(lambda: parent.members() == 2, "the killed process to stop counting")
            assert parent.try_acquire("s/0") == 2
            assert parent.try_acquire("s/1") is None
        finally:
            for child in children:
                child.kill()
                child.communicate(timeout=30)


def test_many_threads_race_for_one_lease_and_exactly_one_wins(
    store: StoreRegistrationPostgres,
) -> None:
    managers = [store.open_leases(f"t{i}") for i in range(8)]
    try:
        barrier = threading.Barrier(len(managers))
        results: list[int | None] = []
        lock = threading.Lock()

        def race(index: int) -> None:
            barrier.wait()
            token = managers[index].try_acquire("contested")
            with lock:
                results.append(token)

        threads = [threading.Thread(target=race, args=(i,)) for i in range(len(managers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(results, key=lambda t: t is not None) == [None] * 7 + [1]
    finally:
        for manager in managers:
            manager.close()


def test_many_processes_race_for_one_lease_and_exactly_one_wins(
    postgres_fresh_url: str, tmp_path: Path
) -> None:
    start = tmp_path / "start"
    racers = [_spawn(RACER, postgres_fresh_url, f"p{i}", str(start)) for i in range(4)]
    try:
        for racer in racers:
            assert racer.stdout.readline().strip() == "ready"  # type: ignore[union-attr]
        start.touch()
        answers = [racer.stdout.readline().strip() for racer in racers]  # type: ignore[union-attr]
        assert sorted(answers) == ["1", "None", "None", "None"]
    finally:
        for racer in racers:
            racer.kill()
            racer.communicate(timeout=30)


def test_an_unreachable_database_is_a_clear_error() -> None:
    store = StoreRegistrationPostgres("postgresql://nobody@127.0.0.1:1/none", connect_timeout=2)
    try:
        with pytest.raises(ModelStoreUnavailableError, match="cannot connect to PostgreSQL at"):
            store.open_leases("a")
    finally:
        store.close()


def test_a_lease_call_on_a_dead_session_raises_retryable_and_verify_reports_the_loss(
    store: StoreRegistrationPostgres, postgres_fresh_url: str
) -> None:
    with store.open_leases("victim") as victim:
        token = victim.try_acquire("s/0")
        assert token is not None
        _terminate_backend(postgres_fresh_url, victim.backend_pid)
        with pytest.raises(ModelStoreUnavailableError) as caught:
            victim.try_acquire("s/1")
        assert caught.value.retryable
        assert victim.held() == {}
        assert victim.verify() == frozenset({"s/0"})
        again = victim.try_acquire("s/0")  # a new session
        assert again is not None
        assert again > token


def test_a_postgres_restart_loses_every_lease_and_they_can_be_taken_again(
    postgres_server: PostgresTestServer, postgres_fresh_url: str
) -> None:
    store = StoreRegistrationPostgres(postgres_fresh_url)
    try:
        with store.open_leases("a") as a, store.open_leases("b") as b:
            tokens = {"s/0": a.try_acquire("s/0"), "s/1": b.try_acquire("s/1")}
            postgres_server.restart()  # every open session is cut
            assert a.verify() == frozenset({"s/0"})
            assert b.verify() == frozenset({"s/1"})
            assert a.members() == 2
            for name, token in tokens.items():
                new = b.try_acquire(name)
                assert new is not None
                assert token is not None
                assert new > token
    finally:
        store.close()
