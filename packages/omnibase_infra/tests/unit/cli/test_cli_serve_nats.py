"""``onex-registration serve`` as a real process on a private nats-server: what it leaves
equals ``run`` on the same file (SQLite and PostgreSQL), SIGTERM exits 0 with nothing left to
redeliver, a poison message does not block its partition, and bad input is one line."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import nats
import pytest
from nats_fixtures import nats_private_server
from nats_server import NatsTestServer
from serve_support import (
    ServeProcess,
    bus_settings,
    comparable,
    expected_outcomes,
    history_lines,
    outcome_total,
    publish_lines,
    run_file,
    wait_until,
)

from omnibase_infra.enums import EnumDeadLetterReason
from omnibase_infra.nodes.node_registration_orchestrator.registration_bus import INPUT_STREAM
from omnibase_infra.stores.store_factory import open_store

pytestmark = pytest.mark.nats
__all__ = ["nats_private_server"]
PARTITIONS = 3


def _pending(url: str, partitions: int) -> list[tuple[int, int]]:
    """``(unacknowledged, not yet delivered)`` per partition of the input stream."""

    async def look() -> list[tuple[int, int]]:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            found = []
            for k in range(partitions):
                info = await js.consumer_info(f"{INPUT_STREAM}-{k}", "onex")
                found.append((info.num_ack_pending, info.num_pending))
            return found
        finally:
            await nc.close()

    return asyncio.run(look())


def _serve_equals_run(
    store_url: str, reference_url: str, server: NatsTestServer, folder: Path, *, restart: bool
) -> None:
    lines = history_lines()
    publish_lines(server.url, lines, PARTITIONS)
    args = ("--partitions", str(PARTITIONS), "--no-ticks", "--batch-size", "32")
    serve = ServeProcess(store_url, server.url, *args, folder=folder)
    total = expected_outcomes(lines, PARTITIONS)
    try:
        serve.start().wait_serving()
        wait_until(lambda: outcome_total(store_url) == total, 60, "serve to apply every message")
        assert serve.terminate() == 0, serve.log
    finally:
        serve.stop_quietly()
    assert "stopped" in serve.log
    assert "given up" not in serve.log
    assert _pending(server.url, PARTITIONS) == [(0, 0)] * PARTITIONS
    if restart:  # a restart finds nothing to deliver again
        again = ServeProcess(store_url, server.url, *args, folder=folder)
        try:
            again.start().wait_serving()
            wait_until(lambda: len(again.owned()) == PARTITIONS, 30, "the restart to own all")
            assert again.terminate() == 0, again.log
        finally:
            again.stop_quietly()
        assert outcome_total(store_url) == total
    run_file(lines, reference_url)
    served, ran = comparable(store_url), comparable(reference_url)
    assert served == ran
    assert served["nodes"]
    assert served["events"]


def test_serve_on_sqlite_ends_as_run_ends_and_a_clean_stop_leaves_nothing_to_redeliver(
    nats_private_server: NatsTestServer, tmp_path: Path
) -> None:
    _serve_equals_run(
        f"sqlite:///{tmp_path / 'served.db'}",
        f"sqlite:///{tmp_path / 'ran.db'}",
        nats_private_server,
        tmp_path,
        restart=True,
    )


def test_serve_on_postgresql_ends_as_run_ends(
    nats_private_server: NatsTestServer, postgres_server: Any, postgres_url: str, tmp_path: Path
) -> None:
    _serve_equals_run(
        postgres_server.create_schema(postgres_url),
        postgres_server.create_schema(postgres_url),
        nats_private_server,
        tmp_path,
        restart=False,
    )


def test_a_poison_message_on_the_bus_is_dead_lettered_and_its_partition_goes_on(
    nats_private_server: NatsTestServer, tmp_path: Path
) -> None:
    from omnibase_infra.bus import EventBusNats

    url = nats_private_server.url
    store_url = f"sqlite:///{tmp_path / 'served.db'}"
    lines = history_lines(nodes=6, minutes=5)

    async def poison() -> None:
        bus = await EventBusNats.connect(url, bus_settings(PARTITIONS))
        try:
            for k in range(PARTITIONS):
                await bus.publish(
                    "onex.evt.platform.node-heartbeat.v1",
                    b"\xff\xfe not even UTF-8",
                    idempotency_id=f"poison-{k}",
                    partition=k,
                )
        finally:
            await bus.close()

    asyncio.run(poison())
    publish_lines(url, lines, PARTITIONS)
    serve = ServeProcess(
        store_url, url, "--partitions", str(PARTITIONS), "--no-ticks", folder=tmp_path
    )
    try:
        serve.start().wait_serving()
        # the poison messages have inbox records too (keyed by partition and sequence)
        total = expected_outcomes(lines, PARTITIONS) + PARTITIONS
        wait_until(lambda: outcome_total(store_url) == total, 60, "the messages after the poison")
        assert serve.terminate() == 0, serve.log
    finally:
        serve.stop_quietly()
    assert _pending(url, PARTITIONS) == [(0, 0)] * PARTITIONS
    store = open_store(store_url)
    try:
        letters = store.list_dead_letters()
    finally:
        store.close()
    assert sorted((d.reason, d.source, d.line_number) for d in letters) == [
        (EnumDeadLetterReason.UNPARSEABLE, f"{INPUT_STREAM}/{k}", 1) for k in range(PARTITIONS)
    ]


def test_a_partition_count_other_than_the_streams_is_refused(
    nats_private_server: NatsTestServer, tmp_path: Path
) -> None:
    publish_lines(nats_private_server.url, history_lines(nodes=2, minutes=5)[:3], 3)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "omnibase_infra.cli",
            "serve",
            "--store",
            f"sqlite:///{tmp_path / 's.db'}",
            "--bus",
            nats_private_server.url,
            "--partitions",
            "2",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last.startswith("onex-registration: error: JetStream stream 'onex-registration-0'")
    assert "partition count" in last
    assert "Traceback" not in done.stderr
