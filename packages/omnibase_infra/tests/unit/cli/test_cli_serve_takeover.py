"""Two ``onex-registration serve`` processes sharing the partitions through PostgreSQL leases,
on a private nats-server: one SIGKILLed holding a fetched batch (the other takes over), and
random SIGKILLs while the input arrives (the zombie: ``test_cli_serve_zombie.py``).

Each test ends by comparing the registry, each node's events and the dead letters with
``run`` on the same input, never interrupted; no message may be dead-lettered as misrouted.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from crash_support import (
    WAIT,
    fired,
    misrouted,
    processes,
    same_as_run,
    serve_args,
    serve_pair,
    wait_finished,
)
from nats_fixtures import nats_private_server
from nats_server import NatsTestServer
from serve_support import (
    ServeProcess,
    expected_outcomes,
    history_lines,
    outcome_total,
    publish_lines,
    wait_until,
)

pytestmark = [pytest.mark.nats, pytest.mark.live]
__all__ = ["nats_private_server", "processes"]


# --- 2 and 7. A process killed, the other takes over -------------------------------------------
def test_sigkill_after_fetch_before_commit_and_the_other_process_takes_over(
    nats_private_server: NatsTestServer,
    postgres_server: Any,
    postgres_url: str,
    tmp_path: Path,
    processes: list[ServeProcess],
) -> None:
    """Of two processes on PostgreSQL, one dies holding a fetched, uncommitted batch: the other
    takes its partitions over, the batch is delivered to it, nothing is lost or doubled and no
    message is dead-lettered as misrouted."""
    url = nats_private_server.url
    partitions = 4
    store_url = postgres_server.create_schema(postgres_url)
    lines = history_lines(nodes=12, minutes=5)
    doomed, survivor = serve_pair(
        store_url, url, tmp_path, processes, "bus-batch-fetched:3:SIGKILL", partitions
    )
    publish_lines(url, lines, partitions)

    assert doomed.process is not None
    assert doomed.process.wait(WAIT) == -signal.SIGKILL, doomed.log
    fired(doomed, "bus-batch-fetched", 3)
    wait_until(
        lambda: survivor.owned() == set(range(partitions)), WAIT, "the takeover of every partition"
    )
    total = expected_outcomes(lines, partitions)
    wait_finished(store_url, url, total, partitions, "every message")
    assert survivor.terminate() == 0, survivor.log
    assert "given up" not in survivor.log
    assert outcome_total(store_url) == total
    assert misrouted(store_url) == []
    same_as_run(lines, store_url, postgres_server.create_schema(postgres_url))


# --- many kills -------------------------------------------------------------------------------
def test_random_sigkills_of_two_processes_leave_what_run_leaves(
    nats_private_server: NatsTestServer,
    postgres_server: Any,
    postgres_url: str,
    tmp_path: Path,
    processes: list[ServeProcess],
) -> None:
    """Two processes on PostgreSQL; the input arrives in three parts, and after each part one
    process, picked at random, is SIGKILLed at a random moment and replaced. The end equals
    ``run``: nothing lost, nothing doubled, nothing misrouted."""
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    url = nats_private_server.url
    partitions = 4
    store_url = postgres_server.create_schema(postgres_url)
    lines = history_lines(seed=rng.randrange(100), nodes=16, minutes=6)
    argv = serve_args(partitions, 8, ack_wait=1.0)
    live = [ServeProcess(store_url, url, *argv, folder=tmp_path) for _ in range(2)]
    processes.extend(live)
    for serve in live:
        serve.start()
    for serve in live:
        serve.wait_serving()
    parts = 3
    size = -(-len(lines) // parts)
    for start in range(0, len(lines), size):
        for serve in live:  # kill processes at work, not ones still starting
            serve.wait_serving()
        publish_lines(url, lines[start : start + size], partitions)
        time.sleep(rng.uniform(0.0, 0.6))  # a random moment to kill at
        victim = rng.randrange(len(live))
        live[victim].kill()
        live[victim] = ServeProcess(store_url, url, *argv, folder=tmp_path).start()
        processes.append(live[victim])
    for serve in live:
        serve.wait_serving()  # a SIGTERM before the handlers are installed ends it as -15
    total = expected_outcomes(lines, partitions)
    wait_finished(store_url, url, total, partitions, f"every message (seed {seed})")
    for serve in live:
        assert serve.terminate() == 0, serve.log
    assert outcome_total(store_url) == total, f"seed {seed}"
    assert misrouted(store_url) == [], f"seed {seed}"
    same_as_run(lines, store_url, postgres_server.create_schema(postgres_url))
