"""The store checks of a row derived from a stored one agree with checking the row whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from omnibase_core.enums import EnumNodeKind
from omnibase_infra.enums import EnumRegistrationState
from omnibase_infra.models import ModelRegistrationProjection
from omnibase_infra.stores import store_value_checks as checks
from omnibase_infra.stores.model_store_data_error import ModelStoreDataError

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_INSTANTS = (
    "registered_at",
    "last_heartbeat_at",
    "liveness_deadline",
    "last_introspection_at",
    "updated_at",
)

_text_st = st.one_of(
    st.sampled_from(["node-a", "1.0.0", "", "a\x00b", "x\ud800", "\udfff"]),
    st.text(max_size=6),
)
_instant_st = st.one_of(
    st.none(),
    st.sampled_from(
        [
            T0,
            T0.replace(tzinfo=None),  # naive
            datetime(9999, 12, 31, 23, 0, tzinfo=timezone(-timedelta(hours=5))),  # UTC 10000
            datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),  # UTC year 0
            datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
            datetime(1, 1, 1, tzinfo=UTC),
        ]
    ),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3))])),
)
_mapping_st: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.just({}),
    st.dictionaries(
        st.sampled_from(["db", "http", "a\x00"]),
        st.one_of(
            st.integers(-(2**70), 2**70),
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from(["x", "\ud800", None, True]),
        ),
        max_size=3,
    ),
)
_NEW_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "node_name": _text_st,
    "node_version": _text_st,
    "epoch": st.one_of(st.integers(0, 5), st.integers(2**62, 2**66)),
    "capabilities": _mapping_st,
    "endpoints": _mapping_st,
    **dict.fromkeys(_INSTANTS, _instant_st),
}


def _previous() -> ModelRegistrationProjection:
    """A storable stored row."""
    return ModelRegistrationProjection(
        node_id=UUID(int=7),
        node_name="node-a",
        state=EnumRegistrationState.ACTIVE,
        node_type=EnumNodeKind.EFFECT,
        node_version="1.0.0",
        epoch=3,
        capabilities={"db": True},
        endpoints={"http": "http://a:8080"},
        registered_at=T0,
        last_heartbeat_at=T0 + timedelta(seconds=5),
        liveness_deadline=T0 + timedelta(seconds=90),
        last_introspection_at=T0,
        updated_at=T0 + timedelta(seconds=5),
    )


def _outcome(check: Any) -> str | None:
    try:
        check()
    except ModelStoreDataError as exc:
        return str(exc)
    return None


@settings(max_examples=400, deadline=None)
@given(changes=st.fixed_dictionaries({}, optional=_NEW_VALUES))
def test_a_derived_row_is_refused_exactly_as_the_whole_row_is(changes: dict[str, Any]) -> None:
    # The fields not in changes are the very objects of the stored row (skipped by the check
    # with ``previous``); every changed one is a fresh value, hostile ones included.
    previous = _previous()
    values = {**previous.__dict__, **changes}
    node = ModelRegistrationProjection.model_construct(**values)
    where = "test.upsert_node"
    whole = _outcome(lambda: checks.check_projection(where, node))
    derived = _outcome(lambda: checks.check_projection(where, node, previous))
    assert derived == whole
