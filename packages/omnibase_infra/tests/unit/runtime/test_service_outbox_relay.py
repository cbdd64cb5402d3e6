"""The outbox relay on every store, with the in-memory bus: commit order, a cursor moved only
after the bus stored the batch, one relay at a time, fencing, and a drain on stop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from omnibase_core.bus import EventBusInMemory
from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import (
    ModelBusMessage,
    ModelBusOutboundMessage,
    ModelBusPartition,
    ModelBusPublishResult,
    ModelBusStreamSettings,
    ModelEventBusSettings,
)
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.cli.cli_views import event_json
from omnibase_infra.enums import EnumLifecycleEventType
from omnibase_infra.models import ModelLifecycleEvent
from omnibase_infra.runtime.service_outbox_relay import ServiceOutboxRelay, event_bytes
from omnibase_infra.stores import ProtocolRegistrationStore, open_store

OUTPUT = "events"
TOPICS = tuple(sorted({kind.topic for kind in EnumLifecycleEventType}))
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory"),
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProtocolRegistrationStore]:
    url = "memory://"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'registration.db'}"
    elif request.param == "postgresql":
        url = str(request.getfixturevalue("postgres_fresh_url"))
    opened = open_store(url)
    yield opened
    opened.close()


def new_bus() -> EventBusInMemory:
    stream = ModelBusStreamSettings(name=OUTPUT, topics=TOPICS, partitions=1, max_batch=1000)
    return EventBusInMemory(ModelEventBusSettings(streams=(stream,)))


def commit_events(store: ProtocolRegistrationStore, count: int) -> list[ModelLifecycleEvent]:
    """Commit ``count`` events over a few transactions; returns them as the store keeps them."""
    kinds = list(EnumLifecycleEventType)
    before = store.last_sequence()
    for start in range(0, count, 7):
        with store.transaction() as txn:
            txn.append_events(
                [
                    ModelLifecycleEvent.create(
                        kinds[i % len(kinds)],
                        node_id=uuid4(),
                        causation_id=uuid4(),
                        correlation_id=UUID(int=i),
                        emitted_at=T0,
                        position=0,
                    )
                    for i in range(start, min(start + 7, count))
                ]
            )
    return list(store.iter_events(after_sequence=before))


async def read_output(bus: EventBusInMemory) -> list[ModelBusMessage]:
    part = ModelBusPartition(stream=OUTPUT, index=0)
    if part not in bus.assignment():
        await bus.assign([part])
    out: list[ModelBusMessage] = []
    while batch := await bus.fetch(part, 1000, 0):
        out.extend(batch)
        await bus.ack_through(batch[-1])
    return out


def test_events_are_published_in_commit_order_and_the_cursor_follows(
    store: ProtocolRegistrationStore,
) -> None:
    events = commit_events(store, 25)
    bus = new_bus()

    async def scenario() -> None:
        with store.open_leases("a") as leases:
            relay = ServiceOutboxRelay(store, bus, leases, max_events=10)
            assert [await relay.relay_once() for _ in range(4)] == [10, 10, 5, 0]
            assert relay.is_relaying
            assert (relay.cursor, relay.lag, relay.published, relay.duplicates) == (25, 0, 25, 0)
            assert store.relay_cursor("relay") == 25
            more = commit_events(store, 3)
            assert await relay.relay_once(2) == 2
            assert relay.lag == 1
            assert await relay.relay_once() == 1
            events.extend(more)
        output = await read_output(bus)
        assert [m.value for m in output] == [event_bytes(e) for e in events]
        assert [m.topic for m in output] == [e.topic for e in events]
        assert [m.key for m in output] == [str(e.node_id) for e in events]

    asyncio.run(scenario())


def test_a_relay_resumes_from_the_stored_cursor(store: ProtocolRegistrationStore) -> None:
    commit_events(store, 12)
    bus = new_bus()

    async def scenario() -> None:
        with store.open_leases("first") as leases:
            assert await ServiceOutboxRelay(store, bus, leases).relay_once(5) == 5
        with store.open_leases("second") as leases:
            relay = ServiceOutboxRelay(store, bus, leases)
            assert await relay.relay_once() == 7
            assert relay.duplicates == 0
        assert len(await read_output(bus)) == 12

    asyncio.run(scenario())


class _TakeoverDuringPublish:
    """A bus that, while the first batch is being published, lets the lease move on."""

    def __init__(self, bus: EventBusInMemory, takeover: Any) -> None:
        self._bus = bus
        self._takeover = takeover
        self.settings = bus.settings

    async def publish_batch(
        self, messages: Sequence[ModelBusOutboundMessage]
    ) -> tuple[ModelBusPublishResult, ...]:
        results = await self._bus.publish_batch(messages)
        if self._takeover is not None:
            await asyncio.to_thread(self._takeover)
            self._takeover = None
        return results


def test_a_relay_whose_lease_moved_during_the_publish_stops_and_the_next_deduplicates(
    store: ProtocolRegistrationStore,
) -> None:
    events = commit_events(store, 9)
    inner = new_bus()

    async def scenario() -> None:
        with store.open_leases("a") as leases:

            def takeover() -> None:  # the lease is lost and taken again (a new token)
                leases.release("relay")
                assert leases.try_acquire("relay") is not None

            bus: Any = _TakeoverDuringPublish(inner, takeover)
            stale = ServiceOutboxRelay(store, bus, leases)
            assert await stale.relay_once() == 0
            assert store.relay_cursor("relay") == 0
            assert stale.published == 9
            successor = ServiceOutboxRelay(store, inner, leases)
            assert await successor.relay_once() == 9
            assert successor.duplicates == 9
            assert store.relay_cursor("relay") == events[-1].sequence
        output = await read_output(inner)
        assert [m.value for m in output] == [event_bytes(e) for e in events]

    asyncio.run(scenario())


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def shared_store(request: pytest.FixtureRequest) -> Iterator[ProtocolRegistrationStore]:
    """A store several lease managers may share (a SQLite file admits one)."""
    url = (
        "memory://" if request.param == "memory" else request.getfixturevalue("postgres_fresh_url")
    )
    opened = open_store(str(url))
    yield opened
    opened.close()


def test_only_the_lease_holder_relays(shared_store: ProtocolRegistrationStore) -> None:
    store = shared_store
    commit_events(store, 4)
    bus = new_bus()

    async def scenario() -> None:
        with store.open_leases("a") as a, store.open_leases("b") as b:
            first = ServiceOutboxRelay(store, bus, a)
            second = ServiceOutboxRelay(store, bus, b)
            assert await first.relay_once() == 4
            commit_events(store, 2)
            assert await second.relay_once() == 0
            assert not second.is_relaying
            a.release("relay")
            assert await second.relay_once() == 2
            assert await first.relay_once() == 0
        assert len(await read_output(bus)) == 6

    asyncio.run(scenario())


def test_run_relays_until_stopped_then_drains_and_releases_the_lease(
    store: ProtocolRegistrationStore,
) -> None:
    commit_events(store, 30)
    bus = new_bus()

    async def scenario() -> None:
        with store.open_leases("a") as leases:
            relay = ServiceOutboxRelay(store, bus, leases, max_events=7)
            stop = asyncio.Event()
            task = asyncio.create_task(relay.run(stop, poll_seconds=0.01))
            while relay.cursor < 30:
                await asyncio.sleep(0.01)
            await asyncio.to_thread(commit_events, store, 20)
            stop.set()
            await asyncio.wait_for(task, 60)
            assert store.relay_cursor("relay") == 50
            assert "relay" not in leases.held()
        assert len(await read_output(bus)) == 50

    asyncio.run(scenario())


@pytest.mark.parametrize("bad", [0, -1, 10_001, True, 2.0, "5"], ids=repr)
def test_a_bad_max_events_is_refused(bad: Any) -> None:
    store = open_store("memory://")
    with store.open_leases("a") as leases:
        with pytest.raises(ModelOnexError, match="max_events must be a whole number") as caught:
            ServiceOutboxRelay(store, new_bus(), leases, max_events=bad)
        assert caught.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
        relay = ServiceOutboxRelay(store, new_bus(), leases)
        with pytest.raises(ModelOnexError, match="max_events must be a whole number"):
            asyncio.run(relay.relay_once(bad))


@pytest.mark.parametrize("bad", [0, -0.5, float("nan")], ids=repr)
def test_a_bad_poll_interval_or_name_is_refused(bad: float) -> None:
    store = open_store("memory://")
    with store.open_leases("a") as leases:
        relay = ServiceOutboxRelay(store, new_bus(), leases)
        with pytest.raises(ModelOnexError, match="poll_seconds must be a positive number"):
            asyncio.run(relay.run(asyncio.Event(), bad))
        with pytest.raises(ModelOnexError, match="lease name"):
            ServiceOutboxRelay(store, new_bus(), leases, name="")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"node_name": "n", "epoch": 3, "capabilities": {"a": [1, 1.5e300, None, True]}},
        {"text": 'é\u2028"\n\x01\ud7ff', "n": -(2**63), "f": 0.1},
    ],
    ids=["no-data", "nested", "escapes"],
)
def test_a_published_event_is_the_line_events_json_prints(data: dict[str, Any]) -> None:
    event = ModelLifecycleEvent.create(
        EnumLifecycleEventType.NODE_BECAME_ACTIVE,
        node_id=uuid4(),
        causation_id=uuid4(),
        correlation_id=uuid4(),
        emitted_at=datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC),
        position=0,
        data=data,
    ).model_copy(update={"sequence": 7})
    assert event_bytes(event) == event_json(event).encode("utf-8")
