"""The PostgreSQL store's one-pass binary arrays against psycopg's own list dumpers."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.adapt import PyFormat, Transformer

from omnibase_infra.stores import postgres_arrays

TEXTS = st.lists(
    st.none()
    | st.text()
    | st.sampled_from(["", "NULL", "null", '"', "\\", "{a,b}", " ", "\x00", "a\x00b", "\ud800"]),
    max_size=20,
)
IDS = st.lists(st.none() | st.uuids(), max_size=20)


def _psycopg(values: list[Any], fmt: PyFormat) -> tuple[str, bytes | str]:
    """What psycopg itself makes of ``values`` as a list parameter in ``fmt``: the bytes, or
    the error it raises."""
    transformer = Transformer()
    try:
        dumper = transformer.get_dumper(values, fmt).upgrade(values, fmt)
        return "ok", bytes(dumper.dump(values) or b"")
    except (psycopg.Error, UnicodeError) as exc:
        return type(exc).__name__, str(exc)


def _ours(dump: Any, values: list[Any]) -> tuple[str, bytes | str]:
    try:
        return "ok", dump(values)
    except (psycopg.Error, UnicodeError) as exc:
        return type(exc).__name__, str(exc)


@given(TEXTS)
def test_a_text_array_is_psycopgs_binary_array_and_refuses_what_its_text_array_refuses(
    values: list[str | None],
) -> None:
    ours = _ours(postgres_arrays.dump_text_array, values)
    text = _psycopg(values, PyFormat.TEXT)
    binary = _psycopg(values, PyFormat.BINARY)
    if text[0] != "ok":  # a NUL or a lone surrogate: refused as the text array refuses it
        assert ours == text
    elif any(value is not None for value in values):
        assert ours == binary
    else:  # psycopg sends a list without a text as an untyped text-format array
        assert ours[0] == "ok"


@given(IDS)
def test_a_uuid_array_is_psycopgs_binary_array(values: list[uuid.UUID | None]) -> None:
    ours = _ours(postgres_arrays.dump_uuid_array, values)
    if any(value is not None for value in values):
        assert ours == _psycopg(values, PyFormat.BINARY)
    else:
        assert ours[0] == "ok"


SENDABLE = st.lists(
    st.none()
    | st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
    | st.sampled_from(["", "NULL", '"', "\\", "{a,b}", " "]),
    max_size=20,
)


@pytest.mark.postgres
@given(texts=SENDABLE, ids=IDS)
def test_arrays_read_back_unchanged(
    postgres_url: str, texts: list[str | None], ids: list[uuid.UUID | None]
) -> None:
    with psycopg.connect(postgres_url) as conn:
        postgres_arrays.register(conn)
        found = conn.execute(
            "SELECT %b::text[], %b::uuid[]",
            (postgres_arrays.text_array(texts), postgres_arrays.uuid_array(ids)),
        ).fetchone()
    assert found == (texts, ids)
