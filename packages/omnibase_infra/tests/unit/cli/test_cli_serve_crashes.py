"""``onex-registration serve`` on SQLite, killed or stopped at chosen steps of its batch loop
on a private nats-server: a SIGKILL between commit and acknowledgement (every redelivery is a
duplicate) and a SIGTERM with a batch in flight (committed, acknowledged, nothing to redo).

The process signals itself at the step through a test-only fault point, so the window under
test is hit every time, not by luck. Each test ends by comparing the registry, each node's
events and the dead letters with ``run`` on the same input, never interrupted.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from crash_support import (
    FAULT,
    WAIT,
    acknowledged,
    consumers,
    distinct,
    fired,
    processes,
    same_as_run,
    serve_args,
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
)

pytestmark = pytest.mark.nats
__all__ = ["nats_private_server", "processes"]


# --- 1. SIGKILL between commit and acknowledgement ----------------------------------------------
def test_sigkill_between_commit_and_ack_makes_every_redelivery_a_duplicate(
    nats_private_server: NatsTestServer, tmp_path: Path, processes: list[ServeProcess]
) -> None:
    """One partition, batches of 16: the process dies after its third batch committed and
    before it was acknowledged. The store then holds 48 messages while the bus saw 32
    acknowledged; the restarted process is handed the 16 again and they change nothing."""
    url = nats_private_server.url
    store_url = f"sqlite:///{tmp_path / 'served.db'}"
    lines = distinct(history_lines(nodes=6, minutes=5))
    batch, nth = 16, 3
    assert len(lines) > batch * nth
    publish_lines(url, lines, 1)

    doomed = ServeProcess(
        store_url,
        url,
        *serve_args(1, batch),
        folder=tmp_path,
        env={FAULT: f"bus-batch-committed:{nth}:SIGKILL"},
    )
    processes.append(doomed)
    doomed.start()
    assert doomed.process is not None
    assert doomed.process.wait(WAIT) == -signal.SIGKILL, doomed.log
    fired(doomed, "bus-batch-committed", nth)
    # committed through the third batch, acknowledged through the second, the third pending
    assert outcome_total(store_url) == batch * nth
    (info,) = consumers(url, 1)
    assert info.ack_floor.stream_seq == batch * (nth - 1)
    assert info.num_ack_pending == batch

    again = ServeProcess(store_url, url, *serve_args(1, batch), folder=tmp_path)
    processes.append(again)
    again.start().wait_serving()
    total = expected_outcomes(lines, 1)
    wait_finished(store_url, url, total, 1, "the restart to finish")
    assert again.terminate() == 0, again.log
    # the 16 redelivered messages added no inbox record and emitted nothing again
    assert outcome_total(store_url) == total == len(lines)
    same_as_run(lines, store_url, f"sqlite:///{tmp_path / 'ran.db'}")


# --- 8. SIGTERM with a batch in flight ----------------------------------------------------------
def test_sigterm_with_a_batch_in_flight_commits_and_acks_it_and_a_restart_redelivers_nothing(
    nats_private_server: NatsTestServer, tmp_path: Path, processes: list[ServeProcess]
) -> None:
    """SIGTERM arrives right after a batch was fetched: the process commits and acknowledges
    it, exits 0, and leaves every committed message acknowledged (nothing to deliver again);
    a restart consumes the rest."""
    url = nats_private_server.url
    partitions = 2
    store_url = f"sqlite:///{tmp_path / 'served.db'}"
    lines = distinct(history_lines(nodes=6, minutes=5))
    publish_lines(url, lines, partitions)
    total = expected_outcomes(lines, partitions)

    stopping = ServeProcess(
        store_url,
        url,
        *serve_args(partitions, 8),
        folder=tmp_path,
        env={FAULT: "bus-batch-fetched:3:SIGTERM"},
    )
    processes.append(stopping)
    stopping.start()
    assert stopping.process is not None
    assert stopping.process.wait(WAIT) == 0, stopping.log
    fired(stopping, "bus-batch-fetched", 3)
    assert "given up" not in stopping.log
    infos = consumers(url, partitions)
    assert [info.num_ack_pending for info in infos] == [0] * partitions
    committed = outcome_total(store_url)
    # every message committed is acknowledged and nothing more: a restart has none to redo
    assert committed == acknowledged(url, partitions)
    assert 0 < committed < total

    again = ServeProcess(store_url, url, *serve_args(partitions, 8), folder=tmp_path)
    processes.append(again)
    again.start().wait_serving()
    wait_finished(store_url, url, total, partitions, "the restart")
    assert again.terminate() == 0, again.log
    assert outcome_total(store_url) == total
    same_as_run(lines, store_url, f"sqlite:///{tmp_path / 'ran.db'}")
