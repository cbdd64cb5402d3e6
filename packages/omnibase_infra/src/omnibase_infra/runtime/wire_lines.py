"""Reading wire lines from a byte stream, with exact line numbers.

A line is the bytes up to and excluding a ``\\n`` (byte 0x0A), or the bytes after the last
``\\n`` when the stream does not end with one; nothing else ends a line: a ``\\r`` (bare, or
before the ``\\n`` of a CRLF file) is part of its line, and JSON reads it as whitespace. An
empty stream has no lines; ``b"a\\n"`` has one, ``b"a\\nb"`` two. Lines are numbered from 1 as
the file's own lines, blank ones included, so a dead letter's ``line_number`` is the line an
editor shows. A *blank* line (empty, or only spaces, tabs and ``\\r``) is not a message.
Nothing is decoded here: the wire codec checks each line's UTF-8 strictly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

_BLANK: Final = b" \t\r"


def iter_wire_lines(stream: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """``(line_number, line)`` for every line of ``stream``, the ending ``\\n`` removed.

    ``stream`` is a binary file object (a regular file, a pipe, a FIFO, ``sys.stdin.buffer``)
    or any iterable of byte strings that each end at a ``\\n`` (as iterating a binary file
    yields them); it is read lazily, one line at a time, so a pipe is applied as it arrives.
    Raises ``TypeError`` when the stream yields text instead of bytes (open it with ``"rb"``).
    """
    for number, line in enumerate(stream, start=1):
        if not isinstance(line, bytes | bytearray | memoryview):
            raise TypeError(
                f"iter_wire_lines: the stream yields {type(line).__name__}, not bytes; open the "
                "input in binary mode ('rb', or sys.stdin.buffer)"
            )
        data = bytes(line)
        yield number, data[:-1] if data.endswith(b"\n") else data


def is_blank_line(line: bytes) -> bool:
    """Whether ``line`` (without its ``\\n``) is blank: empty, or only spaces, tabs and
    ``\\r``. Blank lines are counted but are not messages."""
    return not line.strip(_BLANK)
