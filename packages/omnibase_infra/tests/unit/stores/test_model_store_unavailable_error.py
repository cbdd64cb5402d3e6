"""The store's unavailable error is the core unavailable error, and pickles as itself."""

from __future__ import annotations

import pickle

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelUnavailableError
from omnibase_infra.stores.model_store_unavailable_error import ModelStoreUnavailableError


def test_store_error_keeps_class_and_retryable_across_pickling() -> None:
    error = ModelStoreUnavailableError(
        "db gone", context={"url": "postgresql://h/db"}, retryable=False
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ModelStoreUnavailableError
    assert isinstance(copy, ModelUnavailableError)
    assert copy.retryable is False
    assert copy.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
    assert dict(copy.context) == {"url": "postgresql://h/db", "retryable": False}
