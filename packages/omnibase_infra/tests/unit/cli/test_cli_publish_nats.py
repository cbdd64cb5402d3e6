"""``onex-registration publish`` and ``bus setup`` against a private nats-server: what lands on
which subject and partition with which id, de-duplication on republishing, the streams and
consumers set up, and one-line errors for bad input and an unreachable bus."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import nats
import pytest
from nats.js.errors import NotFoundError
from nats_fixtures import nats_private_server
from nats_server import NatsTestServer

from omnibase_infra.cli.cli_registration import main
from omnibase_infra.models import partition_hash
from omnibase_infra.nodes.node_registration_orchestrator.node import NodeRegistrationOrchestrator
from omnibase_infra.nodes.node_registration_orchestrator.registration_bus import (
    INPUT_STREAM,
    OUTPUT_STREAM,
)
from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter

pytestmark = pytest.mark.nats
__all__ = ["nats_private_server"]

TOPICS = NodeRegistrationOrchestrator.load_registration_contract().node_sections["topics"]
HEARTBEAT = "onex.evt.platform.node-heartbeat.v1"


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    history = ServiceClusterSimulator(seed=3, nodes=8, minutes=6).simulate()
    path = tmp_path / "events.jsonl"
    ServiceWireStreamWriter(seed=3).write(history.envelopes, path)
    return path


def stored(url: str, stream: str, partitions: int) -> dict[int, list[tuple[str, str, bytes]]]:
    """Every message of each partition stream, in order: ``(subject, Nats-Msg-Id, data)``."""

    async def read() -> dict[int, list[tuple[str, str, bytes]]]:
        nc = await nats.connect(url)
        js = nc.jetstream()
        out: dict[int, list[tuple[str, str, bytes]]] = {}
        try:
            for k in range(partitions):
                info = await js.stream_info(f"{stream}-{k}")
                out[k] = []
                if not info.state.messages:
                    continue
                for seq in range(info.state.first_seq, info.state.last_seq + 1):
                    msg = await js.get_msg(f"{stream}-{k}", seq)
                    msg_id = (msg.headers or {}).get("Nats-Msg-Id", "")
                    out[k].append((msg.subject or "", msg_id, msg.data or b""))
        finally:
            await nc.close()
        return out

    return asyncio.run(read())


def expected_layout(path: Path, partitions: int) -> dict[int, list[tuple[str, str, bytes]]]:
    """What the file should become: keyed envelopes on their node's partition, ticks on all,
    an envelope id seen before on a partition stored once (the simulator repeats envelopes, as a
    producer retrying would)."""
    out: dict[int, list[tuple[str, str, bytes]]] = {k: [] for k in range(partitions)}
    seen: set[str] = set()
    for line in path.read_bytes().splitlines():
        if not line.strip():
            continue
        wire = json.loads(line)
        node_id = wire["payload"].get("node_id")
        if node_id is None:
            for k in range(partitions):
                copy = (f"{wire['topic']}.{k}._", f"{wire['envelope_id']}/{k}", line)
                if copy[1] not in seen:
                    seen.add(copy[1])
                    out[k].append(copy)
        else:
            node = UUID(node_id)
            k = partition_hash(node) % partitions
            if wire["envelope_id"] not in seen:
                seen.add(wire["envelope_id"])
                out[k].append((f"{wire['topic']}.{k}.{node}", wire["envelope_id"], line))
    return out


def summary(out: str) -> str:
    (line,) = out.splitlines()
    return line


def test_publish_puts_each_envelope_on_its_partition_and_republishing_stores_nothing(
    nats_private_server: NatsTestServer,
    events_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = nats_private_server.url
    want = expected_layout(events_file, 3)
    wires = [json.loads(line) for line in events_file.read_text().splitlines() if line.strip()]
    envelopes = len(wires)
    ticks = sum(1 for wire in wires if "node_id" not in wire["payload"])
    copies = (envelopes - ticks) + 3 * ticks
    unique = sum(len(messages) for messages in want.values())
    assert ticks > 0
    assert all(want.values())

    assert main(["publish", str(events_file), "--bus", url, "--partitions", "3"]) == 0
    first = summary(capsys.readouterr().out)

    assert stored(url, INPUT_STREAM, 3) == want
    assert first == (
        f"published {envelopes} envelopes from {events_file} to {url} "
        f"({envelopes - ticks} keyed, {ticks} to all 3 partitions): {copies} messages, "
        f"{unique} stored, {copies - unique} duplicates; 0 lines refused"
    )

    assert main(["publish", str(events_file), "--bus", url, "--partitions", "3"]) == 0
    again = summary(capsys.readouterr().out)

    assert stored(url, INPUT_STREAM, 3) == want  # nothing new
    assert f"{copies} messages, 0 stored, {copies} duplicates" in again


def test_publish_creates_missing_streams_only_and_no_consumer(
    nats_private_server: NatsTestServer, tmp_path: Path
) -> None:
    path = tmp_path / "one.jsonl"
    node = "7f6c3a52-1d1e-4f5e-9b7e-0d5d3b2a1c10"
    path.write_text(
        json.dumps({"envelope_id": "e1", "topic": HEARTBEAT, "payload": {"node_id": node}}) + "\n"
    )

    assert main(["publish", str(path), "--bus", nats_private_server.url, "--partitions", "2"]) == 0

    async def look() -> None:
        nc = await nats.connect(nats_private_server.url)
        js = nc.jetstream()
        try:
            names = {info.config.name for info in await js.streams_info()}
            assert names == {f"{INPUT_STREAM}-0", f"{INPUT_STREAM}-1"}  # input stream only
            with pytest.raises(NotFoundError):
                await js.consumer_info(f"{INPUT_STREAM}-0", "onex")
        finally:
            await nc.close()

    asyncio.run(look())


def test_refused_lines_are_listed_and_the_rest_is_published(
    nats_private_server: NatsTestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = "7f6c3a52-1d1e-4f5e-9b7e-0d5d3b2a1c10"
    good = {"envelope_id": "g1", "topic": HEARTBEAT, "payload": {"node_id": node}}
    lines = [
        json.dumps(good).encode(),
        b"{not json",
        json.dumps({"topic": HEARTBEAT, "payload": {"node_id": node}}).encode(),
        b"",
        json.dumps({**good, "envelope_id": "g2", "payload": {"node_id": "node-7"}}).encode(),
        json.dumps({**good, "envelope_id": "g3", "topic": TOPICS["published"][0]}).encode(),
        b'{"envelope_id": "\xff", "topic": "x", "payload": {}}',
        json.dumps({**good, "envelope_id": "g4"}).encode(),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    status = main(["publish", str(path), "--bus", nats_private_server.url, "--partitions", "2"])

    captured = capsys.readouterr()
    assert status == 1
    assert "published 2 envelopes" in captured.out
    assert captured.out.rstrip().endswith("5 lines refused (lines 2, 3, 5, 6, 7)")
    (error,) = captured.err.splitlines()
    assert error.startswith(f"onex-registration: error: 5 lines of {path} refused (not published)")
    assert f"first: {path}:2: not JSON" in error
    ids = [m[1] for msgs in stored(nats_private_server.url, INPUT_STREAM, 2).values() for m in msgs]
    assert sorted(ids) == ["g1", "g4"]


def test_publish_reads_standard_input(
    nats_private_server: NatsTestServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tick = {"envelope_id": "t1", "topic": TOPICS["subscribed"][2], "payload": {"tick": 1}}
    data = (json.dumps(tick) + "\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))

    assert main(["publish", "-", "--bus", nats_private_server.url, "--partitions", "2"]) == 0

    assert "published 1 envelopes from <stdin>" in capsys.readouterr().out
    layout = stored(nats_private_server.url, INPUT_STREAM, 2)
    assert [m[:2] for m in layout[0] + layout[1]] == [
        (f"{tick['topic']}.0._", "t1/0"),
        (f"{tick['topic']}.1._", "t1/1"),
    ]


def test_bus_setup_creates_then_finds_and_updates(
    nats_private_server: NatsTestServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = nats_private_server.url
    setup = ["bus", "setup", "--bus", url, "--partitions", "2"]

    assert main(setup) == 0
    created = capsys.readouterr().out.splitlines()
    assert main(setup) == 0
    found = capsys.readouterr().out.splitlines()
    assert main([*setup, "--ack-wait", "45"]) == 0
    updated = capsys.readouterr().out.splitlines()

    objects = [
        f"stream {s}-{k}" if kind == "stream" else f"consumer {s}-{k}/onex"
        for s in (INPUT_STREAM, OUTPUT_STREAM)
        for k in range(2)
        for kind in ("stream", "consumer")
    ]
    assert created[:-1] == [f"{o}: created" for o in objects]
    assert created[-1] == (
        f"bus {url}: {INPUT_STREAM} (2 partitions), {OUTPUT_STREAM} (2 partitions): "
        "4 streams (4 created), 4 consumers (4 created)"
    )
    assert found[:-1] == [f"{o}: unchanged" for o in objects]
    input_consumers = {f"consumer {INPUT_STREAM}-{k}/onex" for k in range(2)}
    assert updated[:-1] == [
        f"{o}: {'updated' if o in input_consumers else 'unchanged'}" for o in objects
    ]  # --ack-wait is the input consumers' setting

    async def ack_wait() -> float:
        nc = await nats.connect(url)
        try:
            info = await nc.jetstream().consumer_info(f"{INPUT_STREAM}-1", "onex")
            return float(info.config.ack_wait or 0)
        finally:
            await nc.close()

    assert asyncio.run(ack_wait()) == 45


def test_another_partition_count_is_refused_in_one_line(
    nats_private_server: NatsTestServer, events_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = nats_private_server.url
    assert main(["bus", "setup", "--bus", url, "--partitions", "2"]) == 0
    capsys.readouterr()

    status = main(["publish", str(events_file), "--bus", url, "--partitions", "3"])

    (error,) = capsys.readouterr().err.splitlines()
    assert status == 1
    assert error.startswith(
        f"onex-registration: error: JetStream stream '{INPUT_STREAM}-0' exists as "
    )
    assert "partition count" in error
    assert stored(url, INPUT_STREAM, 2) == {0: [], 1: []}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("command", ["publish", "setup"])
def test_an_unreachable_bus_is_one_line(
    command: str, events_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"nats://127.0.0.1:{_free_port()}"
    argv: list[Any] = ["publish", str(events_file)] if command == "publish" else ["bus", "setup"]

    status = main([*argv, "--bus", url, "--timeout", "2"])

    (error,) = capsys.readouterr().err.splitlines()
    assert status == 1
    assert error.startswith(f"onex-registration: error: cannot connect to NATS at {url}")


class _DyingInput:
    """Standard input whose server dies after the first lines: a bus lost mid-file."""

    def __init__(self, server: NatsTestServer, lines: list[bytes]) -> None:
        self.buffer = self
        self._server = server
        self._lines = lines

    def __iter__(self) -> Any:
        yield from self._lines[:5]
        self._server.kill()
        yield from self._lines[5:]


def test_a_bus_lost_mid_file_is_one_line_saying_republishing_is_safe(
    nats_private_server: NatsTestServer,
    events_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = events_file.read_bytes().splitlines(keepends=True)
    monkeypatch.setattr(sys, "stdin", _DyingInput(nats_private_server, lines))

    status = main(
        ["publish", "-", "--bus", nats_private_server.url, "--partitions", "2", "--timeout", "1"]
    )

    (error,) = capsys.readouterr().err.splitlines()
    assert status == 1
    assert error.startswith("onex-registration: error: ")
    assert error.endswith(
        "publishing <stdin> again within the streams' duplicate window (120s) is safe: the "
        "server keeps one copy"
    )
