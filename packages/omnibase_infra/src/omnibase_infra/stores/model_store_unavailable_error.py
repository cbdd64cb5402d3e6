"""The error a store raises when its database cannot be used right now."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError


class ModelStoreUnavailableError(ModelOnexError):
    """The database is unreachable, the connection was lost, or the server aborted the open
    transaction (deadlock, serialization failure, shutdown).

    Whatever the transaction had done is rolled back, so redoing the whole batch is safe: the
    inbox inside the same transaction makes every envelope apply exactly once. ``retryable`` says
    whether redoing it may succeed (a lost connection, a deadlock) or whether an operator has to
    act first (wrong password, unknown database). The error code is ``CONFIGURATION_ERROR``:
    when retries run out, what is left to check is the server and the store URL.
    """

    def __init__(
        self,
        message: str,
        error_code: EnumCoreErrorCode = EnumCoreErrorCode.CONFIGURATION_ERROR,
        context: Mapping[str, Any] | None = None,
        *,
        retryable: bool = True,
    ) -> None:
        super().__init__(message, error_code, {**(context or {}), "retryable": retryable})
        self.retryable = retryable

    def __reduce__(self) -> tuple[Any, ...]:
        context = {k: v for k, v in self.context.items() if k != "retryable"}
        return (_rebuild, (self.message, self.error_code, context, self.retryable))


def _rebuild(
    message: str, error_code: EnumCoreErrorCode, context: dict[str, Any], retryable: bool
) -> ModelStoreUnavailableError:
    return ModelStoreUnavailableError(message, error_code, context, retryable=retryable)
