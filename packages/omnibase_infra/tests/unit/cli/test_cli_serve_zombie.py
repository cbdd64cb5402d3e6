"""A zombie ``onex-registration serve`` process on PostgreSQL leases and a private
nats-server: of two processes, one freezes (SIGSTOP) holding a fetched batch, before its batch
transaction or inside it with its lease row locked, and its lease session is cut meanwhile.
The other takes every partition over; resumed, the zombie is fenced: its batch is neither
committed nor acknowledged. The end equals ``run`` on the same input, nothing misrouted.
"""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path
from typing import Any

import psycopg
import pytest
from crash_support import (
    WAIT,
    fired,
    misrouted,
    processes,
    same_as_run,
    serve_pair,
    stopped,
    wait_finished,
)
from nats_fixtures import nats_private_server
from nats_server import NatsTestServer
from serve_probes import all_acknowledged
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


def _terminate_lease_session(store_url: str, pid: int) -> int:
    """End the PostgreSQL lease session of serve process ``pid`` (what a network cut or an
    operator would do); returns how many sessions were ended."""
    application = f"onex-leases {socket.gethostname()}:{pid}"[:63]
    with psycopg.connect(store_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (application,),
        ).fetchall()
    return sum(1 for (ended,) in rows if ended)


@pytest.mark.parametrize(
    "point",
    [
        pytest.param("bus-batch-fetched", id="frozen-before-its-transaction"),
        pytest.param("bus-batch-lease-checked", id="frozen-inside-its-transaction"),
    ],
)
def test_a_zombie_owner_is_fenced_its_batch_neither_committed_nor_acknowledged(
    point: str,
    nats_private_server: NatsTestServer,
    postgres_server: Any,
    postgres_url: str,
    tmp_path: Path,
    processes: list[ServeProcess],
) -> None:
    """Of two processes on PostgreSQL, one freezes holding a fetched batch (before its
    transaction, or inside it with its lease row share-locked), and its lease session is cut
    meanwhile: the other takes every partition over and applies everything. Resumed, the
    zombie still believes it owns its partitions: its batch aborts on the lease check (never
    committed, never acknowledged), it rejoins, and the end equals ``run``."""
    url = nats_private_server.url
    partitions = 4
    store_url = postgres_server.create_schema(postgres_url)
    lines = history_lines(nodes=12, minutes=5)
    zombie, survivor = serve_pair(
        store_url, url, tmp_path, processes, f"{point}:2:SIGSTOP", partitions
    )
    publish_lines(url, lines, partitions)

    wait_until(lambda: stopped(zombie.pid), WAIT, "the zombie to freeze at its fault point")
    fired(zombie, point, 2)
    assert _terminate_lease_session(store_url, zombie.pid) == 1
    wait_until(
        lambda: survivor.owned() == set(range(partitions)), WAIT, "the takeover of every partition"
    )
    total = expected_outcomes(lines, partitions)
    wait_finished(store_url, url, total, partitions, "every message")

    os.kill(zombie.pid, signal.SIGCONT)
    wait_until(lambda: "given up unacknowledged" in zombie.log, WAIT, "the zombie's batch to abort")
    aborted = [line for line in zombie.log.splitlines() if "given up unacknowledged" in line]
    assert all("lease" in line and "lost" in line for line in aborted), aborted
    wait_until(lambda: bool(zombie.owned()), WAIT, "the zombie to rejoin with a share")
    assert zombie.terminate() == 0, zombie.log
    assert survivor.terminate() == 0, survivor.log
    assert "given up" not in survivor.log
    assert all_acknowledged(url, partitions)
    assert outcome_total(store_url) == total
    assert misrouted(store_url) == []
    same_as_run(lines, store_url, postgres_server.create_schema(postgres_url))
