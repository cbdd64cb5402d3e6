"""Unavailable-service errors keep their class, code, context and ``retryable`` when pickled."""

from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import ModelBusUnavailableError
from omnibase_core.models.errors import ModelOnexError, ModelUnavailableError


@given(
    cls=st.sampled_from([ModelUnavailableError, ModelBusUnavailableError]),
    message=st.text(),
    code=st.sampled_from(list(EnumCoreErrorCode)),
    context=st.dictionaries(st.text().filter(lambda k: k != "retryable"), st.integers()),
    retryable=st.booleans(),
)
def test_round_trips_through_pickle_as_its_own_class(
    cls: type[ModelUnavailableError],
    message: str,
    code: EnumCoreErrorCode,
    context: dict[str, int],
    retryable: bool,
) -> None:
    error = cls(message, code, context, retryable=retryable)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert isinstance(copy, ModelOnexError)
    assert (copy.message, copy.error_code, copy.retryable) == (message, code, retryable)
    assert dict(copy.context) == {**context, "retryable": retryable}


def test_defaults_to_a_retryable_configuration_error() -> None:
    error = ModelBusUnavailableError("no broker")
    assert error.retryable is True
    assert error.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
    assert isinstance(error, ModelUnavailableError)
