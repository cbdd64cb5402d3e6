"""Line splitting: on b"\\n" only, numbered as the file's own lines, read lazily."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnibase_infra.runtime import is_blank_line, iter_wire_lines


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b"", []),
        (b"a", [b"a"]),
        (b"a\n", [b"a"]),
        (b"a\nb", [b"a", b"b"]),
        (b"\n", [b""]),
        (b"a\n\nb\n", [b"a", b"", b"b"]),
        (b"a\r\nb\r\n", [b"a\r", b"b\r"]),
        (b"a\rb\n", [b"a\rb"]),
        (b"a\x85b\xe2\x80\xa8c\x0bd\x0ce\x1cf\n", [b"a\x85b\xe2\x80\xa8c\x0bd\x0ce\x1cf"]),
    ],
)
def test_lines_end_at_newline_bytes_only(data: bytes, lines: list[bytes]) -> None:
    assert list(iter_wire_lines(io.BytesIO(data))) == list(enumerate(lines, start=1))


@given(st.binary(max_size=300))
def test_joining_the_lines_gives_back_the_stream(data: bytes) -> None:
    numbered = list(iter_wire_lines(io.BytesIO(data)))
    assert [number for number, _line in numbered] == list(range(1, len(numbered) + 1))
    assert all(b"\n" not in line for _number, line in numbered)
    joined = b"\n".join(line for _number, line in numbered)
    assert joined + (b"\n" if data.endswith(b"\n") else b"") == data
    assert len(numbered) == data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


@pytest.mark.parametrize(
    ("line", "blank"),
    [
        (b"", True),
        (b" \t\r", True),
        (b"\r", True),
        (b"\x0b", False),
        (b"\x0c", False),
        (b"\x1c", False),
        (b"\xc2\xa0", False),
        (b" {}", False),
    ],
)
def test_only_spaces_tabs_and_cr_make_a_line_blank(line: bytes, blank: bool) -> None:
    assert is_blank_line(line) is blank


def test_a_text_stream_is_refused_with_how_to_open_it() -> None:
    with pytest.raises(TypeError, match="binary mode"):
        list(iter_wire_lines(io.StringIO("a\n")))  # type: ignore[arg-type]


def test_a_fifo_is_read_line_by_line_as_it_arrives(tmp_path: Path) -> None:
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    got_first = threading.Event()
    release = threading.Event()

    def produce() -> None:
        with fifo.open("wb", buffering=0) as writer:
            writer.write(b"first\n")
            release.wait(10)
            writer.write(b"second")

    producer = threading.Thread(target=produce)
    producer.start()
    seen = []
    with fifo.open("rb") as reader:
        for number, line in iter_wire_lines(reader):
            seen.append((number, line))
            if number == 1:
                got_first.set()
                release.set()
    producer.join(10)
    assert got_first.is_set()
    assert seen == [(1, b"first"), (2, b"second")]
