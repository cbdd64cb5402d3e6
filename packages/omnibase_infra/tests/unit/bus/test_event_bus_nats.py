"""What EventBusNats does on a real nats-server beyond the conformance suite: how it lays out
streams, consumers and subjects, how it refuses a conflicting layout, and what a server crash
does to it (SIGKILL and restart on the same port and store)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import nats
import pytest
from nats.js import api
from nats_fixtures import nats_private_server, nats_server
from nats_server import NatsTestServer

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import (
    ModelBusMessage,
    ModelBusOutboundMessage,
    ModelBusPartition,
    ModelBusStreamSettings,
    ModelBusUnavailableError,
    ModelEventBusSettings,
)
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.bus import EventBusNats, ModelNatsBusOptions
from omnibase_infra.models import partition_hash
from omnibase_infra.utils import mask_url

pytestmark = pytest.mark.nats
__all__ = ["nats_private_server", "nats_server"]
T = TypeVar("T")
#: Longer than JetStream takes to write a consumer's acknowledgements (under 1 s on 2.9).
PERSISTED_AFTER_SECONDS = 1.5


def stream_settings(**overrides: Any) -> ModelBusStreamSettings:
    name = f"n{uuid.uuid4().hex[:10]}"
    values: dict[str, Any] = {
        "name": name,
        "topics": (f"it.{name}.heartbeat", f"it.{name}.tick"),
        "partitions": 3,
        "max_batch": 20,
        "ack_wait_seconds": 5,
        **overrides,
    }
    return ModelBusStreamSettings(**values)


def settings_of(stream: ModelBusStreamSettings) -> ModelEventBusSettings:
    return ModelEventBusSettings(streams=(stream,), operation_timeout_seconds=10)


async def with_raw(url: str, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(jetstream)`` on a plain nats-py connection (to look behind the bus)."""
    nc = await nats.connect(url)
    try:
        return await work(nc.jetstream())
    finally:
        await nc.close()


def test_streams_and_consumers_carry_the_settings_and_setup_is_idempotent(
    nats_server: NatsTestServer,
) -> None:
    stream = stream_settings(duplicate_window_seconds=90)

    async def scenario() -> None:
        for _ in range(2):
            await (await EventBusNats.connect(nats_server.url, settings_of(stream))).close()

        async def look(js: Any) -> None:
            for k in range(3):
                info = await js.stream_info(f"{stream.name}-{k}")
                assert sorted(info.config.subjects) == sorted(
                    f"{topic}.{k}.*" for topic in stream.topics
                )
                assert info.config.description.endswith(f"partition {k} of 3")
                assert info.config.duplicate_window == 90
                assert info.config.storage == api.StorageType.FILE
                consumer = await js.consumer_info(f"{stream.name}-{k}", "onex")
                assert consumer.config.ack_policy == api.AckPolicy.ALL
                assert consumer.config.max_ack_pending == 20
                assert consumer.config.ack_wait == 5
                assert consumer.config.max_deliver == -1

        await with_raw(nats_server.url, look)
        changed = stream.model_copy(update={"ack_wait_seconds": 7, "max_batch": 50})
        await (await EventBusNats.connect(nats_server.url, settings_of(changed))).close()

        async def updated(js: Any) -> tuple[float, int]:
            consumer = await js.consumer_info(f"{stream.name}-2", "onex")
            return consumer.config.ack_wait, consumer.config.max_ack_pending

        assert await with_raw(nats_server.url, updated) == (7, 50)

    asyncio.run(scenario())


def test_a_changed_partition_count_or_a_foreign_consumer_is_refused(
    nats_server: NatsTestServer,
) -> None:
    stream = stream_settings(partitions=2)

    async def scenario() -> None:
        await (await EventBusNats.connect(nats_server.url, settings_of(stream))).close()
        wider = stream.model_copy(update={"partitions": 3})
        with pytest.raises(ModelOnexError) as caught:
            await EventBusNats.connect(nats_server.url, settings_of(wider))
        assert caught.value.error_code == EnumCoreErrorCode.CONFIGURATION_ERROR
        assert "partition count" in caught.value.message

        other_group = stream.model_copy(update={"group": "explicit"})

        async def foreign(js: Any) -> None:
            config = api.ConsumerConfig(durable_name="explicit", ack_policy=api.AckPolicy.EXPLICIT)
            await js.add_consumer(f"{stream.name}-0", config)

        await with_raw(nats_server.url, foreign)
        with pytest.raises(ModelOnexError) as caught:
            await EventBusNats.connect(nats_server.url, settings_of(other_group))
        assert caught.value.error_code == EnumCoreErrorCode.CONFIGURATION_ERROR
        assert f"nats consumer rm {stream.name}-0 explicit" in caught.value.message

    asyncio.run(scenario())


