"""The event bus adapter on NATS JetStream against raw nats-py, on the same messages.

Starts a private nats-server with JetStream (like the tests: the machine's ``nats-server`` on a
free loopback port and a temporary store), then on ``--messages`` envelopes of realistic size
keyed by 1,000 node ids over ``--partitions`` partitions, in one process:

- floor: raw nats-py core publish of the same subjects, headers and bodies to a subject no
  stream captures, with a subscriber in the same process (no storage, no acknowledgement);
- adapter publish: ``EventBusNats.publish_batch`` in batches of 1,000 (stored, acknowledged by
  the server, de-duplication ids);
- adapter consume+ack: one task per partition, ``fetch(batch)`` then ``ack_through`` the last
  message, until every message was consumed;
- reference: nats-py's own pull ``fetch()`` on a smaller sample (what the adapter avoids).

Each figure is taken ``--repeat`` times, alternating, and the best kept (the machine is
shared). Two measures per figure: wall-clock msg/s, and the client process's CPU time per
message (``time.process_time``), whose inverse is the rate the client could sustain on a core
of its own: the adapter's capacity, which load on the machine disturbs far less than the
wall clock. Ratios are to the floor measured in the same run. Exits 1 when the adapter's
consume+ack capacity is below 25,000 msg/s (the adapter must not be what limits a consumer).

    uv run python benchmarks/bench_bus.py [--messages 100000] [--partitions 4] [--batch 256]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages/omnibase_infra/tests"))

from nats_server import NatsTestServer, unavailable_reason

CONSUME_FLOOR_MSG_S = 25_000
NODES = 1_000
TOPICS = ("onex.evt.platform.node-heartbeat.v1", "onex.evt.platform.node-introspection.v1")


def envelopes(count: int) -> list[tuple[str, str, bytes, str]]:
    """``(topic, node id, body, envelope id)`` of ``count`` heartbeat-sized envelopes."""
    nodes = [str(uuid.UUID(int=(n * 0x9E3779B97F4A7C15) % (1 << 128))) for n in range(NODES)]
    out = []
    for i in range(count):
        node = nodes[i % NODES]
        envelope_id = str(uuid.UUID(int=i + 1))
        body = {
            "envelope_id": envelope_id,
            "envelope_timestamp": "2026-03-01T12:00:00Z",
            "correlation_id": envelope_id,
            "topic": TOPICS[0],
            "payload_type": "ModelNodeHeartbeatEvent",
            "payload": {
                "node_id": node,
                "epoch": 3,
                "uptime_seconds": 120.5 + i,
                "active_operations": 2,
                "timestamp": "2026-03-01T11:59:59Z",
            },
        }
        out.append((TOPICS[i % 7 == 0], node, json.dumps(body).encode(), envelope_id))
    return out


class Measure:
    """Wall seconds and client CPU seconds of one timed phase over ``count`` messages."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.wall = self.cpu = 0.0

    def __enter__(self) -> Measure:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu

    @property
    def rate(self) -> float:
        """Wall-clock messages per second."""
        return self.count / self.wall

    @property
    def cpu_us(self) -> float:
        """Client CPU microseconds per message."""
        return self.cpu / self.count * 1e6


async def raw_floor(
    url: str, messages: list[tuple[str, str, bytes, str]], partitions: int
) -> Measure:
    """Raw core publish + subscribe of the same messages, until all were received."""
    import nats

    from omnibase_infra.bus import node_key

    nc = await nats.connect(url)
    received = 0
    done = asyncio.Event()

    async def count(_msg: object) -> None:
        nonlocal received
        received += 1
        if received == len(messages):
            done.set()

    await nc.subscribe("floor.>", cb=count)
    subjects = [
        f"floor.{topic}.{node_key(node)[1] % partitions}.{node}" for topic, node, _, _ in messages
    ]
    with Measure(len(messages)) as measure:
        for subject, (_, _, body, envelope_id) in zip(subjects, messages, strict=True):
            await nc.publish(subject, body, headers={"Nats-Msg-Id": envelope_id})
        await nc.flush()
        await asyncio.wait_for(done.wait(), 300)
    await nc.close()
    return measure


