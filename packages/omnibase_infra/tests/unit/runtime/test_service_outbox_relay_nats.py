"""The outbox relay on a real nats-server (one per test: the output topics are fixed, and a
server's streams may not share subjects): a relay SIGKILLed between the publish and the cursor
move leaves exactly one stored output message per event once the next relay has run."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from nats_fixtures import nats_private_server
from nats_server import NatsTestServer

from omnibase_core.models.bus import (
    ModelBusMessage,
    ModelBusPartition,
    ModelBusStreamSettings,
    ModelBusUnavailableError,
    ModelEventBusSettings,
)
from omnibase_infra.bus import EventBusNats
from omnibase_infra.enums import EnumLifecycleEventType
from omnibase_infra.models import ModelLifecycleEvent
from omnibase_infra.runtime.service_outbox_relay import ServiceOutboxRelay, event_bytes
from omnibase_infra.stores import ProtocolRegistrationStore, open_store

pytestmark = pytest.mark.nats
__all__ = ["nats_private_server"]

TOPICS = tuple(sorted({kind.topic for kind in EnumLifecycleEventType}))
PARTITIONS = 2

#: A relay process that dies by SIGKILL exactly when it would move its cursor: after the bus
#: stored the batch, before the store records it.
DOOMED_RELAY = """
import asyncio, os, signal, sys
from omnibase_core.models.bus import ModelBusStreamSettings, ModelEventBusSettings
from omnibase_infra.bus import EventBusNats
from omnibase_infra.runtime.service_outbox_relay import ServiceOutboxRelay
from omnibase_infra.stores import open_store

store_url, bus_url, stream, topics = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]


class KilledBeforeTheCursorMoves:
    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def advance_relay_cursor(self, name, sequence, token):
        print(f"published through {sequence}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)


async def main():
    settings = ModelEventBusSettings(streams=(ModelBusStreamSettings(
        name=stream, topics=tuple(topics.split(",")), partitions=2, max_batch=1000,
        duplicate_window_seconds=600),))
    bus = await EventBusNats.connect(bus_url, settings)
    store = open_store(store_url)
    leases = store.open_leases("doomed")
    await ServiceOutboxRelay(KilledBeforeTheCursorMoves(store), bus, leases).relay_once()
    print("not killed", flush=True)


asyncio.run(main())
"""


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registration.db'}"
    return str(request.getfixturevalue("postgres_fresh_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[ProtocolRegistrationStore]:
    opened = open_store(store_url)
    yield opened
    opened.close()


def _settings(stream: str) -> ModelEventBusSettings:
    output = ModelBusStreamSettings(
        name=stream,
        topics=TOPICS,
        partitions=PARTITIONS,
        max_batch=1000,
        duplicate_window_seconds=600,
    )
    return ModelEventBusSettings(streams=(output,))


def _commit(store: ProtocolRegistrationStore, count: int) -> list[ModelLifecycleEvent]:
    kinds = list(EnumLifecycleEventType)
    nodes = [uuid4() for _ in range(5)]
    with store.transaction() as txn:
        txn.append_events(
            [
                ModelLifecycleEvent.create(
                    kinds[i % len(kinds)],
                    node_id=nodes[i % len(nodes)],
                    causation_id=uuid4(),
                    correlation_id=uuid4(),
                    emitted_at=datetime(2026, 3, 1, tzinfo=UTC),
                    position=0,
                )
                for i in range(count)
            ]
        )
    return list(store.iter_events())


async def _stored_output(bus: EventBusNats, stream: str) -> list[ModelBusMessage]:
    """Every message stored in the output stream (all partitions), each read once."""
    parts = [ModelBusPartition(stream=stream, index=k) for k in range(PARTITIONS)]
    await bus.assign(parts)
    out: list[ModelBusMessage] = []
    for part in parts:
        while batch := await bus.fetch(part, 1000, 0.5):
            out.extend(batch)
            await bus.ack_through(batch[-1])
    return out


def test_a_relay_killed_between_publish_and_cursor_move_leaves_one_copy_per_event(
    nats_private_server: NatsTestServer, store: ProtocolRegistrationStore, store_url: str
) -> None:
    events = _commit(store, 40)
    stream = f"relay-{uuid.uuid4().hex[:10]}"
    doomed = subprocess.run(
        [
            sys.executable,
            "-c",
            DOOMED_RELAY,
            store_url,
            nats_private_server.url,
            stream,
            ",".join(TOPICS),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert doomed.returncode == -9, doomed.stderr
    assert doomed.stdout.strip() == f"published through {events[-1].sequence}"
    assert store.relay_cursor("relay") == 0

    async def successor() -> None:
        bus = await EventBusNats.connect(nats_private_server.url, _settings(stream))
        try:
            with store.open_leases("successor") as leases:
                relay = ServiceOutboxRelay(store, bus, leases)
                assert await relay.relay_once() == 40
                assert relay.duplicates == 40
                assert await relay.relay_once() == 0
            assert store.relay_cursor("relay") == events[-1].sequence
            output = await _stored_output(bus, stream)
        finally:
            await bus.close()
        assert sorted(m.idempotency_id or "" for m in output) == sorted(
            str(e.event_id) for e in events
        )
        by_id = {str(e.event_id): e for e in events}
        for message in output:
            event = by_id[message.idempotency_id or ""]
            assert (message.topic, message.key) == (event.topic, str(event.node_id))
            assert message.value == event_bytes(event)
        for node in {e.node_id for e in events}:  # a node's events keep their commit order
            published = [m.idempotency_id for m in output if m.key == str(node)]
            assert published == [str(e.event_id) for e in events if e.node_id == node]

    asyncio.run(successor())


def test_a_relay_rides_out_a_nats_server_crash_without_losing_or_doubling(
    nats_private_server: NatsTestServer, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'registration.db'}")
    events = _commit(store, 30)
    stream = f"relay-{uuid.uuid4().hex[:10]}"
    settings = _settings(stream).model_copy(update={"operation_timeout_seconds": 1.0})

    async def scenario() -> None:
        bus = await EventBusNats.connect(nats_private_server.url, settings)
        try:
            with store.open_leases("relay-process") as leases:
                relay = ServiceOutboxRelay(store, bus, leases, max_events=10)
                assert await relay.relay_once() == 10
                nats_private_server.kill()
                with pytest.raises(ModelBusUnavailableError):
                    await relay.relay_once()
                assert store.relay_cursor("relay") == events[9].sequence
                stop = asyncio.Event()
                running = asyncio.create_task(relay.run(stop, poll_seconds=0.05))
                await asyncio.sleep(0.5)  # run() keeps trying while the server is down
                assert not running.done()
                await asyncio.to_thread(nats_private_server.start)
                while store.relay_cursor("relay") < (events[-1].sequence or 0):
                    await asyncio.sleep(0.05)
                stop.set()
                await asyncio.wait_for(running, 60)
            output = await _stored_output(bus, stream)
        finally:
            await bus.close()
        assert sorted(m.idempotency_id or "" for m in output) == sorted(
            str(e.event_id) for e in events
        )

    try:
        asyncio.run(scenario())
    finally:
        store.close()
