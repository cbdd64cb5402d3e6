"""``onex-registration serve`` as a real process on a private nats-server: what it leaves
equals ``run`` on the same file (SQLite and PostgreSQL), SIGTERM exits 0 with nothing left to
redeliver, a poison message does not block its partition, and bad input is one line."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
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
from omnibase_infra.models import partition_hash
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


@pytest.mark.live
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


HEARTBEAT = "onex.evt.platform.node-heartbeat.v1"


def _poisons(node: str) -> list[tuple[bytes, EnumDeadLetterReason]]:
    """Messages of ``node`` that can never be applied, each with the reason it must get."""

    def envelope(payload_type: str, **changes: Any) -> bytes:
        payload = {
            "node_id": node,
            "epoch": 1,
            "uptime_seconds": 1.0,
            "active_operations": 0,
            "timestamp": "2026-03-01T12:00:00Z",
            **changes,
        }
        wire = {
            "envelope_id": str(uuid.uuid4()),
            "envelope_timestamp": "2026-03-01T12:00:00Z",
            "topic": HEARTBEAT,
            "payload_type": payload_type,
            "payload": payload,
        }
        return json.dumps(wire).encode()

    return [
        (b'{"envelope_id": "not JSON after all', EnumDeadLetterReason.UNPARSEABLE),
        (b"\xff\xfe not even UTF-8", EnumDeadLetterReason.UNPARSEABLE),
        (envelope("ModelNodeHeartbeatEvent", epoch="one"), EnumDeadLetterReason.INVALID_PAYLOAD),
        (envelope("ModelNoSuchPayload"), EnumDeadLetterReason.UNROUTABLE),
        # close to the server's max_payload (1 MiB): stored and read back whole
        (
            envelope("ModelNodeHeartbeatEvent", padding="x" * 900_000),
            EnumDeadLetterReason.INVALID_PAYLOAD,
        ),
        # nested deeper than the JSON decoder recurses: refused, the worker unharmed
        (b"[" * 100_000 + b"]" * 100_000, EnumDeadLetterReason.UNPARSEABLE),
    ]


def test_poison_messages_are_dead_lettered_acknowledged_and_the_node_goes_on(
    nats_private_server: NatsTestServer, tmp_path: Path
) -> None:
    """Between a node's introspection and the rest of its messages, in its own partition:
    bytes that are not JSON, invalid UTF-8, an invalid payload, an unroutable payload type, a
    message of 900 kB and JSON nested too deep. Each is dead-lettered with its reason and
    acknowledged, the node's later messages are applied, and the store equals ``run`` on the
    same lines."""
    from omnibase_infra.bus import EventBusNats

    url = nats_private_server.url
    store_url = f"sqlite:///{tmp_path / 'served.db'}"
    lines = history_lines()
    # a node announced again later (a restart or a shutdown: events after the poison)
    introspections = [i for i, line in enumerate(lines) if '"ModelNodeIntrospectionEvent"' in line]
    first, node = next(
        (i, node)
        for i in introspections
        for node in [json.loads(lines[i])["payload"]["node_id"]]
        if any(j > i and node in lines[j] for j in introspections)
    )
    poisons = _poisons(node)
    before, after = lines[: first + 1], lines[first + 1 :]
    assert any(node in line for line in after)

    async def publish_poisons() -> None:
        bus = await EventBusNats.connect(url, bus_settings(PARTITIONS), setup=False)
        try:
            for number, (value, _) in enumerate(poisons):
                await bus.publish(HEARTBEAT, value, idempotency_id=f"poison-{number}", key=node)
        finally:
            await bus.close()

    publish_lines(url, before, PARTITIONS)
    asyncio.run(publish_poisons())
    publish_lines(url, after, PARTITIONS)
    serve = ServeProcess(
        store_url, url, "--partitions", str(PARTITIONS), "--no-ticks", folder=tmp_path
    )
    try:
        serve.start().wait_serving()
        # the poison messages have inbox records too (keyed by partition and sequence)
        total = expected_outcomes(lines, PARTITIONS) + len(poisons)
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
    partition = f"{INPUT_STREAM}/{partition_hash(uuid.UUID(node)) % PARTITIONS}"
    assert sorted((d.reason, d.source) for d in letters) == sorted(
        (reason, partition) for _, reason in poisons
    )
    reference = f"sqlite:///{tmp_path / 'ran.db'}"
    run_file([*before, *(value for value, _ in poisons), *after], reference)
    served, ran = comparable(store_url), comparable(reference)
    assert served == ran
    assert len(served["events"][node]) > 2  # registered, active, then what followed the poison


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


# --- several processes (PostgreSQL leases) --------------------------------------------------------


def _pair(store_url: str, url: str, folder: Path, *extra: str) -> tuple[ServeProcess, ServeProcess]:
    args = ("--partitions", "4", "--no-ticks", "--ack-wait", "2", "--batch-size", "32", *extra)
    a = ServeProcess(store_url, url, *args, folder=folder).start()
    b = ServeProcess(store_url, url, *args, folder=folder).start()
    a.wait_serving()
    b.wait_serving()
    wait_until(
        lambda: len(a.owned()) == 2 and len(b.owned()) == 2,
        30,
        "two processes to own two partitions each",
    )
    assert a.owned().isdisjoint(b.owned())
    return a, b


@pytest.mark.live
def test_two_processes_share_the_partitions_and_together_end_as_run_ends(
    nats_private_server: NatsTestServer, postgres_server: Any, postgres_url: str, tmp_path: Path
) -> None:
    store_url = postgres_server.create_schema(postgres_url)
    reference = postgres_server.create_schema(postgres_url)
    url = nats_private_server.url
    lines = history_lines()
    a, b = _pair(store_url, url, tmp_path)
    try:
        report = publish_lines(url, lines, 4)
        total = expected_outcomes(lines, 4)
        wait_until(lambda: outcome_total(store_url) == total, 60, "both to apply everything")
        assert a.terminate() == 0, a.log
        assert b.terminate() == 0, b.log
    finally:
        a.stop_quietly()
        b.stop_quietly()
    # each applied its own half: every stored message committed once, by one of them
    assert a.committed() > 0
    assert b.committed() > 0
    assert a.committed() + b.committed() == report.copies - report.duplicates
    assert _pending(url, 4) == [(0, 0)] * 4
    run_file(lines, reference)
    assert comparable(store_url) == comparable(reference)


@pytest.mark.live
def test_when_one_of_two_processes_is_killed_the_other_takes_its_partitions_over(
    nats_private_server: NatsTestServer, postgres_server: Any, postgres_url: str, tmp_path: Path
) -> None:
    store_url = postgres_server.create_schema(postgres_url)
    reference = postgres_server.create_schema(postgres_url)
    url = nats_private_server.url
    lines = history_lines()
    half = len(lines) // 2
    a, b = _pair(store_url, url, tmp_path)
    try:
        publish_lines(url, lines[:half], 4)
        wait_until(
            lambda: outcome_total(store_url) == expected_outcomes(lines[:half], 4),
            60,
            "the first half",
        )
        b.kill()
        killed_at = time.monotonic()
        wait_until(lambda: len(a.owned()) == 4, 30, "the survivor to take every partition")
        takeover = time.monotonic() - killed_at
        publish_lines(url, lines[half:], 4)
        total = expected_outcomes(lines, 4)
        wait_until(lambda: outcome_total(store_url) == total, 60, "the survivor to apply the rest")
        assert a.terminate() == 0, a.log
    finally:
        a.stop_quietly()
        b.stop_quietly()
    print(f"takeover after SIGKILL: {takeover:.2f} s")
    assert _pending(url, 4) == [(0, 0)] * 4
    run_file(lines, reference)
    served = comparable(store_url)
    assert served == comparable(reference)
    assert all(d["reason"] != "misrouted_partition" for d in served["dead_letters"])


def test_a_second_process_on_one_sqlite_store_is_refused_in_one_line(
    nats_private_server: NatsTestServer, tmp_path: Path
) -> None:
    store_url = f"sqlite:///{tmp_path / 'one.db'}"
    first = ServeProcess(store_url, nats_private_server.url, folder=tmp_path).start()
    try:
        first.wait_serving()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "omnibase_infra.cli",
                "serve",
                "--store",
                store_url,
                "--bus",
                nats_private_server.url,
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        assert first.terminate() == 0
    finally:
        first.stop_quietly()
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("onex-registration: error: ")
    assert "is already served by" in done.stderr


def test_health_and_metrics_are_served_over_http(
    nats_private_server: NatsTestServer, tmp_path: Path
) -> None:
    import urllib.request

    port = _free_port()
    store_url = f"sqlite:///{tmp_path / 'served.db'}"
    lines = history_lines(nodes=4, minutes=5)
    publish_lines(nats_private_server.url, lines, PARTITIONS)
    serve = ServeProcess(
        store_url,
        nats_private_server.url,
        "--partitions",
        str(PARTITIONS),
        "--no-ticks",
        "--http",
        f"127.0.0.1:{port}",
        folder=tmp_path,
    ).start()

    def get(path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
                return int(answer.status), answer.read().decode()
        except urllib.error.HTTPError as refused:
            return int(refused.code), refused.read().decode()

    try:
        serve.wait_serving()
        total = expected_outcomes(lines, PARTITIONS)
        wait_until(lambda: outcome_total(store_url) == total, 60, "serve to apply everything")
        assert get("/livez")[0] == 200
        status, body = get("/readyz")
        assert status == 200, body
        assert f"consumers: ok: owning [0, 1, 2] of {PARTITIONS}" in body
        published = f"onex_registration_relay_published_events_total {float(_events(store_url))}"
        idle = [f'onex_registration_pending_messages{{partition="{k}"}} 0.0' for k in range(3)]
        wait_until(
            lambda: all(line in get("/metrics")[1] for line in [published, *idle]),
            30,
            "the relay to publish it all and the backlog gauges to reach 0",
        )
        metrics = get("/metrics")[1]
        assert serve.terminate() == 0, serve.log
    finally:
        serve.stop_quietly()
    applied = [
        line
        for line in metrics.splitlines()
        if line.startswith('onex_registration_messages_total{outcome="applied",reason=""}')
    ]
    assert applied == [
        f'onex_registration_messages_total{{outcome="applied",reason=""}} {float(total)}'
    ]
    assert "onex_registration_partitions_owned 3.0" in metrics
    assert 'onex_registration_lease_changes_total{kind="acquired"} 3.0' in metrics
    assert "onex_registration_relay_lag_events 0.0" in metrics


def _events(store_url: str) -> int:
    store = open_store(store_url)
    try:
        return store.last_sequence()
    finally:
        store.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.live
def test_a_stop_longer_than_the_shutdown_timeout_exits_1_in_one_line(
    nats_private_server: NatsTestServer, tmp_path: Path
) -> None:
    serve = ServeProcess(
        f"sqlite:///{tmp_path / 's.db'}",
        nats_private_server.url,
        "--shutdown-timeout",
        "0.001",
        folder=tmp_path,
    ).start()
    try:
        serve.wait_serving()
        status = serve.terminate()
    finally:
        serve.stop_quietly()
    assert status == 1
    last = serve.log.splitlines()[-1]
    assert last.startswith(
        "onex-registration: error: stopping took longer than --shutdown-timeout 0.001 s"
    )
