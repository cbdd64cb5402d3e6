"""The producer helper puts each envelope on its node's partition, ticks on every partition,
and refuses a bad line with its file and line number."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnibase_core.bus import EventBusInMemory
from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import (
    ModelBusMessage,
    ModelBusPartition,
    ModelBusStreamSettings,
    ModelEventBusSettings,
)
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.bus import ServiceBusProducer
from omnibase_infra.models import partition_hash

HEARTBEAT = "onex.evt.platform.node-heartbeat.v1"
TICK = "onex.intent.platform.runtime-tick.v1"


def new_bus(partitions: int) -> EventBusInMemory:
    stream = ModelBusStreamSettings(
        name="registration", topics=(HEARTBEAT, TICK), partitions=partitions, max_batch=500
    )
    return EventBusInMemory(ModelEventBusSettings(streams=(stream,)))


def heartbeat(node: UUID, n: int, upper: bool = False) -> str:
    node_id = str(node).upper() if upper else str(node)
    return json.dumps(
        {"envelope_id": f"hb-{n}", "topic": HEARTBEAT, "payload": {"node_id": node_id, "n": n}}
    )


def tick(n: int) -> str:
    return json.dumps({"envelope_id": f"tick-{n}", "topic": TICK, "payload": {"n": n}})


async def read_all(bus: EventBusInMemory, partitions: int) -> dict[int, list[ModelBusMessage]]:
    parts = [ModelBusPartition(stream="registration", index=k) for k in range(partitions)]
    await bus.assign(parts)
    out: dict[int, list[ModelBusMessage]] = {}
    for part in parts:
        out[part.index] = list(await bus.fetch(part, 500, 0))
    return out


@settings(max_examples=25, deadline=None)
@given(
    partitions=st.integers(1, 5),
    script=st.lists(st.one_of(st.integers(0, 5), st.none()), min_size=1, max_size=40),
    batch_size=st.integers(1, 7),
    upper=st.booleans(),
)
def test_each_partition_gets_its_nodes_messages_and_every_tick_in_file_order(
    partitions: int, script: list[int | None], batch_size: int, upper: bool
) -> None:
    nodes = [uuid4() for _ in range(6)]
    lines = [tick(i) if n is None else heartbeat(nodes[n], i, upper) for i, n in enumerate(script)]

    async def scenario() -> None:
        bus = new_bus(partitions)
        producer = ServiceBusProducer(bus, batch_size=batch_size)
        report = await producer.publish_lines(lines, "events.jsonl")
        ticks = script.count(None)
        assert (report.envelopes, report.broadcast, report.keyed) == (
            len(lines),
            ticks,
            len(lines) - ticks,
        )
        assert report.copies == len(lines) - ticks + ticks * partitions
        assert report.duplicates == 0
        again = await producer.publish_lines(lines, "events.jsonl")
        assert again.duplicates == again.copies == report.copies
        got = await read_all(bus, partitions)
        for k in range(partitions):
            want = [
                i
                for i, n in enumerate(script)
                if n is None or partition_hash(nodes[n]) % partitions == k
            ]
            assert [int(json.loads(m.value)["payload"]["n"]) for m in got[k]] == want
            for m in got[k]:
                payload = json.loads(m.value)["payload"]
                if "node_id" in payload:
                    assert m.key == str(UUID(payload["node_id"]))
                else:
                    assert m.key is None
                    assert m.idempotency_id == f"tick-{payload['n']}/{k}"

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "JSON object, got list"),
        ('{"envelope_id": "e", "payload": {}}', "field 'topic'"),
        (f'{{"topic": "{HEARTBEAT}", "payload": {{}}}}', "field 'envelope_id'"),
        (f'{{"topic": "{HEARTBEAT}", "envelope_id": "e", "payload": 3}}', "field 'payload'"),
        (
            f'{{"topic": "{HEARTBEAT}", "envelope_id": "e", "payload": {{"node_id": "n-1"}}}}',
            "'payload.node_id' is not a UUID",
        ),
        (
            f'{{"topic": "no.such", "envelope_id": "e", "payload": {{"node_id": "{uuid4()}"}}}}',
            "topic 'no.such' belongs to no stream",
        ),
        ('{"topic": "no.such", "envelope_id": "e", "payload": {}}', "belongs to no stream"),
    ],
)
def test_a_bad_line_is_refused_with_its_place_after_the_good_ones_are_published(
    line: str, problem: str
) -> None:
    async def scenario() -> None:
        bus = new_bus(2)
        good = heartbeat(uuid4(), 0)
        with pytest.raises(ModelOnexError) as caught:
            await ServiceBusProducer(bus).publish_lines([good, "", line], "in.jsonl")
        assert caught.value.error_code == EnumCoreErrorCode.INVALID_PARAMETER
        assert caught.value.message.startswith("in.jsonl:3: ")
        assert problem in caught.value.message
        got = await read_all(bus, 2)
        assert sum(len(v) for v in got.values()) == 1

    asyncio.run(scenario())


def test_with_on_refused_bad_lines_are_reported_and_skipped_in_order() -> None:
    async def scenario() -> None:
        bus = new_bus(2)
        node = uuid4()
        lines: list[str | bytes] = [
            heartbeat(node, 0),
            "{not json",
            b'{"envelope_id": "e\xff", "topic": "t", "payload": {}}',
            tick(1),
            '{"topic": "no.such", "envelope_id": "e", "payload": {}}',
            heartbeat(node, 2),
        ]
        refused: list[tuple[int, str]] = []
        report = await ServiceBusProducer(bus).publish_lines(
            lines, "in.jsonl", on_refused=lambda n, why: refused.append((n, why))
        )
        assert [n for n, _ in refused] == [2, 3, 5]
        assert refused[0][1].startswith("in.jsonl:2: not JSON")
        assert refused[1][1] == "in.jsonl:3: not UTF-8 (byte 0xff at offset 18)"
        assert refused[2][1].startswith("in.jsonl:5: ")
        assert "belongs to no stream" in refused[2][1]
        assert (report.envelopes, report.keyed, report.broadcast, report.refused) == (3, 2, 1, 3)
        assert (report.copies, report.stored) == (4, 4)
        got = await read_all(bus, 2)
        k = partition_hash(node) % 2
        assert [m.idempotency_id for m in got[k]] == ["hb-0", f"tick-1/{k}", "hb-2"]

    asyncio.run(scenario())


def test_a_line_that_is_not_utf8_is_refused_without_on_refused() -> None:
    async def scenario() -> None:
        with pytest.raises(ModelOnexError) as caught:
            await ServiceBusProducer(new_bus(1)).publish_lines([b'{"a": "\xc3"}'], "x")
        assert caught.value.message == "x:1: not UTF-8 (byte 0xc3 at offset 7)"

    asyncio.run(scenario())


def test_one_envelope_can_be_published_as_a_mapping() -> None:
    async def scenario() -> None:
        bus = new_bus(3)
        report = await ServiceBusProducer(bus).publish_envelope(
            {"envelope_id": "t", "topic": TICK, "payload": {"n": 1}}
        )
        assert (report.broadcast, report.copies) == (1, 3)

    asyncio.run(scenario())
    with pytest.raises(ModelOnexError, match="batch_size"):
        ServiceBusProducer(new_bus(1), batch_size=0)