def test_messages_are_stored_as_topic_partition_node_with_their_ids(
    nats_server: NatsTestServer,
) -> None:
    """Keyed messages land in ``<topic>.<k>.<node_id>`` of stream ``S-k``, k from the stores'
    partition hash; a broadcast copy lands in ``<topic>.<k>._`` with id ``<id>/<k>``."""
    stream = stream_settings()
    node = uuid.uuid4()
    k = partition_hash(node) % 3

    async def scenario() -> None:
        bus = await EventBusNats.connect(nats_server.url, settings_of(stream))
        keyed = await bus.publish(
            stream.topics[0], b"hb", key=str(node).upper(), idempotency_id="env-1",
            headers={"traceparent": "00-1"},
        )  # fmt: skip
        ticks = await bus.publish_to_all_partitions(stream.topics[1], b"t", idempotency_id="tk")
        await bus.close()
        assert keyed.partition == k

        async def look(js: Any) -> list[tuple[str, dict[str, str]]]:
            stored = [await js.get_msg(f"{stream.name}-{k}", keyed.sequence)]
            for tick in ticks:
                stored.append(await js.get_msg(f"{stream.name}-{tick.partition}", tick.sequence))
            return [(m.subject, dict(m.headers or {})) for m in stored]

        stored = await with_raw(nats_server.url, look)
        assert stored[0] == (
            f"{stream.topics[0]}.{k}.{node}",
            {"Nats-Msg-Id": "env-1", "traceparent": "00-1"},
        )
        assert stored[1:] == [
            (f"{stream.topics[1]}.{p}._", {"Nats-Msg-Id": f"tk/{p}"}) for p in range(3)
        ]

    asyncio.run(scenario())


