"""``onex-registration serve`` while its nats-server is SIGKILLed and restarted: batches that
commit while the server is down are acknowledged once it is back, acknowledgements lost with
the server come back as redeliveries the inbox absorbs, serve reconnects and fetches what is
published after the restart, ``/readyz`` says 503 while the server is away and 200 after, the
relay's output holds each event once, and what is left equals ``run`` on the same input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nats_fixtures import nats_private_server
from nats_server import NatsTestServer
from serve_probes import (
    all_acknowledged,
    blocked_by,
    free_port,
    http_get,
    inbox_locked,
    migrated,
    published_event_ids,
    stored_event_ids,
)
from serve_support import (
    ServeProcess,
    comparable,
    expected_outcomes,
    history_lines,
    outcome_total,
    publish_lines,
    run_file,
    wait_until,
)

pytestmark = [pytest.mark.nats, pytest.mark.postgres, pytest.mark.live]
__all__ = ["nats_private_server"]
PARTITIONS = 2


def test_a_nats_server_killed_and_restarted_mid_run_loses_and_doubles_nothing(
    nats_private_server: NatsTestServer, postgres_server: Any, postgres_url: str, tmp_path: Path
) -> None:
    server = nats_private_server
    url = server.url
    store_url = migrated(postgres_server.create_schema(postgres_url))
    lines = history_lines(nodes=8, minutes=5)
    first, second = lines[: len(lines) // 2], lines[len(lines) // 2 :]
    port = free_port()
    serve = ServeProcess(
        store_url,
        url,
        *("--partitions", str(PARTITIONS), "--no-ticks", "--batch-size", "8", "--ack-wait", "2"),
        *("--http", f"127.0.0.1:{port}"),
        folder=tmp_path,
    )
    try:
        serve.start().wait_serving()
        wait_until(lambda: len(serve.owned()) == PARTITIONS, 30, "serve to own every partition")
        # 1. Batches held inside their transactions; the server dies under them; they commit
        #    while it is down: their acknowledgements cannot go out until it is back.
        with inbox_locked(store_url) as holder:
            publish_lines(url, first, PARTITIONS)
            wait_until(
                lambda: blocked_by(store_url, holder) == PARTITIONS,
                30,
                "a batch of every partition to wait on the lock",
            )
            server.kill()
        wait_until(lambda: outcome_total(store_url) > 0, 30, "the held batches to commit")
        server.start()
        total = expected_outcomes(first, PARTITIONS)
        wait_until(lambda: outcome_total(store_url) == total, 60, "the first half applied")
        wait_until(lambda: all_acknowledged(url, PARTITIONS), 60, "the first half acknowledged")
        # 2. Killed right after those acknowledgements (the server may lose the latest ones)
        #    and left down until serve's fetches fail; fed again after the restart: serve
        #    reconnects and fetches the rest.
        fetches_failed = serve.log.count("fetch failed")
        server.kill()
        wait_until(
            lambda: serve.log.count("fetch failed") >= fetches_failed + PARTITIONS,
            30,
            "serve's fetches to fail while the server is down",
        )
        status, body = http_get(port, "/readyz")
        assert status == 503, body
        assert "bus: failed" in body
        server.start()
        wait_until(lambda: http_get(port, "/readyz")[0] == 200, 30, "serve to be ready again")
        publish_lines(url, second, PARTITIONS)
        total = expected_outcomes(lines, PARTITIONS)
        wait_until(lambda: outcome_total(store_url) == total, 60, "the second half applied")
        wait_until(lambda: all_acknowledged(url, PARTITIONS), 60, "everything acknowledged")
        assert serve.terminate() == 0, serve.log
    finally:
        serve.stop_quietly()
    log = serve.log
    assert "disconnected from NATS" in log
    assert "reconnected to NATS" in log
    assert "given up" not in log
    reference = postgres_server.create_schema(postgres_url)
    run_file(lines, reference)
    served, ran = comparable(store_url), comparable(reference)
    assert served == ran
    assert served["nodes"]
    assert served["events"]
    # the relay published every event once (SIGTERM flushed it), whatever the server lost
    assert sorted(published_event_ids(url, PARTITIONS)) == sorted(stored_event_ids(store_url))
