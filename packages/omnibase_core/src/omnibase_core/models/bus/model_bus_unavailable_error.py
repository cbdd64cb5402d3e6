"""The error a bus raises when its broker cannot be reached right now."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.errors.model_onex_error import ModelOnexError


class ModelBusUnavailableError(ModelOnexError):
    """The broker is unreachable or did not answer in time (a lost connection, a restarting
    server, a timed-out publish or acknowledgement).

    Every bus operation is safe to redo: a publish carries its idempotency id, and a message
    whose acknowledgement was lost is delivered again. ``retryable`` says whether redoing it
    may succeed or an operator has to act first (wrong address, refused credentials). The code
    is ``CONFIGURATION_ERROR``: when retries run out, what is left to check is the broker and
    its URL.
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
) -> ModelBusUnavailableError:
    return ModelBusUnavailableError(message, error_code, context, retryable=retryable)