async def adapter(
    url: str, messages: list[tuple[str, str, bytes, str]], partitions: int, batch: int
) -> tuple[Measure, Measure]:
    """(publish, consume+ack) of EventBusNats on a fresh stream."""
    from omnibase_core.models.bus import (
        ModelBusOutboundMessage,
        ModelBusPartition,
        ModelBusStreamSettings,
        ModelEventBusSettings,
    )
    from omnibase_infra.bus import EventBusNats

    run = uuid.uuid4().hex[:8]
    stream = ModelBusStreamSettings(
        name=f"bench{run}",
        topics=tuple(f"{topic}.r{run}" for topic in TOPICS),
        partitions=partitions,
        max_batch=batch,
        ack_wait_seconds=30,
    )
    bus = await EventBusNats.connect(url, ModelEventBusSettings(streams=(stream,)))
    outbound = [
        ModelBusOutboundMessage(
            topic=f"{topic}.r{run}", key=node, value=body, idempotency_id=envelope_id
        )
        for topic, node, body, envelope_id in messages
    ]
    with Measure(len(outbound)) as publish:
        for start in range(0, len(outbound), 1000):
            await bus.publish_batch(outbound[start : start + 1000])

    expected = [0] * partitions
    for _, node, _, _ in messages:
        expected[bus.partition_for(stream.topics[0], node).index] += 1
    parts = [ModelBusPartition(stream=stream.name, index=k) for k in range(partitions)]
    await bus.assign(parts)

    async def drain(partition: ModelBusPartition) -> None:
        left = expected[partition.index]
        while left > 0:
            got = await bus.fetch(partition, batch, 5.0)
            if not got:
                raise SystemExit(f"partition {partition} stalled with {left} messages left")
            await bus.ack_through(got[-1])
            left -= len(got)

    with Measure(len(messages)) as consume:
        await asyncio.gather(*(drain(p) for p in parts))
    await bus.close()
    return publish, consume


async def nats_py_fetch(
    url: str, messages: list[tuple[str, str, bytes, str]], batch: int
) -> Measure:
    """nats-py's pull-subscription ``fetch()`` + ack of the last message, msg/s (reference)."""
    import nats
    from nats.js import api

    nc = await nats.connect(url)
    js = nc.jetstream()
    name = f"ref{uuid.uuid4().hex[:8]}"
    await js.add_stream(name=name, subjects=[f"{name}.>"])
    for start in range(0, len(messages), 1000):
        for _, node, body, envelope_id in messages[start : start + 1000]:
            await nc.publish(f"{name}.{node}", body, headers={"Nats-Msg-Id": envelope_id})
        await nc.flush()
    config = api.ConsumerConfig(
        durable_name="ref", ack_policy=api.AckPolicy.ALL, max_ack_pending=batch
    )
    await js.add_consumer(name, config)
    sub = await js.pull_subscribe_bind("ref", stream=name)
    left = len(messages)
    with Measure(len(messages)) as measure:
        while left > 0:
            got = await sub.fetch(batch, timeout=5)
            await got[-1].ack()
            left -= len(got)
    await nc.close()
    return measure


def best(measures: list[Measure]) -> Measure:
    """The least disturbed run: the one with the least client CPU per message."""
    return min(measures, key=lambda m: m.cpu_us)


def main() -> int:
    """Run the benchmark; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reference-messages", type=int, default=20_000)
    args = parser.parse_args()
    if reason := unavailable_reason():
        print(f"bench_bus: {reason}", file=sys.stderr)
        return 1
    messages = envelopes(args.messages)
    server = NatsTestServer()
    server.start()
    floors, publishes, consumes = [], [], []
    try:
        for _ in range(args.repeat):
            floors.append(asyncio.run(raw_floor(server.url, messages, args.partitions)))
            publish, consume = asyncio.run(
                adapter(server.url, messages, args.partitions, args.batch)
            )
            publishes.append(publish)
            consumes.append(consume)
        reference = asyncio.run(
            nats_py_fetch(server.url, messages[: args.reference_messages], args.batch)
        )
    finally:
        server.stop()
    floor, publish, consume = best(floors), best(publishes), best(consumes)
    print(
        f"bus on NATS JetStream: {args.messages:,} messages, {args.partitions} partitions, "
        f"batch {args.batch}, best of {args.repeat}"
    )
    print(
        f"  {'':<46} {'wall msg/s':>11} {'x floor':>8} {'CPU us/msg':>11} "
        f"{'capacity':>10} {'x floor':>8}"
    )
    rows = [
        ("raw nats-py publish+subscribe (floor)", floor),
        ("EventBusNats publish (stored, acked)", publish),
        ("EventBusNats consume+ack", consume),
        (f"nats-py fetch()+ack, {args.reference_messages:,} msgs (reference)", reference),
    ]
    for label, m in rows:
        capacity = 1e6 / m.cpu_us
        print(
            f"  {label:<46} {m.rate:>11,.0f} {m.rate / floor.rate:>7.2f}x {m.cpu_us:>11.1f} "
            f"{capacity:>10,.0f} {floor.cpu_us / m.cpu_us:>7.2f}x"
        )
    capacity = 1e6 / consume.cpu_us
    if capacity < CONSUME_FLOOR_MSG_S:
        print(
            f"FAIL: consume+ack capacity {capacity:,.0f} msg/s is below "
            f"{CONSUME_FLOOR_MSG_S:,} msg/s",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
