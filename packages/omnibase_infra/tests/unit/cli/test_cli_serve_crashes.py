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
    distinct,
    fired,
    processes,
    published,
    same_as_run,
    scrape,
    serve_args,
    wait_finished,
)
from nats_fixtures import nats_private_server
from nats_server import NatsTestServer
from serve_probes import acknowledged, consumers
from serve_support import (
    ServeProcess,
    expected_outcomes,
    history_lines,
    outcome_total,
    publish_lines,
)

from omnibase_infra.runtime.service_outbox_relay import event_bytes
from omnibase_infra.stores.store_factory import open_store

pytestmark = [pytest.mark.nats, pytest.mark.live]
__all__ = ["nats_private_server", "processes"]


# --- 1. SIGKILL between commit and acknowledgement ----------------------------------------------
def test_sigkill_between_commit_and_ack_makes_every_redelivery_a_duplicate(
    nats_private_server: NatsTestServer, tmp_path: Path, processes: list[ServeProcess]
) -> None:
    """One partition, batches of up to 16: the process dies after its third batch committed
    and before it was acknowledged. The store then holds more than the bus counts
    acknowledged; the restarted process is handed those messages again, and each of them is a
    duplicate that changes nothing."""
    url = nats_private_server.url
    store_url = f"sqlite:///{tmp_path / 'served.db'}"
    lines = distinct(history_lines(nodes=6, minutes=5))
    batch, nth = 16, 3
    assert len(lines) > batch * nth
    publish_lines(url, lines, 1)

    doomed = ServeProcess(
        store_url,
        url,
        *serve_args(1, batch, ack_wait=3.0),
        folder=tmp_path,
        env={FAULT: f"bus-batch-committed:{nth}:SIGKILL"},
    )
    processes.append(doomed)
    doomed.start()
    assert doomed.process is not None
    assert doomed.process.wait(WAIT) == -signal.SIGKILL, doomed.log
    fired(doomed, "bus-batch-committed", nth)
    # Committed through the third batch, acknowledged through the second. (A fetch returns
    # what one burst delivered, so a batch may hold fewer than 16 messages.)
    committed = outcome_total(store_url)
    (info,) = consumers(url, 1)
    acknowledged, pending = info.ack_floor.stream_seq, info.num_ack_pending
    assert acknowledged < committed <= acknowledged + pending <= batch * nth

    http = ("--http", "127.0.0.1:0")
    again = ServeProcess(
        store_url, url, *serve_args(1, batch, ack_wait=3.0), *http, folder=tmp_path
    )
    processes.append(again)
    again.start().wait_serving()
    total = expected_outcomes(lines, 1)
    wait_finished(store_url, url, total, 1, "the restart to finish")
    samples = scrape(again)
    redelivered = samples[("onex_registration_redeliveries_total", (("partition", "0"),))]
    duplicates = samples[
        ("onex_registration_messages_total", (("outcome", "duplicate"), ("reason", "")))
    ]
    # the input has no repeats: the duplicates are exactly the committed, unacknowledged
    # messages, every one of them redelivered (with the rest of what was pending)
    assert duplicates == committed - acknowledged
    assert redelivered == pending
    assert again.terminate() == 0, again.log
    # the redelivered messages added no inbox record and emitted nothing again
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


# --- 3. SIGKILL between the relay's publish and its cursor move ---------------------------------
def test_sigkill_between_relay_publish_and_cursor_move_leaves_one_output_message_per_event(
    nats_private_server: NatsTestServer, tmp_path: Path, processes: list[ServeProcess]
) -> None:
    """The relay's first batch is stored on the output stream, then the process dies before
    the cursor moves. The restart publishes those events again; the server keeps one copy of
    each (``Nats-Msg-Id`` = event id), so the output stream holds every outbox event exactly
    once, each partition in commit order, each byte for byte as ``events --json`` prints it."""
    url = nats_private_server.url
    partitions = 2
    store_url = f"sqlite:///{tmp_path / 'served.db'}"
    lines = history_lines(nodes=6, minutes=5)
    publish_lines(url, lines, partitions)

    doomed = ServeProcess(
        store_url,
        url,
        *serve_args(partitions, 16),
        folder=tmp_path,
        env={FAULT: "relay-published:1:SIGKILL"},
    )
    processes.append(doomed)
    doomed.start()
    assert doomed.process is not None
    assert doomed.process.wait(WAIT) == -signal.SIGKILL, doomed.log
    fired(doomed, "relay-published", 1)
    first = sum(len(messages) for messages in published(url, partitions))
    store = open_store(store_url)
    try:
        assert store.relay_cursor("relay") == 0  # published, not recorded
    finally:
        store.close()
    assert first > 0

    again = ServeProcess(store_url, url, *serve_args(partitions, 16), folder=tmp_path)
    processes.append(again)
    again.start().wait_serving()
    total = expected_outcomes(lines, partitions)
    wait_finished(store_url, url, total, partitions, "the restart to apply everything")
    assert again.terminate() == 0, again.log  # a clean stop flushes the relay
    assert "outbox relay 'relay' relays from sequence 0" in again.log  # the batch went again

    store = open_store(store_url)
    try:
        events = list(store.iter_events())
        assert store.relay_cursor("relay") == events[-1].sequence
    finally:
        store.close()
    output = published(url, partitions)
    by_id = {str(event.event_id): event for event in events}
    ids = [msg_id for messages in output for msg_id, _, _ in messages]
    assert sorted(ids) == sorted(by_id)  # each event once: the republished batch was dropped
    order = {str(event.event_id): n for n, event in enumerate(events)}
    for k, messages in enumerate(output):
        positions = [order[msg_id] for msg_id, _, _ in messages]
        assert positions == sorted(positions), f"partition {k} is out of commit order"
        for msg_id, subject, body in messages:
            event = by_id[msg_id]
            assert subject == f"{event.topic}.{k}.{event.node_id}"
            assert body == event_bytes(event)
    same_as_run(lines, store_url, f"sqlite:///{tmp_path / 'ran.db'}")
