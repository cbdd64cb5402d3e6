"""Column arrays of the PostgreSQL store's set-based writes, sent as binary parameters.

psycopg dumps a Python list one element at a time; in text format it also quotes and escapes
every element that holds a quote, a brace, a backslash or a space (all JSON documents), which
costs more than the rest of a write. The store wraps its ``text[]`` and ``uuid[]`` columns in
:func:`text_array` and :func:`uuid_array` instead, and :func:`register` teaches a connection to
send them in PostgreSQL's binary array format, built in one pass: a length and the UTF-8 bytes
per text, a length and the 16 bytes per id, nothing to quote, escape or parse.

Behaviour is psycopg's own: a NUL in a text raises ``psycopg.DataError`` with psycopg's
message before anything is sent, a string that is not valid Unicode (a lone surrogate) raises
``UnicodeEncodeError``, ``None`` is SQL ``NULL``. The wrappers are lists, so a connection
without the dumpers (or a pickled copy of the parameters) still sends them as ordinary lists.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any, NoReturn
from uuid import UUID

import psycopg
from psycopg import pq
from psycopg.adapt import Dumper

_TEXT_OID = 25
_TEXT_ARRAY_OID = 1009
_UUID_OID = 2950
_UUID_ARRAY_OID = 2951
#: One dimension: dimensions, has-null flag, element type, length, lower bound.
_HEAD = struct.Struct("!iiiii").pack
#: An empty array: no dimension.
_EMPTY = struct.Struct("!iii").pack
_LENGTH = struct.Struct("!i").pack
_NULL = _LENGTH(-1)
_UUID_LENGTH = _LENGTH(16)
_NUL_MESSAGE = "PostgreSQL text fields cannot contain NUL (0x00) bytes"


class _TextArray(list[str | None]):
    """A list of texts (or ``None``) to send as a binary ``text[]`` parameter."""

    __slots__ = ()


class _UuidArray(list[UUID | None]):
    """A list of ids (or ``None``) to send as a binary ``uuid[]`` parameter."""

    __slots__ = ()


def text_array(values: Iterable[str | None]) -> list[str | None]:
    """``values`` as a list the registered connections send as a binary ``text[]``."""
    return _TextArray(values)


def uuid_array(values: Iterable[UUID | None]) -> list[UUID | None]:
    """``values`` as a list the registered connections send as a binary ``uuid[]``."""
    return _UuidArray(values)


def dump_text_array(values: list[str | None]) -> bytes:
    """The binary ``text[]`` of ``values``; raises ``psycopg.DataError`` for a text holding a
    NUL and ``UnicodeEncodeError`` for one that is not valid Unicode (lone surrogates)."""
    if not values:
        return _EMPTY(0, 0, _TEXT_OID)
    texts = [value for value in values if value is not None]
    if "\x00" in "".join(texts):
        _refuse(texts)
    if len(texts) == len(values):
        body = [_LENGTH(len(data)) + data for data in [text.encode() for text in texts]]
        return _HEAD(1, 0, _TEXT_OID, len(values), 1) + b"".join(body)
    body = [_NULL if value is None else _encoded(value) for value in values]
    return _HEAD(1, 1, _TEXT_OID, len(values), 1) + b"".join(body)


def _refuse(texts: list[str]) -> NoReturn:
    """Raise what psycopg raises for the first text it cannot send, in order: a NUL, or a
    string that does not encode."""
    for text in texts:
        if "\x00" in text:
            raise psycopg.DataError(_NUL_MESSAGE)
        text.encode()
    raise AssertionError("a NUL was found in the texts")  # pragma: no cover


def _encoded(text: str) -> bytes:
    data = text.encode()
    return _LENGTH(len(data)) + data


def dump_uuid_array(values: list[UUID | None]) -> bytes:
    """The binary ``uuid[]`` of ``values``."""
    if not values:
        return _EMPTY(0, 0, _UUID_OID)
    body = [_NULL if value is None else _UUID_LENGTH + value.bytes for value in values]
    hasnull = 1 if _NULL in body else 0
    return _HEAD(1, hasnull, _UUID_OID, len(values), 1) + b"".join(body)


class _TextArrayDumper(Dumper):
    format = pq.Format.BINARY
    oid = _TEXT_ARRAY_OID

    def dump(self, obj: Any) -> bytes:
        return dump_text_array(obj)


class _UuidArrayDumper(Dumper):
    format = pq.Format.BINARY
    oid = _UUID_ARRAY_OID

    def dump(self, obj: Any) -> bytes:
        return dump_uuid_array(obj)


def register(conn: psycopg.Connection[Any]) -> None:
    """Make ``conn`` send :func:`text_array` and :func:`uuid_array` lists in one pass."""
    conn.adapters.register_dumper(_TextArray, _TextArrayDumper)
    conn.adapters.register_dumper(_UuidArray, _UuidArrayDumper)
