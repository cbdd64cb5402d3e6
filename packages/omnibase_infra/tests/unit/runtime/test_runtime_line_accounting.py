"""Exact accounting over a byte stream: one outcome per non-blank line, the file's own line
numbers in dead letters, strict UTF-8, and nothing replaced."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from omnibase_infra.models import ModelPartition
from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    ServiceRegistrationRuntime,
)
from omnibase_infra.stores.store_registration_memory import StoreRegistrationMemory
from omnibase_infra.wire import unescape_raw

NODE = "4c2e3a9e-1111-4222-8333-444455556666"


def beat(index: int, **payload: Any) -> bytes:
    wire = {
        "envelope_id": str(UUID(int=index + 1)),
        "envelope_timestamp": "2026-03-01T12:00:00Z",
        "topic": "onex.evt.platform.node-heartbeat.v1",
        "payload_type": "ModelNodeHeartbeatEvent",
        "payload": {
            "node_id": NODE,
            "epoch": 1,
            "uptime_seconds": 1.0,
            "timestamp": "2026-03-01T12:00:00Z",
            **payload,
        },
    }
    return json.dumps(wire, ensure_ascii=False).encode()


def run(data: bytes) -> tuple[Any, StoreRegistrationMemory]:
    store = StoreRegistrationMemory()
    with ServiceRegistrationRuntime(store, partition=ModelPartition()) as runtime:
        summary, _events = runtime.run_stream(
            io.BytesIO(data), "in.jsonl", accepted_at=datetime(2026, 3, 1, 12, tzinfo=UTC)
        )
    return summary, store


def test_crlf_lines_bare_cr_blank_lines_and_bad_bytes_each_get_one_outcome() -> None:
    data = b"".join(
        [
            beat(1) + b"\r\n",  # 1: CRLF: the \r is JSON whitespace
            b"\r\n",  # 2: blank
            beat(2).replace(b'"epoch"', b'\r"epoch"') + b"\n",  # 3: bare CR inside the line
            b"   \t\n",  # 4: blank
            beat(3)[:-2] + b"\xff" + beat(3)[-2:] + b"\n",  # 5: invalid UTF-8
            b"\x00{}\n",  # 6: NUL byte
            b"\x1c\n",  # 7: not blank: a separator character is not JSON whitespace
            beat(4, node_name="x"),  # 8: last line without a newline (unknown payload field)
        ]
    )
    summary, store = run(data)
    assert summary.lines == 8
    assert summary.blank_lines == 2
    assert summary.total == 6
    assert summary.total == summary.applied + summary.ignored + summary.duplicates + (
        summary.dead_lettered
    )
    letters = {letter.line_number: letter for letter in store.list_dead_letters()}
    assert {n: letter.reason.value for n, letter in letters.items()} == {
        5: "unparseable",
        6: "unparseable",
        7: "unparseable",
        8: "invalid_payload",
    }
    lines = data.split(b"\n")
    for number in (5, 6):
        assert letters[number].raw_escaped
        assert unescape_raw(letters[number].raw) == lines[number - 1]
        assert "\ufffd" not in letters[number].raw
    assert "byte" in letters[5].detail
    assert "UTF-8" in letters[5].detail
    assert not letters[7].raw_escaped
    assert letters[7].raw == "\x1c"


def test_a_crlf_dead_letter_keeps_its_carriage_return() -> None:
    _summary, store = run(b"{garbage\r\n")
    (letter,) = store.list_dead_letters()
    assert (letter.line_number, letter.raw, letter.raw_escaped) == (1, "{garbage\r", False)


def test_run_lines_takes_bytes_or_text_one_item_per_line() -> None:
    store = StoreRegistrationMemory()
    with ServiceRegistrationRuntime(store) as runtime:
        summary, _ = runtime.run_lines([beat(1), beat(2).decode() + "\n", "", b"\xc3"], "x")
    assert (summary.total, summary.blank_lines, summary.dead_lettered) == (3, 1, 1)
    (letter,) = store.list_dead_letters()
    assert (letter.line_number, letter.raw, letter.raw_escaped) == (4, "\\xc3", True)


def test_a_text_line_with_a_lone_surrogate_is_dead_lettered_escaped() -> None:
    store = StoreRegistrationMemory()
    with ServiceRegistrationRuntime(store) as runtime:
        summary, _ = runtime.run_lines(['{"a": "\ud800"}'], "x")
    assert summary.dead_lettered == 1
    (letter,) = store.list_dead_letters()
    assert letter.raw_escaped
    assert unescape_raw(letter.raw) == '{"a": "\ud800"}'.encode("utf-8", "surrogatepass")