def test_connecting_nowhere_or_with_a_bad_url_fails_clearly() -> None:
    settings = settings_of(stream_settings())
    options = ModelNatsBusOptions(connect_timeout_seconds=0.5)

    async def scenario() -> None:
        with pytest.raises(ModelBusUnavailableError) as caught:
            await EventBusNats.connect("nats://u:secret@127.0.0.1:9", settings, options)
        assert caught.value.retryable
        assert "secret" not in caught.value.message
        assert "nats://u:***@127.0.0.1:9" in caught.value.message
        with pytest.raises(ModelOnexError) as bad:
            await EventBusNats.connect("http://127.0.0.1:4222", settings, options)
        assert bad.value.error_code == EnumCoreErrorCode.INVALID_PARAMETER

    asyncio.run(scenario())
    assert mask_url("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"


def test_a_message_over_the_servers_max_payload_is_refused(nats_server: NatsTestServer) -> None:
    stream = stream_settings()

    async def scenario() -> None:
        bus = await EventBusNats.connect(nats_server.url, settings_of(stream))
        try:
            with pytest.raises(ModelOnexError) as caught:
                await bus.publish(
                    stream.topics[0], b"x" * (2 << 20), key=str(uuid.uuid4()), idempotency_id="big"
                )
            assert caught.value.error_code == EnumCoreErrorCode.INVALID_PARAMETER
            assert "max_payload" in caught.value.message
        finally:
            await bus.close()

    asyncio.run(scenario())


async def _consume_until(
    bus: EventBusNats, partition: ModelBusPartition, want: set[bytes], patience: float = 30
) -> list[ModelBusMessage]:
    """Fetch (riding out a reconnection) until every value in ``want`` was seen; ack each batch."""
    seen: list[ModelBusMessage] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while not want <= {m.value for m in seen}:
        assert loop.time() < deadline, f"missing {sorted(want - {m.value for m in seen})[:5]}"
        try:
            batch = await bus.fetch(partition, 20, 1.0)
            if batch:
                await bus.ack_through(batch[-1])
        except ModelBusUnavailableError:
            await asyncio.sleep(0.1)
            continue
        seen.extend(batch)
    return seen


def test_server_sigkill_and_restart_mid_stream_loses_nothing_and_stores_each_id_once(
    nats_private_server: NatsTestServer,
) -> None:
    """Kill the server with messages acknowledged (and written by the server), delivered but
    not committed, and not yet published; restart it on the same port and store.

    While it is down, keeping the batch alive and acknowledging fail at once; a publish is
    retried until the server is back and stores it. Publishing the same ids again stores
    nothing: every id is in the stream exactly once. The batch that was given up comes back
    whole and first, first deliveries in publish order; what was acknowledged does not.

    (JetStream writes consumer state asynchronously: an acknowledgement made in the moment
    before a SIGKILL can be lost, and on nats-server 2.9 it can even reset the consumer to the
    start of the stream. Nothing is lost then either; messages come again and the consumer's
    inbox absorbs them. Hence the pause before the crash here.)"""
    server = nats_private_server
    stream = stream_settings(partitions=1, ack_wait_seconds=0.5, max_batch=20)
    partition = ModelBusPartition(stream=stream.name, index=0)
    node = str(uuid.uuid4())

    def batch(ids: range) -> list[ModelBusOutboundMessage]:
        return [
            ModelBusOutboundMessage(
                topic=stream.topics[0], key=node, value=b"%d" % i, idempotency_id=f"id-{i}"
            )
            for i in ids
        ]

    async def scenario() -> None:
        bus = await EventBusNats.connect(
            server.url, settings_of(stream), ModelNatsBusOptions(reconnect_wait_seconds=0.1)
        )
        try:
            await bus.publish_batch(batch(range(40)))
            await bus.assign([partition])
            first = list(await bus.fetch(partition, 20, 5))
            while len(first) < 20:
                first += await bus.fetch(partition, 20 - len(first), 5)
            await bus.ack_through(first[4])  # ids 0..4 committed and acknowledged
            await asyncio.sleep(PERSISTED_AFTER_SECONDS)  # ids 5..19: a batch in progress

            server.kill()
            while bus.is_connected:
                await asyncio.sleep(0.01)
            with pytest.raises(ModelBusUnavailableError):
                await bus.in_progress(first[5:])
            with pytest.raises(ModelBusUnavailableError):
                await bus.ack_through(first[19])
            late = asyncio.ensure_future(bus.publish_batch(batch(range(40, 60))))
            await asyncio.sleep(0.3)
            server.start()
            stored = await late
            assert [r.sequence for r in stored] == list(range(41, 61))
            again = await bus.publish_batch(batch(range(30, 60)))
            assert all(r.duplicate for r in again)

            await bus.revoke([partition])  # the batch of ids 5..19 is given up
            await bus.assign([partition])
            seen = await _consume_until(bus, partition, {b"%d" % i for i in range(5, 60)})
            values = [int(m.value) for m in seen]
            assert min(values) == 5
            assert values[:15] == list(range(5, 20))
            assert all(m.redelivered for m in seen[:15])
            firsts = list(dict.fromkeys(values))
            assert firsts == sorted(firsts)
        finally:
            await bus.close()

        async def count(js: Any) -> int:
            return int((await js.stream_info(f"{stream.name}-0")).state.messages)

        assert await with_raw(server.url, count) == 60

    asyncio.run(scenario())


def test_the_bus_is_importable_without_naming_the_module() -> None:
    import omnibase_infra.bus as bus_package

    assert bus_package.EventBusNats is EventBusNats
    with pytest.raises(AttributeError):
        _ = bus_package.NoSuchThing


def test_backlog_counts_what_the_group_has_not_acknowledged(nats_server: NatsTestServer) -> None:
    stream = stream_settings(partitions=1)
    partition = ModelBusPartition(stream=stream.name, index=0)

    async def scenario() -> list[int]:
        bus = await EventBusNats.connect(nats_server.url, settings_of(stream))
        try:
            seen = [await bus.backlog(partition)]
            for i in range(5):
                await bus.publish(stream.topics[0], b"x", partition=0, idempotency_id=f"b{i}")
            seen.append(await bus.backlog(partition))
            await bus.assign([partition])
            batch: tuple[ModelBusMessage, ...] = ()
            while len(batch) < 2:
                batch += await bus.fetch(partition, 2 - len(batch), 5)
            seen.append(await bus.backlog(partition))  # delivered, not acknowledged: pending
            await bus.ack_through(batch[-1])
            seen.append(await bus.backlog(partition))
            return seen
        finally:
            await bus.close()

    assert asyncio.run(scenario()) == [0, 5, 5, 3]
