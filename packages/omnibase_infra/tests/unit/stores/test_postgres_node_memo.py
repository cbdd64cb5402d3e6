"""The PostgreSQL store's node memo against reading and writing rows without it.

Whatever sequence of rows is read (texts this store writes, texts it would write differently,
texts it cannot write back) and whatever rows are written (derived from a read row, or with new
documents), a read with the memo returns what parsing the row returns and a write with the
memo sends what encoding the row sends, or raises the same error.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from omnibase_core.enums import EnumNodeKind
from omnibase_infra.enums import EnumRegistrationState
from omnibase_infra.models import ModelRegistrationProjection
from omnibase_infra.models.trusted_models import replace_trusted
from omnibase_infra.stores import postgres_rows as rows

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
IDS = [uuid.UUID(int=n) for n in (1, 2, 3)]
TEXTS = st.sampled_from(
    [
        "{}",
        '{"a":1}',
        '{"a": 1}',  # not the text this store writes for it
        '{"a":1.0}',
        '{"a":"\\u00e9"}',
        '{"a":"é"}',
        '{"a":1e400}',  # parses to infinity, which this store cannot write
        '{"a":[1,{"b":null}],"c":true}',
        '{"b":2,"a":1}',
        '{"big":"' + "x" * rows.MEMO_TEXT_LIMIT + '"}',  # too long to be remembered
    ]
)
NEW_DOCUMENTS = st.sampled_from([{}, {"a": 1}, {"a": (1, 2)}, {"a": float("nan")}, {"x": "y"}])
READ = st.tuples(st.just("read"), st.sampled_from(IDS), TEXTS, TEXTS)
WRITE = st.tuples(
    st.just("write"), st.sampled_from(IDS), st.none() | NEW_DOCUMENTS, st.none() | NEW_DOCUMENTS
)


def _row(node_id: uuid.UUID, capabilities: str, endpoints: str) -> tuple[Any, ...]:
    return (
        node_id,
        "n",
        EnumRegistrationState.ACTIVE.value,
        EnumNodeKind.EFFECT.value,
        "1.0.0",
        1,
        capabilities,
        endpoints,
        T0,
        T0,
        T0,
        None,
        T0,
    )


def _columns(
    nodes: list[ModelRegistrationProjection], memo: rows.NodeMemo | None
) -> tuple[str, Any]:
    try:
        return "ok", rows.node_columns(nodes, memo)
    except rows.ENCODE_ERRORS as exc:
        return type(exc).__name__, str(exc)


@given(st.lists(READ | WRITE, max_size=30), st.integers(1, 3))
def test_the_memo_reads_and_writes_what_parsing_and_encoding_do(
    steps: list[tuple[Any, ...]], limit: int
) -> None:
    memo: rows.NodeMemo = {}
    last: dict[uuid.UUID, ModelRegistrationProjection] = {}
    original = rows.NODE_MEMO_LIMIT
    rows.NODE_MEMO_LIMIT = limit
    try:
        for kind, node_id, first, second in steps:
            if kind == "read":
                row = _row(node_id, first, second)
                node = rows.node_from_row(row, memo)
                assert node == rows.node_from_row(row)
                assert len(memo) <= limit
                last[node_id] = node
            elif node_id in last:
                changes = {"last_heartbeat_at": T0}
                if first is not None:
                    changes["capabilities"] = first
                if second is not None:
                    changes["endpoints"] = second
                node = replace_trusted(last[node_id], **changes)
                assert _columns([node], memo) == _columns([node], None)
    finally:
        rows.NODE_MEMO_LIMIT = original


def test_long_documents_are_not_remembered() -> None:
    """The memo's memory is bounded by size as well as by count: a node whose documents are
    longer than ``MEMO_TEXT_LIMIT`` together is parsed on every read and forgotten."""
    memo: rows.NodeMemo = {}
    rows.node_from_row(_row(IDS[0], '{"a":1}', "{}"), memo)
    assert IDS[0] in memo
    long_text = '{"big":"' + "x" * rows.MEMO_TEXT_LIMIT + '"}'
    node = rows.node_from_row(_row(IDS[0], long_text, "{}"), memo)
    assert node.capabilities == {"big": "x" * rows.MEMO_TEXT_LIMIT}
    assert memo == {}
