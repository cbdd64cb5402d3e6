"""Raw lines and free text are always storable, and escaping loses nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnibase_infra.wire import escape_raw, raw_needs_escaping, storable_text, unescape_raw
from omnibase_infra.wire.wire_text import UNSTORABLE_CHARACTERS


@given(st.binary(max_size=200))
def test_escaping_round_trips_every_byte_string(data: bytes) -> None:
    text = escape_raw(data)
    assert unescape_raw(text) == data
    assert UNSTORABLE_CHARACTERS.search(text) is None
    assert "\ufffd" not in text or "\ufffd".encode() in data
    text.encode("utf-8")  # strict: no surrogates


@given(st.text(max_size=100).filter(lambda t: "\x00" not in t and "\\" not in t))
def test_valid_utf8_without_nul_or_backslash_escapes_to_itself(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    if not raw_needs_escaping(data):
        assert escape_raw(data) == text


@pytest.mark.parametrize(
    ("data", "escaped"),
    [
        (b"\xff{}", "\\xff{}"),
        (b"a\\b", "a\\\\b"),
        (b"\x00", "\\x00"),
        (b"\xed\xa0\x80", "\\xed\\xa0\\x80"),
        ("é".encode(), "é"),
    ],
)
def test_escape_examples(data: bytes, escaped: str) -> None:
    assert escape_raw(data) == escaped


@pytest.mark.parametrize("text", ["\\", "a\\q", "\\x4", "\\xZZ", "\\X41"])
def test_unescape_refuses_a_stray_backslash(text: str) -> None:
    with pytest.raises(ValueError, match="stray backslash"):
        unescape_raw(text)


def test_raw_needs_escaping_for_nul_and_invalid_utf8_only() -> None:
    assert raw_needs_escaping(b"a\x00")
    assert raw_needs_escaping(b"\xc3")
    assert not raw_needs_escaping(b"a\rb\\c")


@given(st.text(max_size=60))
def test_storable_text_leaves_no_nul_or_surrogate(text: str) -> None:
    cleaned = storable_text(text)
    assert UNSTORABLE_CHARACTERS.search(cleaned) is None
    if UNSTORABLE_CHARACTERS.search(text) is None:
        assert cleaned == text
