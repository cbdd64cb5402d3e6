"""Keyed JSON records, the table every node may keep its own data in, on every backend."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnibase_infra.stores.model_store_data_error import ModelStoreDataError
from omnibase_infra.stores.protocol_record_store import ProtocolRecordStore
from omnibase_infra.stores.protocol_record_transaction import ProtocolRecordTransaction
from omnibase_infra.wire import INT64_MAX, INT64_MIN, canonical_mapping

TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(INT64_MIN, INT64_MAX)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
DOCUMENTS = st.dictionaries(
    TEXT,
    st.recursive(
        JSON_SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
        max_leaves=8,
    ),
    max_size=5,
)


def test_a_record_reads_back_in_its_transaction_and_after_commit(
    store: ProtocolRecordStore,
) -> None:
    with store.transaction() as txn:
        assert txn.get_record("ledger", "a") is None
        txn.put_record("ledger", "a", {"b": 2, "a": [1, 1.5, None]})
        txn.put_record("other", "a", {"kept": True})
        assert txn.get_record("ledger", "a") == {"a": [1, 1.5, None], "b": 2}
    with store.transaction() as txn:
        txn.put_record("ledger", "a", {"b": 3})
        txn.put_record("ledger", "0", {})
    assert store.list_records("ledger") == [("0", {}), ("a", {"b": 3})]
    assert store.list_records("other") == [("a", {"kept": True})]
    assert store.list_records("none") == []


def test_a_rolled_back_record_is_gone(store: ProtocolRecordStore) -> None:
    def fail_after_writing() -> None:
        with store.transaction() as txn:
            txn.put_record("ledger", "a", {"n": 1})
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        fail_after_writing()
    assert store.list_records("ledger") == []


def test_a_refused_record_is_undone_by_its_savepoint_alone(store: ProtocolRecordStore) -> None:
    def write_then_refuse(txn: ProtocolRecordTransaction) -> None:
        with txn.savepoint():
            txn.put_record("ledger", "dropped", {"n": 2})
            txn.put_record("ledger", "bad", {"n": 2**70})

    with store.transaction() as txn:
        txn.put_record("ledger", "kept", {"n": 1})
        with pytest.raises(ModelStoreDataError):
            write_then_refuse(txn)
    assert store.list_records("ledger") == [("kept", {"n": 1})]


def test_a_block_left_by_another_error_goes_with_its_enclosing_savepoint(
    store: ProtocolRecordStore,
) -> None:
    """A savepoint block left by an error other than a refused value keeps its writes in the
    enclosing savepoint, so a refusal there undoes them with the rest of that savepoint."""

    def inner_then_fail(txn: ProtocolRecordTransaction) -> None:
        with txn.savepoint():
            txn.put_record("ledger", "inner", {"n": 3})
            raise KeyError("not a refused value")

    def outer_then_refuse(txn: ProtocolRecordTransaction) -> None:
        with txn.savepoint():
            txn.put_record("ledger", "outer", {"n": 2})
            with pytest.raises(KeyError):
                inner_then_fail(txn)
            txn.put_record("ledger", "bad", {"n": 2**70})

    with store.transaction() as txn:
        txn.put_record("ledger", "kept", {"n": 1})
        with pytest.raises(ModelStoreDataError):
            outer_then_refuse(txn)
        txn.put_record("ledger", "after", {"n": 4})
    assert store.list_records("ledger") == [("after", {"n": 4}), ("kept", {"n": 1})]


@pytest.mark.parametrize(
    ("kind", "key", "document"),
    [
        ("ledger", "a", {"n": 2**63}),
        ("ledger", "a", {"n": math.inf}),
        ("ledger", "a", {"text": "nul \x00"}),
        ("ledger", "a", {"text": "lone \ud800"}),
        ("ledger", "a", {"when": object()}),
        ("", "a", {}),
        ("ledger", "", {}),
        ("ledger", "nul\x00", {}),
    ],
)
def test_every_store_refuses_the_same_records(
    store: ProtocolRecordStore, kind: str, key: str, document: dict[str, Any]
) -> None:
    with store.transaction() as txn, pytest.raises(ModelStoreDataError):
        txn.put_record(kind, key, document)
    assert store.list_records("ledger") == []


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(document=DOCUMENTS)
def test_any_document_within_the_limits_reads_back_in_canonical_form(
    store: ProtocolRecordStore, document: dict[str, Any]
) -> None:
    expected = canonical_mapping(document)
    with store.transaction() as txn:
        txn.put_record("doc", "k", document)
        assert txn.get_record("doc", "k") == expected
    assert store.list_records("doc") == [("k", expected)]
