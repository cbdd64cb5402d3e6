"""The base of errors raised when an external service cannot be used right now."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.errors.model_onex_error import ModelOnexError


class ModelUnavailableError(ModelOnexError):
    """An external service (a broker, a database) is unreachable or did not answer in time.

    ``retryable`` says whether redoing the operation may succeed (a lost connection, a timeout)
    or whether an operator has to act first (wrong address, refused credentials). It is also
    stored in ``context`` so logs and CLIs show it. The default code is ``CONFIGURATION_ERROR``:
    when retries run out, what is left to check is the service and its URL. Subclasses name the
    service; the error pickles as its own subclass with ``retryable`` intact.
    """

    def __init__(
        self,
        message: str,
        error_code: EnumCoreErrorCode = EnumCoreErrorCode.CONFIGURATION_ERROR,
        context: Mapping[str, Any] | None = None,
        *,
        retryable: bool = True,
    ) -> None:
        """Build the error; ``retryable`` is kept as an attribute and in ``context``.

        Raises:
            ValueError: if ``error_code`` is not an ``EnumCoreErrorCode`` value.
        """
        super().__init__(message, error_code, {**(context or {}), "retryable": retryable})
        self.retryable = retryable

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the concrete subclass, passing ``retryable`` by keyword.

        The keyword-only ``retryable`` cannot travel through the positional arguments the base
        class pickles with, so a module-level rebuild function restores it. Raises nothing.
        """
        context = {k: v for k, v in self.context.items() if k != "retryable"}
        return (
            _rebuild,
            (type(self), self.message, self.error_code, context, self.retryable),
        )


def _rebuild(
    cls: type[ModelUnavailableError],
    message: str,
    error_code: EnumCoreErrorCode,
    context: dict[str, Any],
    retryable: bool,
) -> ModelUnavailableError:
    return cls(message, error_code, context, retryable=retryable)
